"""Follow-up sessions: the form (with per-field checks), save, view, amend, entered-in-error, print."""

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from asalee_track.care import measure_feedback, patients, session_summary, sessions
from asalee_track.care.errors import Invalid
from asalee_track.protocols import Obs, ProtocolSet
from asalee_track.store.tables import Patient
from asalee_track.web.deps import Clinician, DbSession, Protocols
from asalee_track.web.forms import posted, typed_values
from asalee_track.web.rendering import field_errors, render, request_locale

router = APIRouter()


def _form(
    request: Request,
    form: sessions.SessionForm,
    errors: dict[str, str],
    action: str,
    status_code: int = 200,
    last: Mapping[str, Obs] | None = None,
) -> Response:
    return render(
        request,
        "sessions/form.html",
        {
            "patient": form.patient,
            "sections": form.sections,
            "values": form.values,
            "errors": errors,
            "action": action,
            "kinds": form.kinds,
            "amending": form.amending,
            "last": last or {},  # the patient's last values, shown beside a new session's fields
        },
        status_code,
    )


def _typed(request: Request) -> dict[str, str]:
    return typed_values(posted(request))


@router.get("/patients/{patient_id}/sessions/new")
def new_session(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    form = sessions.session_form(db, actor, protocols, patient_id=patient_id)
    last = measure_feedback.last_values(db, actor, form.patient.id)
    return _form(request, form, {}, f"/patients/{form.patient.id}/sessions", last=last)


@router.post("/patients/{patient_id}/sessions")
def save_session(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    typed = _typed(request)
    try:
        result = sessions.save(db, actor, protocols, patient_id, typed, locale=request_locale(request))
    except Invalid as refused:
        form = sessions.session_form(db, actor, protocols, patient_id=patient_id, typed=typed)
        action = f"/patients/{form.patient.id}/sessions"
        last = measure_feedback.last_values(db, actor, form.patient.id)
        return _form(request, form, field_errors(request, refused), action, 422, last=last)
    return RedirectResponse(f"/sessions/{result.session.id}?saved=1", status_code=303)


@router.post("/patients/{patient_id}/sessions/check/{measure_id}")
def check_field(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str, measure_id: str
) -> Response:
    """htmx, on blur: the field's verdict, or the conversion it will be stored with, and what the value
    would raise."""
    typed = _typed(request)
    locale = request_locale(request)
    check = measure_feedback.check_field(db, actor, protocols, patient_id, measure_id, typed, locale)
    return render(
        request,
        "fragments/field_check.html",
        {"name": f"m.{measure_id}", "message": check.message, "ok": check.ok, "foreseen": check.foreseen},
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
    form = sessions.session_form(db, actor, protocols, session_id=session_id)
    return _form(request, form, {}, f"/sessions/{session_id}/amend")


@router.post("/sessions/{session_id}/amend")
def amend(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, session_id: str
) -> Response:
    typed = _typed(request)
    try:
        result = sessions.amend(db, actor, protocols, session_id, typed, locale=request_locale(request))
    except Invalid as refused:
        form = sessions.session_form(db, actor, protocols, session_id=session_id, typed=typed)
        return _form(request, form, field_errors(request, refused), f"/sessions/{session_id}/amend", 422)
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
