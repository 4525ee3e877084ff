"""The education plan (diagnostic éducatif): needs, resources and limits noted at the first visit, and
the goals the patient sets in their own words, each reviewed in later sessions.

Nothing is overwritten: an edited plan is a new version, a goal's status changes through reviews that
are all kept.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from asalee_track.care import audit
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.care.inputs import has_hidden_characters
from asalee_track.care.patients import parse_date, scoped_patient
from asalee_track.i18n import N_
from asalee_track.store.tables import EducationPlan, GoalReview, PatientGoal
from asalee_track.store.types import utcnow

GOAL_STATUSES = ("in-progress", "achieved", "abandoned")
PLAN_FIELDS = ("needs", "resources", "limits")
Errors = dict[str, tuple[str, dict[str, object]]]


def _require_clinical(actor: Actor) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()


def _text(raw: Mapping[str, str], name: str, limit: int, errors: Errors) -> str | None:
    value = raw.get(name, "").strip()
    if has_hidden_characters(value):
        errors[name] = (N_("Remove the invisible control characters from this field."), {})
    if len(value) > limit:
        errors[name] = (N_("At most %(max)s characters."), {"max": limit})
    return value or None


@dataclass(frozen=True)
class GoalView:
    goal: PatientGoal
    reviews: list[GoalReview]  # oldest first


@dataclass(frozen=True)
class PlanView:
    current: EducationPlan | None
    versions: list[EducationPlan]  # oldest first
    goals: list[GoalView]


def plan(db: Session, actor: Actor, patient_id: str) -> PlanView:
    _require_clinical(actor)
    patient = scoped_patient(db, actor, patient_id)
    versions = list(
        db.exec(
            select(EducationPlan)
            .where(EducationPlan.patient_id == patient.id)
            .order_by(col(EducationPlan.version))
        ).all()
    )
    goals = db.exec(
        select(PatientGoal)
        .where(PatientGoal.patient_id == patient.id)
        .order_by(col(PatientGoal.set_on), col(PatientGoal.created_at))
    ).all()
    views = [
        GoalView(
            goal,
            list(
                db.exec(
                    select(GoalReview).where(GoalReview.goal_id == goal.id).order_by(col(GoalReview.id))
                ).all()
            ),
        )
        for goal in goals
    ]
    audit.record(db, actor, "read", "CarePlan", f"education-{patient.id}", patient_id=patient.id)
    return PlanView(versions[-1] if versions else None, versions, views)


def record_plan(db: Session, actor: Actor, patient_id: str, raw: Mapping[str, str]) -> EducationPlan:
    """A new version of the plan (the first one at the first visit)."""
    _require_clinical(actor)
    patient = scoped_patient(db, actor, patient_id)
    errors: Errors = {}
    values = {name: _text(raw, name, 5000, errors) for name in PLAN_FIELDS}
    if not errors and not any(values.values()):
        errors["form"] = (N_("Write at least the needs, the resources or the limits."), {})
    if errors:
        raise Invalid(errors)
    latest = db.exec(
        select(EducationPlan.version)
        .where(EducationPlan.patient_id == patient.id)
        .order_by(col(EducationPlan.version).desc())
    ).first()
    row = EducationPlan(
        patient_id=patient.id,
        practice_id=actor.practice_id,
        version=(latest or 0) + 1,
        recorded_by=actor.user_id,
        needs=values["needs"],
        resources=values["resources"],
        limits=values["limits"],
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor,
        "create",
        "CarePlan",
        f"education-{patient.id}",
        patient_id=patient.id,
        detail=f"v{row.version}",
    )
    return row


def _day(raw: Mapping[str, str], name: str, errors: Errors, today: date, required: bool) -> date | None:
    text = raw.get(name, "").strip()
    if not text:
        if required:
            return today
        return None
    day = parse_date(text)
    if day is None:
        errors[name] = (N_("Enter a date as dd/mm/yyyy."), {})
    return day


def add_goal(db: Session, actor: Actor, patient_id: str, raw: Mapping[str, str], today: date) -> PatientGoal:
    _require_clinical(actor)
    patient = scoped_patient(db, actor, patient_id)
    errors: Errors = {}
    text = _text(raw, "text", 500, errors)
    if text is None and "text" not in errors:
        errors["text"] = (N_("Write the goal in the patient's own words."), {})
    set_on = _day(raw, "set_on", errors, today, required=True)
    target = _day(raw, "target_date", errors, today, required=False)
    if set_on is not None and set_on > today:
        errors["set_on"] = (N_("This date is in the future."), {})
    if set_on is not None and target is not None and target < set_on:
        errors["target_date"] = (N_("The target date cannot come before the day the goal was set."), {})
    if errors:
        raise Invalid(errors)
    goal = PatientGoal(
        patient_id=patient.id,
        practice_id=actor.practice_id,
        text=text or "",
        set_on=set_on or today,
        target_date=target,
        created_by=actor.user_id,
    )
    db.add(goal)
    db.flush()
    db.add(
        GoalReview(goal_id=goal.id, status="in-progress", reviewed_on=goal.set_on, reviewed_by=actor.user_id)
    )
    audit.record(db, actor, "create", "Goal", goal.id, patient_id=patient.id)
    return goal


def review_goal(db: Session, actor: Actor, goal_id: str, raw: Mapping[str, str], today: date) -> PatientGoal:
    """A review in a later session: the status as it stands now, and what the patient said."""
    _require_clinical(actor)
    goal = db.get(PatientGoal, goal_id) if len(goal_id) <= 36 else None
    if goal is None or goal.practice_id != actor.practice_id:
        raise NotFound()
    errors: Errors = {}
    status = raw.get("status", "")
    if status not in GOAL_STATUSES:
        errors["status"] = (N_("Choose: achieved, in progress or abandoned."), {})
    comment = _text(raw, "comment", 1000, errors)
    if errors:
        raise Invalid(errors)
    db.add(
        GoalReview(
            goal_id=goal.id, status=status, comment=comment, reviewed_on=today, reviewed_by=actor.user_id
        )
    )
    goal.status = status
    goal.updated_at = utcnow()
    db.add(goal)
    db.flush()
    audit.record(db, actor, "update", "Goal", goal.id, patient_id=goal.patient_id, detail=status)
    return goal
