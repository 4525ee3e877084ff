"""The GP's review: pathway page with trend charts, alert acknowledgement, personal targets, snoozes."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track.care import accounts, alerts, followup, intervals, patients, review, targets
from asalee_track.care.errors import Invalid
from asalee_track.i18n import local_today
from asalee_track.web.charts import trend_chart
from asalee_track.web.deps import Clinician, DbSession, Protocols
from asalee_track.web.forms import posted, typed_values
from asalee_track.web.rendering import field_errors, is_htmx, render, request_locale

router = APIRouter()


def review_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    patient_id: str,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    patient = patients.get(db, actor, patient_id)
    shown = review.review(db, actor, protocols, patient.id, datetime.now(UTC))
    pathways, active = shown.pathways, shown.active
    locale = request_locale(request)
    interval_choices = [
        found
        for measure_id in dict.fromkeys(m.id for p in pathways for m in p.protocol.measures)
        if (found := intervals.allowed_range(protocols, active, measure_id)) is not None
    ]
    # One chart per measure: weight followed in two pathways is drawn once, under the first of them.
    charts = {}
    charted: set[str] = set()
    for p in pathways:
        for m in p.measures:
            if m.series and m.measure.id not in charted:
                charted.add(m.measure.id)
                charts[(p.protocol.id, m.measure.id)] = trend_chart(m.measure, m.series, m.target, locale)
    return render(
        request,
        "patients/review.html",
        {
            "patient": patient,
            "pathways": pathways,
            "charts": charts,
            "team": {u.id: u.display_name for u in accounts.users_of_practice(db, actor.practice_id)},
            "target_history": shown.target_history,
            "interval_history": shown.interval_history,
            "interval_choices": interval_choices,
            "errors": errors or {},
            "values": values or {},
            "snooze_reasons": followup.SNOOZE_REASONS,
            "can_record": bool(active),  # a session needs an active pathway
        },
        status_code,
    )


@router.get("/patients/{patient_id}/review")
def show_review(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    return review_page(request, db, actor, protocols, patient_id)


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    alert_id: str,
    comment: Annotated[str, Form(max_length=2000)] = "",
    relevant: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    errors: dict[str, str] = {}
    try:
        alert = alerts.acknowledge(db, actor, alert_id, comment, relevant)
    except Invalid as refused:
        alert = alerts.get(db, actor, alert_id)  # acknowledged meanwhile: show it as it now stands
        if alert.status == "open":
            errors = field_errors(request, refused)
    if errors and not is_htmx(request):
        refusal = {f"alert-{alert.id}": errors["comment"]}
        return review_page(request, db, actor, protocols, alert.patient_id, refusal, {}, 422)
    if is_htmx(request):
        team = {u.id: u.display_name for u in accounts.users_of_practice(db, actor.practice_id)}
        context = {
            "alert": alert,
            "team": team,
            "comment_error": errors.get("comment"),
            "typed_comment": comment,
        }
        # 200 even when refused: htmx swaps only successful answers, and the fragment carries the error.
        return render(request, "fragments/alert.html", context)
    return RedirectResponse(request.headers.get("referer") or f"/patients/{alert.patient_id}/review", 303)


@router.post("/patients/{patient_id}/targets")
def set_target(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    form = posted(request)
    values = typed_values(form, ("measure_id", "min_value", "max_value", "reason"), 500)
    try:
        targets.set_target(db, actor, protocols, patient_id, values)
    except Invalid as refused:
        return review_page(
            request, db, actor, protocols, patient_id, field_errors(request, refused), values, 422
        )
    return RedirectResponse(f"/patients/{patient_id}/review#targets", status_code=303)


@router.post("/patients/{patient_id}/intervals")
def set_interval(
    request: Request, db: DbSession, actor: Clinician, protocols: Protocols, patient_id: str
) -> Response:
    form = posted(request)
    raw = typed_values(form, ("measure_id", "every", "reason"), 500)
    try:
        intervals.set_interval(db, actor, protocols, patient_id, raw)
    except Invalid as refused:
        values = {
            "interval_measure": raw["measure_id"],
            "every": raw["every"],
            "interval_reason": raw["reason"],
        }
        return review_page(
            request, db, actor, protocols, patient_id, field_errors(request, refused), values, 422
        )
    return RedirectResponse(f"/patients/{patient_id}/review#intervals", status_code=303)


@router.post("/patients/{patient_id}/snooze")
def snooze(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    patient_id: str,
    reason: Annotated[str, Form(max_length=20)] = "",
    days: Annotated[str, Form(max_length=5)] = "",
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        followup.snooze(db, actor, protocols, patient_id, reason, days, comment, local_today())
    except Invalid as refused:
        values = {"reason": reason, "days": days, "comment": comment}
        return review_page(
            request, db, actor, protocols, patient_id, field_errors(request, refused), values, 422
        )
    return RedirectResponse(
        request.headers.get("referer") or f"/patients/{patient_id}/review", status_code=303
    )
