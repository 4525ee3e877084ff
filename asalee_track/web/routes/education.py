"""The education plan of a patient (needs, resources, limits; goals and their reviews) and group
workshops with one attendance per patient."""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track.care import accounts, education, patients, workshops
from asalee_track.care.errors import Invalid
from asalee_track.care.session_form import local_datetime_input
from asalee_track.i18n import local_today
from asalee_track.web.deps import Clinician, DbSession, Protocols
from asalee_track.web.forms import posted, typed_values
from asalee_track.web.rendering import field_errors, render

router = APIRouter()


def _typed(request: Request) -> dict[str, str]:
    return typed_values(posted(request))


def _plan_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    patient_id: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    patient = patients.get(db, actor, patient_id)
    shown = education.plan(db, actor, patient.id)
    team = {u.id: u.display_name for u in accounts.users_of_practice(db, actor.practice_id)}
    current = shown.current
    defaults = {name: (getattr(current, name) or "") if current else "" for name in education.PLAN_FIELDS}
    return render(
        request,
        "education/plan.html",
        {
            "patient": patient,
            "plan": shown,
            "values": {**defaults, "set_on": local_today().isoformat(), **(values or {})},
            "errors": errors or {},
            "team": team,
            "workshops": workshops.for_patient(db, actor, patient.id),
        },
        status_code,
    )


@router.get("/patients/{patient_id}/education")
def plan_page(request: Request, db: DbSession, actor: Clinician, patient_id: str) -> Response:
    return _plan_page(request, db, actor, patient_id)


@router.post("/patients/{patient_id}/education")
def record_plan(request: Request, db: DbSession, actor: Clinician, patient_id: str) -> Response:
    typed = _typed(request)
    try:
        education.record_plan(db, actor, patient_id, typed)
    except Invalid as refused:
        return _plan_page(request, db, actor, patient_id, typed, field_errors(request, refused), 422)
    return RedirectResponse(f"/patients/{patient_id}/education", status_code=303)


@router.post("/patients/{patient_id}/goals")
def add_goal(request: Request, db: DbSession, actor: Clinician, patient_id: str) -> Response:
    typed = _typed(request)
    try:
        education.add_goal(db, actor, patient_id, typed, local_today())
    except Invalid as refused:
        errors = {f"goal.{k}": v for k, v in field_errors(request, refused).items()}
        values = {f"goal.{k}": v for k, v in typed.items()}
        return _plan_page(request, db, actor, patient_id, values, errors, 422)
    return RedirectResponse(f"/patients/{patient_id}/education#goals", status_code=303)


@router.post("/goals/{goal_id}/review")
def review_goal(request: Request, db: DbSession, actor: Clinician, goal_id: str) -> Response:
    typed = _typed(request)
    patient_id = typed.get("patient_id", "")[:36]
    try:
        goal = education.review_goal(db, actor, goal_id, typed, local_today())
    except Invalid as refused:
        errors = {f"review.{goal_id}.{k}": v for k, v in field_errors(request, refused).items()}
        return _plan_page(request, db, actor, patient_id, None, errors, 422)
    return RedirectResponse(f"/patients/{goal.patient_id}/education#goal-{goal.id}", status_code=303)


def _list_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    now_local = local_datetime_input(datetime.now(UTC))
    return render(
        request,
        "education/workshops.html",
        {
            "workshops": workshops.recent(db, actor),
            "candidates": workshops.candidates(db, actor),
            "protocols": protocols,
            "values": values or {"held_at": now_local, "duration_minutes": "90"},
            "errors": errors or {},
        },
        status_code,
    )


@router.get("/workshops")
def workshop_list(request: Request, db: DbSession, actor: Clinician, protocols: Protocols) -> Response:
    return _list_page(request, db, actor, protocols)


@router.post("/workshops")
def create_workshop(request: Request, db: DbSession, actor: Clinician, protocols: Protocols) -> Response:
    form = posted(request)
    typed = typed_values(form)
    attendance = workshops.parse_attendance([(k, str(v)) for k, v in form.multi_items()])
    try:
        workshop = workshops.create(db, actor, protocols, typed, attendance, datetime.now(UTC))
    except Invalid as refused:
        return _list_page(request, db, actor, protocols, typed, field_errors(request, refused), 422)
    return RedirectResponse(f"/workshops/{workshop.id}", status_code=303)


@router.get("/workshops/{workshop_id}")
def workshop_page(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, workshop_id: str
) -> Response:
    shown = workshops.view(db, actor, workshop_id)
    return render(request, "education/workshop.html", {"view": shown, "protocols": protocols})
