"""Follow-up sessions: the form (with per-field checks), save, view, amend, entered-in-error, print."""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from asalee_track.care import measure_feedback, patients, session_summary, sessions
from asalee_track.care.errors import Invalid, NotFound
from asalee_track.care.session_form import (
    KINDS,
    FormSection,
    build_form,
    describe_conversion,
    measure_field,
    parse_local_datetime,
    prefill,
    read_measure,
)
from asalee_track.i18n import TIMEZONE
from asalee_track.protocols import InputRefused, Obs, ProtocolSet
from asalee_track.store.tables import Patient
from asalee_track.web.deps import Clinician, DbSession, Protocols
from asalee_track.web.rendering import field_errors, render, request_locale

router = APIRouter()


def _now_local() -> str:
    return datetime.now(UTC).astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def _form(
    request: Request,
    patient: object,
    sections: list[FormSection],
    values: dict[str, str],
    errors: dict[str, str],
    action: str,
    status_code: int = 200,
    amending: object = None,
    last: Mapping[str, Obs] | None = None,
) -> Response:
    values.setdefault("idempotency_key", uuid.uuid4().hex)
    return render(
        request,
        "sessions/form.html",
        {
            "patient": patient,
            "sections": sections,
            "values": values,
            "errors": errors,
            "action": action,
            "kinds": KINDS,
            "amending": amending,
            "last": last or {},  # the patient's last values, shown beside a new session's fields
        },
        status_code,
    )


async def _typed(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value)[:10_000] for key, value in form.items() if key != "csrf_token"}


@router.get("/patients/{patient_id}/sessions/new")
def new_session(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    patient = patients.get(db, actor, patient_id)
    sections = sessions.form_for(db, actor, protocols, patient.id)
    values = {"started_at": _now_local(), "duration_minutes": "45", "kind": "follow-up"}
    last = measure_feedback.last_values(db, actor, patient.id)
    return _form(request, patient, sections, values, {}, f"/patients/{patient.id}/sessions", last=last)


@router.post("/patients/{patient_id}/sessions")
async def save_session(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    typed = await _typed(request)
    try:
        result = sessions.save(db, actor, protocols, patient_id, typed, locale=request_locale(request))
    except Invalid as refused:
        patient = patients.get(db, actor, patient_id)
        sections = sessions.form_for(db, actor, protocols, patient.id)
        return _form(
            request,
            patient,
            sections,
            typed,
            field_errors(request, refused),
            f"/patients/{patient.id}/sessions",
            422,
            last=measure_feedback.last_values(db, actor, patient.id),
        )
    return RedirectResponse(f"/sessions/{result.session.id}?saved=1", status_code=303)


@router.post("/patients/{patient_id}/sessions/check/{measure_id}")
async def check_field(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str, measure_id: str
) -> Response:
    """htmx, on blur: the field's verdict, or the conversion it will be stored with."""
    typed = await _typed(request)
    field = measure_field(sessions.form_for(db, actor, protocols, patient_id), measure_id)
    if field is None:
        raise NotFound()
    text = typed.get(f"m.{measure_id}", "").strip()
    message, ok, foreseen = "", True, None
    if text:
        locale = request_locale(request)
        try:
            reading = read_measure(field, text, typed.get(f"u.{measure_id}") or None)
            message = describe_conversion(field.measure, reading, locale) or ""
        except InputRefused as refused:
            message, ok = refused.message(locale), False
        else:
            now = datetime.now(UTC)
            when = min(parse_local_datetime(typed.get("started_at", "")) or now, now)
            foreseen = measure_feedback.foresee(
                db, actor, protocols, patient_id, field.measure, reading.value, when, now
            )
    return render(
        request,
        "fragments/field_check.html",
        {"name": f"m.{measure_id}", "message": message, "ok": ok, "foreseen": foreseen},
    )


@router.get("/sessions/{session_id}")
def show_session(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    session_id: str,
    saved: bool = False,
) -> Response:
    shown = sessions.view(db, actor, session_id)
    patient = patients.get(db, actor, shown.session.patient_id)
    raised = sessions.alerts_of_session(db, actor, shown.session.id)
    return render(
        request,
        "sessions/detail.html",
        {"saved": saved, **_summary(db, protocols, shown, patient), "raised": raised},
    )


def _summary(
    db: Session, protocols: ProtocolSet, shown: sessions.SessionView, patient: Patient
) -> dict[str, object]:
    """What the session page and its printed summary both show."""
    return {
        "patient": patient,
        "view": shown,
        "protocols": protocols,
        "people": session_summary.people(db, shown.session, patient),
        "targets": session_summary.targets_of(db, protocols, shown.session),
    }


@router.get("/sessions/{session_id}/print")
def print_session(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, session_id: str
) -> Response:
    shown = sessions.view(db, actor, session_id)
    patient = patients.get(db, actor, shown.session.patient_id)
    raised = sessions.alerts_of_session(db, actor, shown.session.id)
    return render(
        request, "sessions/print.html", {**_summary(db, protocols, shown, patient), "raised": raised}
    )


@router.get("/sessions/{session_id}/amend")
def amend_form(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, session_id: str
) -> Response:
    shown = sessions.view(db, actor, session_id)
    patient = patients.get(db, actor, shown.session.patient_id)
    sections = build_form(protocols, shown.session.pathways)
    values = prefill(shown.session, shown.observations, shown.items, shown.responses, shown.home_readings)
    return _form(
        request, patient, sections, values, {}, f"/sessions/{session_id}/amend", amending=shown.session
    )


@router.post("/sessions/{session_id}/amend")
async def amend(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, session_id: str
) -> Response:
    typed = await _typed(request)
    try:
        result = sessions.amend(db, actor, protocols, session_id, typed, locale=request_locale(request))
    except Invalid as refused:
        shown = sessions.view(db, actor, session_id)
        patient = patients.get(db, actor, shown.session.patient_id)
        return _form(
            request,
            patient,
            build_form(protocols, shown.session.pathways),
            typed,
            field_errors(request, refused),
            f"/sessions/{session_id}/amend",
            422,
            shown.session,
        )
    return RedirectResponse(f"/sessions/{result.session.id}?saved=1", status_code=303)


@router.post("/sessions/{session_id}/error")
def entered_in_error(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    session_id: str,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        session = sessions.mark_entered_in_error(db, actor, protocols, session_id, reason)
    except Invalid as refused:
        shown = sessions.view(db, actor, session_id)
        patient = patients.get(db, actor, shown.session.patient_id)
        return render(
            request,
            "sessions/detail.html",
            {
                **_summary(db, protocols, shown, patient),
                "saved": False,
                "raised": sessions.alerts_of_session(db, actor, session_id),
                "errors": field_errors(request, refused),
            },
            422,
        )
    return RedirectResponse(f"/sessions/{session.id}", status_code=303)
