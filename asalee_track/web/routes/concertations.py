"""Concertation: prepare the list (from the worklist too), record a decision per patient."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track.care import accounts, concertation, followup
from asalee_track.care.errors import Invalid
from asalee_track.care.inputs import MAX_ID, parse_int
from asalee_track.i18n import local_today
from asalee_track.web.deps import Clinician, DbSession, Protocols
from asalee_track.web.forms import posted
from asalee_track.web.rendering import field_errors, render

router = APIRouter()


def _list_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "concertations/list.html",
        {
            "typed": typed,
            "meetings": concertation.recent(db, actor),
            "today": local_today().isoformat(),
            "errors": errors or {},
            "team": accounts.users_of_practice(db, actor.practice_id),
        },
        status_code,
    )


@router.get("/concertations")
def meetings(request: Request, db: DbSession, actor: Clinician) -> Response:
    return _list_page(request, db, actor)


@router.post("/concertations")
def create(request: Request, db: DbSession, actor: Clinician) -> Response:
    form = posted(request)
    participants = [parse_int(str(v)) or 0 for v in form.getlist("participants")]
    try:
        meeting = concertation.create(
            db, actor, str(form.get("held_on", "")), str(form.get("title", "")), participants
        )
    except Invalid as refused:
        typed = {"held_on": str(form.get("held_on", "")), "title": str(form.get("title", ""))}
        return _list_page(request, db, actor, field_errors(request, refused), 422, typed)
    return RedirectResponse(f"/concertations/{meeting.id}", status_code=303)


def _meeting_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    concertation_id: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    shown = concertation.view(db, actor, concertation_id)
    listed = {patient.id for _, patient in shown.items}
    suggestions = [
        item
        for item in followup.worklist(db, actor, protocols, datetime.now(UTC), limit=20).items
        if item.patient.id not in listed
    ]
    team = {u.id: u.display_name for u in accounts.users_of_practice(db, actor.practice_id)}
    return render(
        request,
        "concertations/detail.html",
        {"view": shown, "suggestions": suggestions, "team": team, "errors": errors or {}},
        status_code,
    )


@router.get("/concertations/{concertation_id}")
def meeting(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, concertation_id: str
) -> Response:
    return _meeting_page(request, db, actor, protocols, concertation_id)


@router.post("/concertations/{concertation_id}/patients")
def add_patient(
    db: DbSession,
    actor: Clinician,
    concertation_id: str,
    patient_id: Annotated[str, Form(max_length=36)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    concertation.add_patient(db, actor, concertation_id, patient_id, reason)
    return RedirectResponse(f"/concertations/{concertation_id}", status_code=303)


@router.post("/concertation-items/{item_id}/decision")
def decide(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    item_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    concertation_id: Annotated[str, Form(max_length=36)],
    decision: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        concertation.record_decision(db, actor, item_id, decision)
    except Invalid as refused:
        errors = {f"decision-{item_id}": field_errors(request, refused)["decision"]}
        return _meeting_page(request, db, actor, protocols, concertation_id, errors, 422)
    return RedirectResponse(f"/concertations/{concertation_id}#item-{item_id}", status_code=303)
