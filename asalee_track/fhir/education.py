"""The education plan in FHIR: each goal the patient set is a Goal (their words, expressed by the
patient, its status from the latest review); the diagnosis and the workshops attended are a CarePlan
of its own (category education-plan) whose activities are the workshops."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from asalee_track.fhir import codes
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.mapping import Resource, _coding, _dt, ref, role_ref
from asalee_track.store.tables import (
    EducationPlan,
    GoalReview,
    PatientGoal,
    Workshop,
    WorkshopAttendance,
    table_of,
)

GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
LIFECYCLE = {"in-progress": "active", "achieved": "completed", "abandoned": "cancelled"}
ACHIEVEMENT = {"in-progress": "in-progress", "achieved": "achieved", "abandoned": "not-achieved"}
ATTENDED = {"present": "completed", "absent": "cancelled", "excused": "cancelled"}

plan_t = table_of(EducationPlan)
goal_t = table_of(PatientGoal)
review_t = table_of(GoalReview)
workshop_t = table_of(Workshop)
attendance_t = table_of(WorkshopAttendance)


def care_plan_id(patient_id: str) -> str:
    return f"edu-{patient_id}"


def goal(row: Any, reviews: list[Any]) -> Resource:
    resource: Resource = {
        "resourceType": "Goal",
        "id": row.id,
        "lifecycleStatus": LIFECYCLE.get(row.status, "active"),
        "achievementStatus": {
            "coding": [_coding(GOAL_ACHIEVEMENT, ACHIEVEMENT.get(row.status, "in-progress"))]
        },
        "description": {"text": row.text},
        "subject": ref("Patient", row.patient_id),
        "expressedBy": ref("Patient", row.patient_id),  # the patient's own goal, in their words
        "startDate": row.set_on.isoformat(),
        "statusDate": max(r.reviewed_on for r in reviews).isoformat() if reviews else row.set_on.isoformat(),
    }
    if row.target_date:
        resource["target"] = [{"dueDate": row.target_date.isoformat()}]
    notes = [{"text": r.comment, "time": _dt(r.reviewed_at)} for r in reviews if r.comment]
    if notes:
        resource["note"] = notes
    return resource


def care_plan(patient_id: str, plan: Any | None, goal_ids: list[str], attended: list[Any]) -> Resource:
    parts = []
    if plan is not None:
        for label, value in (
            ("Besoins", plan.needs),
            ("Ressources", plan.resources),
            ("Limites", plan.limits),
        ):
            if value:
                parts.append(f"{label} : {value}")
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": care_plan_id(patient_id),
        "status": "active",
        "intent": "plan",
        "category": [{"coding": [_coding(codes.LOCAL_PATHWAY, "education-plan", "Diagnostic éducatif")]}],
        "title": "Diagnostic éducatif",
        "subject": ref("Patient", patient_id),
    }
    if parts:
        resource["description"] = "\n".join(parts)
    if plan is not None:
        resource["created"] = _dt(plan.recorded_at)
        resource["author"] = role_ref(plan.recorded_by, plan.practice_id)
    if goal_ids:
        resource["goal"] = [ref("Goal", goal_id) for goal_id in goal_ids]
    if attended:
        resource["activity"] = [
            {
                "detail": {
                    "code": {"text": row.w_title},
                    "status": ATTENDED.get(row.status, "unknown"),
                    "scheduledString": row.w_held_at.isoformat(),
                    "description": f"Atelier collectif, {row.w_duration} min",
                }
            }
            for row in attended
        ]
    return resource


def _goals(conn: Connection, scope: Any) -> dict[str, list[tuple[Any, list[Any]]]]:
    query = select(goal_t).where(goal_t.c.practice_id == scope.practice_id)
    if scope.patient_id:
        query = query.where(goal_t.c.patient_id == scope.patient_id)
    goals = list(conn.execute(query.order_by(goal_t.c.set_on, goal_t.c.created_at)))
    reviews: dict[str, list[Any]] = {}
    if goals:
        ids = [g.id for g in goals]
        for row in conn.execute(select(review_t).where(review_t.c.goal_id.in_(ids)).order_by(review_t.c.id)):
            reviews.setdefault(row.goal_id, []).append(row)
    found: dict[str, list[tuple[Any, list[Any]]]] = {}
    for row in goals:
        found.setdefault(row.patient_id, []).append((row, reviews.get(row.id, [])))
    return found


def goals(conn: Connection, scope: Any, catalog: Catalog) -> Iterator[Resource]:
    for patient_goals in _goals(conn, scope).values():
        for row, reviews in patient_goals:
            if scope.since and row.updated_at < scope.since:
                continue
            yield goal(row, reviews)


def care_plans(conn: Connection, scope: Any, catalog: Catalog) -> Iterator[Resource]:
    plans: dict[str, Any] = {}
    query = select(plan_t).where(plan_t.c.practice_id == scope.practice_id)
    if scope.patient_id:
        query = query.where(plan_t.c.patient_id == scope.patient_id)
    for row in conn.execute(query.order_by(plan_t.c.version)):
        plans[row.patient_id] = row  # the latest version wins
    attended: dict[str, list[Any]] = {}
    query = (
        select(
            attendance_t,
            workshop_t.c.title.label("w_title"),
            workshop_t.c.held_at.label("w_held_at"),
            workshop_t.c.duration_minutes.label("w_duration"),
        )
        .join(workshop_t, workshop_t.c.id == attendance_t.c.workshop_id)
        .where(workshop_t.c.practice_id == scope.practice_id)
    )
    if scope.patient_id:
        query = query.where(attendance_t.c.patient_id == scope.patient_id)
    for row in conn.execute(query.order_by(workshop_t.c.held_at)):
        attended.setdefault(row.patient_id, []).append(row)
    goals_by_patient = _goals(conn, scope)
    for patient_id in sorted(set(plans) | set(goals_by_patient) | set(attended)):
        plan = plans.get(patient_id)
        if scope.since and (plan is None or plan.recorded_at < scope.since):
            changed = [g for g, _ in goals_by_patient.get(patient_id, []) if g.updated_at >= scope.since]
            if not changed:
                continue
        goal_ids = [g.id for g, _ in goals_by_patient.get(patient_id, [])]
        yield care_plan(patient_id, plan, goal_ids, attended.get(patient_id, []))
