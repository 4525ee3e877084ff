"""Where each resource type's rows come from: one streamed query per type, scoped to a practice.

Queries are SQLAlchemy Core (no ORM identity map, so memory stays flat however many rows stream by) and
fetch in batches (`yield_per`: `fetchmany` on SQLite, a server-side cursor on PostgreSQL). A `Scope`
narrows them to one patient ($everything, search) or to rows changed since a time (Bulk `_since`).

Only the current version of a session is exported (a correction supersedes the earlier row); an
erroneous session is exported with status entered-in-error, as are its observations and acts.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, and_, exists, false, func, or_, select
from sqlalchemy.engine import Connection

from asalee_track.care.actor import CLINICAL_ROLES
from asalee_track.care.standing import current_version
from asalee_track.fhir import education, mapping, questionnaires
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.mapping import Resource
from asalee_track.store.tables import (
    Alert,
    AuditEvent,
    CareSession,
    Enrolment,
    EnrolmentStatusChange,
    LabReport,
    LabResult,
    Membership,
    Observation,
    Patient,
    PersonalTarget,
    Practice,
    SessionItem,
    User,
    table_of,
)

BATCH = 2000

practice_t = table_of(Practice)
user_t = table_of(User)
membership_t = table_of(Membership)
patient_t = table_of(Patient)
enrolment_t = table_of(Enrolment)
status_change_t = table_of(EnrolmentStatusChange)
session_t = table_of(CareSession)
observation_t = table_of(Observation)
lab_result_t = table_of(LabResult)
lab_report_t = table_of(LabReport)
item_t = table_of(SessionItem)
alert_t = table_of(Alert)
audit_t = table_of(AuditEvent)
target_t = table_of(PersonalTarget)


@dataclass(frozen=True)
class Scope:
    practice_id: int
    patient_id: str | None = None  # one patient's compartment
    patient_level: bool = False  # Patient/Group export: patient data only (audit events about patients)
    since: datetime | None = None
    observation_where: tuple[Any, ...] = ()  # Bulk _typeFilter: any of these SQL conditions


def _rows(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    yield from conn.execute(query.execution_options(yield_per=BATCH))


# ---------------------------------------------------------------------------------------------------
# Practice and people


def organizations(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    query = select(practice_t).where(practice_t.c.id == scope.practice_id)
    if scope.since:
        query = query.where(practice_t.c.created_at >= scope.since)
    for row in _rows(conn, query):
        yield mapping.stamp(mapping.organization(row), row.created_at)


def _members(scope: Scope, user_ids: set[int] | None = None) -> Select[Any]:
    query = (
        select(user_t)
        .join(membership_t, membership_t.c.user_id == user_t.c.id)
        .where(membership_t.c.practice_id == scope.practice_id, user_t.c.role.in_(CLINICAL_ROLES))
    )
    if user_ids is not None:
        query = select(user_t).where(user_t.c.id.in_(user_ids))  # referenced people, members or not
    if scope.since:
        query = query.where(user_t.c.created_at >= scope.since)
    return query.order_by(user_t.c.id)


def practitioners(
    conn: Connection, scope: Scope, catalog: Catalog, user_ids: set[int] | None = None
) -> Iterator[Resource]:
    for row in _rows(conn, _members(scope, user_ids)):
        yield mapping.stamp(mapping.practitioner(row), row.created_at)


def practitioner_roles(
    conn: Connection, scope: Scope, catalog: Catalog, user_ids: set[int] | None = None
) -> Iterator[Resource]:
    for row in _rows(conn, _members(scope, user_ids)):
        yield mapping.stamp(mapping.practitioner_role(row, scope.practice_id), row.created_at)


# ---------------------------------------------------------------------------------------------------
# Patients and pathways


def patients(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    query = select(patient_t).where(patient_t.c.practice_id == scope.practice_id)
    if scope.patient_id:
        query = query.where(patient_t.c.id == scope.patient_id)
    if scope.since:
        query = query.where(patient_t.c.updated_at >= scope.since)
    for row in _rows(conn, query):
        yield mapping.patient(row)


def _enrolments(scope: Scope) -> Select[Any]:
    ended = (
        select(status_change_t.c.enrolment_id, func.max(status_change_t.c.changed_at).label("ended_at"))
        .where(status_change_t.c.status == "ended")
        .group_by(status_change_t.c.enrolment_id)
        .subquery()
    )
    changed = (
        select(status_change_t.c.enrolment_id, func.max(status_change_t.c.changed_at).label("changed_at"))
        .group_by(status_change_t.c.enrolment_id)
        .subquery()
    )
    query = (
        select(enrolment_t, ended.c.ended_at, changed.c.changed_at.label("last_change"))
        .outerjoin(ended, ended.c.enrolment_id == enrolment_t.c.id)
        .outerjoin(changed, changed.c.enrolment_id == enrolment_t.c.id)
        .where(enrolment_t.c.practice_id == scope.practice_id)
    )
    if scope.patient_id:
        query = query.where(enrolment_t.c.patient_id == scope.patient_id)
    if scope.since:
        status_changed = exists().where(
            status_change_t.c.enrolment_id == enrolment_t.c.id, status_change_t.c.changed_at >= scope.since
        )
        retargeted = exists().where(
            target_t.c.patient_id == enrolment_t.c.patient_id,
            or_(target_t.c.set_at >= scope.since, target_t.c.ended_at >= scope.since),
        )
        query = query.where(or_(enrolment_t.c.created_at >= scope.since, status_changed, retargeted))
    return query.order_by(enrolment_t.c.start_date, enrolment_t.c.id)


def personal_targets(conn: Connection, scope: Scope) -> Mapping[str, mapping.PersonalTargets]:
    """patient id → measure id → the personal target in force (not ended). Small: loaded once."""
    query = (
        select(
            target_t.c.patient_id,
            target_t.c.measure_id,
            target_t.c.min_value,
            target_t.c.max_value,
            target_t.c.reason,
        )
        .join(patient_t, patient_t.c.id == target_t.c.patient_id)
        .where(patient_t.c.practice_id == scope.practice_id, target_t.c.ended_at.is_(None))
        .order_by(target_t.c.set_at, target_t.c.id)
    )
    if scope.patient_id:
        query = query.where(target_t.c.patient_id == scope.patient_id)
    found: dict[str, dict[str, tuple[float | None, float | None, str | None]]] = {}
    for row in conn.execute(query):
        found.setdefault(row.patient_id, {})[row.measure_id] = (row.min_value, row.max_value, row.reason)
    return found


def target_changes(conn: Connection, scope: Scope) -> dict[str, datetime]:
    """patient id → when a personal target was last set or ended (it changes their care plans and goals)."""
    query = (
        select(
            target_t.c.patient_id,
            func.max(target_t.c.set_at).label("set_at"),
            func.max(target_t.c.ended_at).label("ended_at"),
        )
        .join(patient_t, patient_t.c.id == target_t.c.patient_id)
        .where(patient_t.c.practice_id == scope.practice_id)
        .group_by(target_t.c.patient_id)
    )
    if scope.patient_id:
        query = query.where(target_t.c.patient_id == scope.patient_id)
    return {
        row.patient_id: max(t for t in (row.set_at, row.ended_at) if t is not None)
        for row in conn.execute(query)
    }


def _latest(*moments: datetime | None) -> datetime:
    return max(m for m in moments if m is not None)


def _condition(row: Any, catalog: Catalog) -> Resource:
    resource = mapping.condition(row, catalog.pathway(row.protocol_id))
    return mapping.stamp(resource, _latest(row.created_at, row.last_change))


def _care_plan(
    row: Any,
    catalog: Catalog,
    personal: Mapping[str, mapping.PersonalTargets],
    retargeted: dict[str, datetime],
) -> Resource:
    ended = row.ended_at
    ended_on = ended.date() if isinstance(ended, datetime) else None
    resource = mapping.care_plan(
        row, catalog.pathway(row.protocol_id), ended_on, personal.get(row.patient_id)
    )
    return mapping.stamp(resource, _latest(row.created_at, row.last_change, retargeted.get(row.patient_id)))


def _goals(
    row: Any,
    catalog: Catalog,
    personal: Mapping[str, mapping.PersonalTargets],
    retargeted: dict[str, datetime],
) -> list[Resource]:
    moment = _latest(row.created_at, row.last_change, retargeted.get(row.patient_id))
    found = mapping.goals(row, catalog.pathway(row.protocol_id), personal.get(row.patient_id))
    return [mapping.stamp(goal, moment) for goal in found]


def _consent(row: Any, catalog: Catalog) -> Resource:
    resource = mapping.consent(row, catalog.pathway(row.protocol_id))
    return mapping.stamp(resource, _latest(row.created_at, row.last_change))


def conditions(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    for row in _rows(conn, _enrolments(scope)):
        yield _condition(row, catalog)


def care_plans(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    personal = personal_targets(conn, scope)
    retargeted = target_changes(conn, scope)
    for row in _rows(conn, _enrolments(scope)):
        yield _care_plan(row, catalog, personal, retargeted)


def goals(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    personal = personal_targets(conn, scope)
    retargeted = target_changes(conn, scope)
    for row in _rows(conn, _enrolments(scope)):
        yield from _goals(row, catalog, personal, retargeted)


def consents(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    for row in _rows(conn, _enrolments(scope)):
        yield _consent(row, catalog)


def pathway_resources(conn: Connection, scope: Scope, catalog: Catalog) -> dict[str, list[Resource]]:
    """What the Condition, CarePlan, Goal and Consent streams give (the education plan's included), from
    one read of the enrolments: a patient's record needs all four at once."""
    personal = personal_targets(conn, scope)
    retargeted = target_changes(conn, scope)
    rows = list(conn.execute(_enrolments(scope)))
    return {
        "Condition": [_condition(row, catalog) for row in rows],
        "CarePlan": [
            *(_care_plan(row, catalog, personal, retargeted) for row in rows),
            *education.care_plans(conn, scope, catalog),
        ],
        "Goal": [
            *(goal for row in rows for goal in _goals(row, catalog, personal, retargeted)),
            *education.goals(conn, scope, catalog),
        ],
        "Consent": [_consent(row, catalog) for row in rows],
    }


# ---------------------------------------------------------------------------------------------------
# Sessions and what was done in them


def _current_sessions(scope: Scope) -> list[Any]:
    """Conditions on care_session shared by every session-derived query."""
    where = [session_t.c.practice_id == scope.practice_id, current_version()]
    if scope.patient_id:
        where.append(session_t.c.patient_id == scope.patient_id)
    if scope.since:
        where.append(session_t.c.updated_at >= scope.since)
    return where


def session_nurses(conn: Connection, scope: Scope) -> set[int]:
    """The nurses of the current sessions: the people every session-derived resource refers to."""
    query = select(session_t.c.nurse_id).where(*_current_sessions(scope)).distinct()
    return {row.nurse_id for row in conn.execute(query)}


def condition_ids(conn: Connection, scope: Scope) -> dict[str, dict[str, str]]:
    """patient id → protocol id → Condition id: small (one entry per enrolment), loaded once per export
    so that each Encounter can say which pathways it served."""
    query = select(enrolment_t.c.patient_id, enrolment_t.c.protocol_id, enrolment_t.c.id).where(
        enrolment_t.c.practice_id == scope.practice_id
    )
    if scope.patient_id:
        query = query.where(enrolment_t.c.patient_id == scope.patient_id)
    found: dict[str, dict[str, str]] = {}
    for row in conn.execute(query.order_by(enrolment_t.c.start_date)):
        found.setdefault(row.patient_id, {})[row.protocol_id] = mapping.condition_id(row.id)
    return found


def encounter_query(scope: Scope) -> Select[Any]:
    return select(session_t).where(*_current_sessions(scope))


def encounter(row: Any, reasons: dict[str, dict[str, str]]) -> Resource:
    return mapping.stamp(mapping.encounter(row, reasons.get(row.patient_id)), row.updated_at)


def encounters(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    reasons = condition_ids(conn, scope)
    for row in _rows(conn, encounter_query(scope).order_by(session_t.c.started_at)):
        yield encounter(row, reasons)


def observation_changed_at() -> Any:
    """When an observation last changed: its session's last change, or a lab value's entry."""
    return func.coalesce(
        session_t.c.updated_at,
        lab_result_t.c.resolved_at,
        lab_report_t.c.received_at,
        observation_t.c.effective_at,
    )


def observation_query(scope: Scope) -> Select[Any]:
    """Observations of current sessions, and lab observations not corrected since (no session)."""
    lab = and_(
        observation_t.c.session_id.is_(None),
        lab_result_t.c.practice_id == scope.practice_id,
        observation_t.c.superseded_by_id.is_(None),
    )
    if scope.patient_id:
        lab = and_(lab, lab_result_t.c.patient_id == scope.patient_id)
    # One patient's observations: said of the observation too, so that its patient index is used rather
    # than a scan of every observation the practice holds (the OR below spans two joined tables).
    own = (observation_t.c.patient_id == scope.patient_id,) if scope.patient_id else ()
    if scope.since:
        entered = func.coalesce(lab_result_t.c.resolved_at, lab_report_t.c.received_at)
        lab = and_(lab, entered >= scope.since)
    response_t = questionnaires.response_t
    return (
        select(
            observation_t,
            session_t.c.nurse_id.label("s_nurse_id"),
            session_t.c.status.label("s_status"),
            session_t.c.updated_at.label("s_updated_at"),
            lab_result_t.c.lab.label("l_lab"),
            lab_result_t.c.reported_at.label("l_reported_at"),
            func.coalesce(lab_result_t.c.resolved_at, lab_report_t.c.received_at).label("l_entered_at"),
            response_t.c.id.label("qr_id"),  # a questionnaire's total comes from its response
        )
        .select_from(
            observation_t.outerjoin(session_t, session_t.c.id == observation_t.c.session_id)
            .outerjoin(lab_result_t, lab_result_t.c.id == observation_t.c.lab_result_id)
            .outerjoin(lab_report_t, lab_report_t.c.id == lab_result_t.c.lab_report_id)
            .outerjoin(response_t, response_t.c.observation_id == observation_t.c.id)
        )
        .where(or_(and_(*_current_sessions(scope)), lab), *own)
    )


def observations(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    query = observation_query(scope)
    if scope.observation_where:
        query = query.where(or_(*scope.observation_where))
    yield from map_observations(_rows(conn, query), catalog, scope.practice_id)


def map_observations(rows: Iterator[Any], catalog: Catalog, practice_id: int) -> Iterator[Resource]:
    build = mapping.observation
    for row in rows:
        if row.session_id is None:
            resource = mapping.lab_observation(row, catalog, row.l_lab, row.l_reported_at)
            # A lab value changes only by a correction, which is a new observation: it dates from entry.
            yield mapping.stamp(resource, row.l_entered_at or row.effective_at)
        else:
            resource = build(row, catalog, row.s_nurse_id, practice_id, row.s_status)
            yield mapping.stamp(resource, row.s_updated_at)


def act_query(scope: Scope) -> Select[Any]:
    """Delegated acts of current sessions, each row with its session's columns (s_…)."""
    return (
        select(
            item_t,
            session_t.c.patient_id.label("s_patient_id"),
            session_t.c.practice_id.label("s_practice_id"),
            session_t.c.nurse_id.label("s_nurse_id"),
            session_t.c.started_at.label("s_started_at"),
            session_t.c.status.label("s_status"),
            session_t.c.updated_at.label("s_updated_at"),
        )
        .join(session_t, session_t.c.id == item_t.c.session_id)
        .where(item_t.c.kind == "act", *_current_sessions(scope))
    )


def prescribed(catalog: Catalog) -> Any:
    """SQL: the act row is a prescription (a ServiceRequest), as the catalogue says; else a Procedure."""
    pairs = [
        and_(item_t.c.protocol_id == protocol_id, item_t.c.item_id == act_id)
        for protocol_id, pathway in catalog.pathways.items()
        for act_id, info in pathway.acts.items()
        if mapping.act_resource_type(info) == "ServiceRequest"
    ]
    return or_(*pairs) if pairs else false()


def act_resource(row: Any, catalog: Catalog) -> Resource:
    """A row of act_query as a Procedure or a ServiceRequest."""
    session = SimpleNamespace(
        id=row.session_id,
        patient_id=row.s_patient_id,
        practice_id=row.s_practice_id,
        nurse_id=row.s_nurse_id,
        started_at=row.s_started_at,
        status=row.s_status,
        updated_at=row.s_updated_at,
    )
    resource = mapping.delegated_act(row, session, catalog.act(row.protocol_id, row.item_id))  # type: ignore[arg-type]
    return mapping.stamp(resource, row.s_updated_at)


def _act_resources(resource_type: str) -> Callable[[Connection, Scope, Catalog], Iterator[Resource]]:
    def stream(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
        for row in _rows(conn, act_query(scope)):
            if mapping.act_resource_type(catalog.act(row.protocol_id, row.item_id)) == resource_type:
                yield act_resource(row, catalog)

    return stream


def flag_query(scope: Scope) -> Select[Any]:
    query = select(alert_t).where(alert_t.c.practice_id == scope.practice_id)
    if scope.patient_id:
        query = query.where(alert_t.c.patient_id == scope.patient_id)
    if scope.since:
        query = query.where(flag_changed_since(scope.since))
    return query


def flag_changed_since(since: datetime) -> Any:
    """SQL: the alert was raised or acknowledged since (its Flag's lastUpdated is the later of both)."""
    return or_(alert_t.c.raised_at >= since, alert_t.c.acknowledged_at >= since)


def flag(row: Any) -> Resource:
    return mapping.stamp(mapping.flag(row), _latest(row.raised_at, row.acknowledged_at))


def flags(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    for row in _rows(conn, flag_query(scope).order_by(alert_t.c.raised_at)):
        yield flag(row)


def audit_where(scope: Scope) -> list[Any]:
    """Conditions on audit_event: the scope's events (order them by id)."""
    where = [audit_t.c.practice_id == scope.practice_id]
    if scope.patient_id:
        where.append(audit_t.c.patient_id == scope.patient_id)
    elif scope.patient_level:
        where.append(audit_t.c.patient_id.is_not(None))
    if scope.since:
        where.append(audit_t.c.at >= scope.since)
    return where


def audit_query(scope: Scope) -> Select[Any]:
    return (
        select(audit_t, user_t.c.role.label("u_role"), user_t.c.display_name.label("u_name"))
        .outerjoin(user_t, user_t.c.id == audit_t.c.user_id)
        .where(*audit_where(scope))
        .order_by(audit_t.c.id)
    )


def audit_events(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    for row in _rows(conn, audit_query(scope)):
        yield audit_event(row)


def audit_event(row: Any) -> Resource:
    """A row of audit_event joined with its user's role and name (u_role, u_name)."""
    return mapping.stamp(mapping.audit_event(row, row.u_role, row.u_name), row.at)


Stream = Callable[[Connection, Scope, Catalog], Iterator[Resource]]


def _chain(*streams: Stream) -> Stream:
    def chained(conn: Connection, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
        for each in streams:
            yield from each(conn, scope, catalog)

    return chained


# Every type the server can emit, in the order exports write them (referenced resources first).
STREAMS: dict[str, Stream] = {
    "Organization": organizations,
    "Practitioner": practitioners,
    "PractitionerRole": practitioner_roles,
    "Questionnaire": questionnaires.questionnaires,
    "Patient": patients,
    "Condition": conditions,
    "CarePlan": _chain(care_plans, education.care_plans),
    "Goal": _chain(goals, education.goals),
    "Consent": consents,
    "Encounter": encounters,
    "QuestionnaireResponse": questionnaires.questionnaire_responses,
    "Observation": observations,
    "Procedure": _act_resources("Procedure"),
    "ServiceRequest": _act_resources("ServiceRequest"),
    "Flag": flags,
    "AuditEvent": audit_events,
}
RESOURCE_TYPES = tuple(STREAMS)
# A patient's compartment: what $everything returns (people and the practice are added as referenced).
PATIENT_TYPES = tuple(
    t
    for t in RESOURCE_TYPES
    if t not in ("Organization", "Practitioner", "PractitionerRole", "Questionnaire", "AuditEvent")
)


def stream(conn: Connection, resource_type: str, scope: Scope, catalog: Catalog) -> Iterator[Resource]:
    return STREAMS[resource_type](conn, scope, catalog)
