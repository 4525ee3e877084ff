"""Enrolment in pathways: the consent form, pause / resume / end with a reason."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track.care import accounts, enrolment, patients
from asalee_track.care.errors import Invalid
from asalee_track.i18n import local_today
from asalee_track.web.deps import Clinician, DbSession, Protocols
from asalee_track.web.forms import posted, typed_values
from asalee_track.web.rendering import field_errors, render
from asalee_track.web.routes.patients import patient_page

router = APIRouter()
FIELDS = ("protocol_id", "referring_gp_id", "start_date", "consent_date", "consent_method")


def _form(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    patient_id: str,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    patient = patients.get(db, actor, patient_id)
    views = enrolment.for_patient(db, actor, patient.id)
    taken = {v.enrolment.protocol_id for v in views if v.enrolment.status != "ended"}
    return render(
        request,
        "enrolments/form.html",
        {
            "patient": patient,
            "values": values,
            "errors": errors,
            "choices": [p for p in protocols.all() if p.id not in taken],
            "gps": accounts.users_of_practice(db, actor.practice_id, role="gp"),
            "methods": enrolment.CONSENT_METHODS,
        },
        status_code,
    )


@router.get("/patients/{patient_id}/enrol")
def enrol_form(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    patient_id: str,
    protocol_id: str = "",
) -> Response:
    patient = patients.get(db, actor, patient_id)
    today = local_today().isoformat()
    values = {
        "protocol_id": protocol_id,
        "start_date": today,
        "consent_date": today,
        "consent_method": "",
        "referring_gp_id": str(patient.referring_gp_id or ""),
    }
    return _form(request, db, actor, protocols, patient_id, values, {})


@router.post("/patients/{patient_id}/enrolments")
def enrol(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    form = posted(request)
    values = typed_values(form, FIELDS, 100)
    try:
        enrolment.enrol(db, actor, protocols, patient_id, values)
    except Invalid as refused:
        return _form(request, db, actor, protocols, patient_id, values, field_errors(request, refused), 422)
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


@router.post("/enrolments/{enrolment_id}/status")
def change_status(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    enrolment_id: str,
    action: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        changed = enrolment.change_status(db, actor, protocols, enrolment_id, action, reason)
    except Invalid as refused:
        row = enrolment.get(db, actor, enrolment_id)
        return patient_page(
            request,
            db,
            actor,
            protocols,
            row.patient_id,
            {"enrolment": enrolment_id, **field_errors(request, refused)},
            422,
        )
    return RedirectResponse(f"/patients/{changed.patient_id}", status_code=303)
