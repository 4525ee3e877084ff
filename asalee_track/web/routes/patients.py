"""Patients: list and search as you type, create, open, edit."""

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track.care import accounts, concertation, enrolment, identity_status, labs, patients, sessions
from asalee_track.care.errors import Invalid
from asalee_track.protocols import ProtocolSet
from asalee_track.store.tables import Patient
from asalee_track.web.deps import Clinician, DbSession, Protocols
from asalee_track.web.forms import posted, typed_values
from asalee_track.web.rendering import field_errors, is_htmx, render

router = APIRouter(prefix="/patients")
PAGE = 25
FIELDS = patients.EDITABLE


@router.get("")
def patient_list(request: Request, db: DbSession, actor: Clinician, q: str = "", page: int = 1) -> Response:
    page = max(1, min(page, 10_000))
    result = patients.search(db, actor, q, offset=(page - 1) * PAGE, limit=PAGE)
    context = {"q": q, "result": result, "page": page, "pages": max(1, -(-result.total // PAGE))}
    # htmx asks for the rows only (search as you type); a plain browser gets the whole page.
    template = "fragments/patient_rows.html" if is_htmx(request) else "patients/list.html"
    return render(request, template, context)


def _form_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    values: dict[str, str],
    errors: dict[str, str],
    patient_id: str | None = None,
    status_code: int = 200,
) -> Response:
    gps = accounts.users_of_practice(db, actor.practice_id, role="gp")
    return render(
        request,
        "patients/form.html",
        {"values": values, "errors": errors, "gps": gps, "patient_id": patient_id},
        status_code,
    )


def _submitted(request: Request) -> dict[str, str]:
    return typed_values(posted(request), FIELDS, 500)


@router.get("/new")
def new_patient(request: Request, db: DbSession, actor: Clinician) -> Response:
    return _form_page(request, db, actor, {"sex": ""}, {})


@router.post("")
def create_patient(request: Request, db: DbSession, actor: Clinician) -> Response:
    values = _submitted(request)
    try:
        patient = patients.create(db, actor, values)
    except Invalid as refused:
        return _form_page(request, db, actor, values, field_errors(request, refused), status_code=422)
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


def patient_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: ProtocolSet,
    patient_id: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The patient's record: identity, pathways, open alerts, sessions. `errors` come from a refused
    enrolment change, shown beside that enrolment."""
    patient = patients.get(db, actor, patient_id)
    team = {user.id: user.display_name for user in accounts.users_of_practice(db, actor.practice_id)}
    # Sessions and lab reports in one history, newest first.
    timeline: list[tuple[str, datetime, sessions.SessionView | labs.LabView]] = [
        ("session", item.session.started_at, item) for item in sessions.timeline(db, actor, patient.id)
    ]
    timeline += [("lab", view.specimen_at, view) for view in labs.lab_history(db, actor, patient.id)]
    timeline.sort(key=lambda entry: entry[1], reverse=True)
    return render(
        request,
        "patients/detail.html",
        {
            "patient": patient,
            "history": patients.revisions(db, actor, patient_id),
            "team": team,
            "enrolments": enrolment.for_patient(db, actor, patient.id),
            "protocols": protocols,
            "alerts": sessions.open_alerts(db, actor, patient.id),
            "timeline": timeline,
            "discussions": concertation.for_patient(db, actor, patient.id),
            "errors": errors or {},
            "identity_labels": identity_status.LABELS,
            "documents": identity_status.DOCUMENTS,
        },
        status_code,
    )


@router.get("/{patient_id}")
def show_patient(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    return patient_page(request, db, actor, protocols, patient_id)


@router.get("/{patient_id}/edit")
def edit_patient(request: Request, db: DbSession, actor: Clinician, patient_id: str) -> Response:
    patient = patients.get(db, actor, patient_id)
    values = {
        field: "" if getattr(patient, field) is None else str(getattr(patient, field)) for field in FIELDS
    }
    return _form_page(request, db, actor, values, {}, patient_id=patient.id)


@router.post("/{patient_id}")
def update_patient(request: Request, db: DbSession, actor: Clinician, patient_id: str) -> Response:
    values = _submitted(request)
    try:
        patient = patients.update(db, actor, patient_id, values)
    except Invalid as refused:
        return _form_page(request, db, actor, values, field_errors(request, refused), patient_id, 422)
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)


def _identity_page(
    request: Request,
    patient: Patient,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    context = {
        "patient": patient,
        "values": values,
        "errors": errors,
        "documents": identity_status.DOCUMENTS,
        "statuses": identity_status.LABELS,
    }
    return render(request, "patients/identity.html", context, status_code)


@router.get("/{patient_id}/identity")
def identity_form(request: Request, db: DbSession, actor: Clinician, patient_id: str) -> Response:
    patient = patients.get(db, actor, patient_id)
    return _identity_page(request, patient, {"birth_place_insee": patient.birth_place_insee or ""}, {})


@router.post("/{patient_id}/identity")
def validate_identity(request: Request, db: DbSession, actor: Clinician, patient_id: str) -> Response:
    form = posted(request)
    values = typed_values(form, ("document", "birth_place_insee", "confirm"), 100)
    try:
        patient = identity_status.validate_on_document(db, actor, patient_id, values)
    except Invalid as refused:
        patient = patients.scoped_patient(db, actor, patient_id)
        return _identity_page(request, patient, values, field_errors(request, refused), 422)
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)
