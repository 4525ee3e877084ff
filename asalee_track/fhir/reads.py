"""Read by id and search by patient, for every type an export emits or a reference names.

A resource is found through the row it comes from: a short query says which patient (if any) owns the
id within the caller's practice, then that patient's compartment is mapped as an export would map it
and the resource picked out. So a read returns exactly what `$everything` and Bulk Data return, and an
id of another practice is simply not found.

Search without a patient streams the practice's resources of the type (`sources`), paging through them:
a full scan, fit for the small types (people, the practice) and for clients that then page.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from asalee_track.care.actor import CLINICAL_ROLES
from asalee_track.care.standing import current_version
from asalee_track.fhir import mapping, sources
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.mapping import Resource
from asalee_track.fhir.search import Params, check_known, patient_reference, values

# The patient's compartment: searchable by `patient` (and `subject` where the resource has one).
COMPARTMENT = (
    "Condition",
    "CarePlan",
    "Goal",
    "Consent",
    "Encounter",
    "Observation",
    "Procedure",
    "ServiceRequest",
    "Flag",
)
PRACTICE_LEVEL = ("Organization", "Practitioner", "PractitionerRole")
ADMIN_ONLY = ("AuditEvent",)
READABLE = ("Patient", *COMPARTMENT, *PRACTICE_LEVEL, *ADMIN_ONLY)
# Which resource types take `subject` as a synonym of `patient` (FHIR's own search parameters).
SUBJECT_TYPES = (
    "Condition",
    "CarePlan",
    "Goal",
    "Encounter",
    "Observation",
    "Procedure",
    "ServiceRequest",
    "Flag",
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ROLE = re.compile(r"^role-(\d{1,9})-(\d{1,9})$")


class Missing(Exception):
    """No such resource in this practice (or an id that cannot be one of ours)."""


@dataclass(frozen=True)
class Found:
    resource: Resource
    patient_id: str | None  # whose record it belongs to, for the audit trail


def _uuid(value: str) -> str:
    if not _UUID.match(value):
        raise Missing()
    return value


def _one(conn: Connection, query: Any) -> Any:
    row = conn.execute(query).first()
    if row is None:
        raise Missing()
    return row


def _enrolment_patient(conn: Connection, practice_id: int, enrolment_id: str) -> str:
    table = sources.enrolment_t
    query = select(table.c.patient_id).where(
        table.c.id == _uuid(enrolment_id), table.c.practice_id == practice_id
    )
    return str(_one(conn, query).patient_id)


def _session_patient(conn: Connection, practice_id: int, session_id: str) -> str:
    table = sources.session_t
    query = select(table.c.patient_id).where(
        table.c.id == _uuid(session_id),
        table.c.practice_id == practice_id,
        current_version(),
    )
    return str(_one(conn, query).patient_id)


def _observation_patient(conn: Connection, practice_id: int, observation_id: str, catalog: Catalog) -> str:
    """A session's observation or a lab value, as exports hold them (current versions only)."""
    exported = sources.observation_query(sources.Scope(practice_id)).where(
        sources.observation_t.c.id == _uuid(observation_id)
    )
    return str(_one(conn, exported).patient_id)


def _act_patient(conn: Connection, practice_id: int, item_id: str, catalog: Catalog) -> str:
    item, session = sources.item_t, sources.session_t
    query = (
        select(session.c.patient_id)
        .join(session, session.c.id == item.c.session_id)
        .where(
            item.c.id == _uuid(item_id),
            item.c.kind == "act",
            session.c.practice_id == practice_id,
            current_version(),
        )
    )
    return str(_one(conn, query).patient_id)


def _flag_patient(conn: Connection, practice_id: int, alert_id: str, catalog: Catalog) -> str:
    table = sources.alert_t
    query = select(table.c.patient_id).where(
        table.c.id == _uuid(alert_id), table.c.practice_id == practice_id
    )
    return str(_one(conn, query).patient_id)


def _goal_patient(conn: Connection, practice_id: int, goal_id: str, catalog: Catalog) -> str:
    """Goal ids are name-based UUIDs of (enrolment, measure): recomputed over the practice's enrolments."""
    _uuid(goal_id)
    table = sources.enrolment_t
    query = select(table.c.id, table.c.patient_id, table.c.protocol_id).where(
        table.c.practice_id == practice_id
    )
    for row in conn.execute(query.execution_options(yield_per=sources.BATCH)):
        measures = catalog.pathway(row.protocol_id).measures
        if any(mapping.goal_id(row.id, m.id) == goal_id for m in measures):
            return str(row.patient_id)
    raise Missing()


_LOCATORS: dict[str, Callable[[Connection, int, str, Catalog], str]] = {
    "Condition": lambda c, p, i, _: _enrolment_patient(
        c, p, i.removeprefix("cond-") if i.startswith("cond-") else ""
    ),
    "CarePlan": lambda c, p, i, _: _enrolment_patient(c, p, i),
    "Consent": lambda c, p, i, _: _enrolment_patient(
        c, p, i.removeprefix("consent-") if i.startswith("consent-") else ""
    ),
    "Goal": _goal_patient,
    "Encounter": lambda c, p, i, _: _session_patient(c, p, i),
    "Observation": _observation_patient,
    "Procedure": _act_patient,
    "ServiceRequest": _act_patient,
    "Flag": _flag_patient,
}


def _member(conn: Connection, practice_id: int, user_id: int) -> bool:
    user, membership = sources.user_t, sources.membership_t
    query = (
        select(user.c.id)
        .join(membership, membership.c.user_id == user.c.id)
        .where(
            user.c.id == user_id,
            membership.c.practice_id == practice_id,
            user.c.role.in_(CLINICAL_ROLES),
        )
    )
    return conn.execute(query).first() is not None


def _practice_level(
    conn: Connection, practice_id: int, resource_type: str, resource_id: str, catalog: Catalog
) -> Resource:
    scope = sources.Scope(practice_id)
    if resource_type == "Organization":
        if resource_id != mapping.org_id(practice_id):
            raise Missing()
        return next(iter(sources.organizations(conn, scope, catalog)))
    if resource_type == "Practitioner":
        number = resource_id.removeprefix("prac-")
        if not (resource_id.startswith("prac-") and number.isdigit() and len(number) <= 9):
            raise Missing()
        if not _member(conn, practice_id, int(number)):
            raise Missing()
        return next(iter(sources.practitioners(conn, scope, catalog, {int(number)})))
    match = _ROLE.match(resource_id)
    if (
        match is None
        or int(match.group(2)) != practice_id
        or not _member(conn, practice_id, int(match.group(1)))
    ):
        raise Missing()
    return next(iter(sources.practitioner_roles(conn, scope, catalog, {int(match.group(1))})))


def _audit_event(conn: Connection, practice_id: int, resource_id: str) -> Found:
    number = resource_id.removeprefix("audit-")
    if not (resource_id.startswith("audit-") and number.isdigit() and len(number) <= 18):
        raise Missing()
    audit, user = sources.audit_t, sources.user_t
    query = (
        select(audit, user.c.role.label("u_role"), user.c.display_name.label("u_name"))
        .outerjoin(user, user.c.id == audit.c.user_id)
        .where(audit.c.id == int(number), audit.c.practice_id == practice_id)
    )
    row = _one(conn, query)
    return Found(sources.audit_event(row), row.patient_id)


def read(conn: Connection, practice_id: int, resource_type: str, resource_id: str, catalog: Catalog) -> Found:
    """The resource as exports emit it; raises Missing when the practice has no such resource."""
    if resource_type in PRACTICE_LEVEL:
        return Found(_practice_level(conn, practice_id, resource_type, resource_id, catalog), None)
    if resource_type == "AuditEvent":
        return _audit_event(conn, practice_id, resource_id)
    if resource_type == "Patient":
        patient_id = _uuid(resource_id)
    else:
        patient_id = _LOCATORS[resource_type](conn, practice_id, resource_id, catalog)
    scope = sources.Scope(practice_id, patient_id=patient_id)
    for resource in sources.stream(conn, resource_type, scope, catalog):
        if resource["id"] == resource_id:
            return Found(resource, patient_id)
    raise Missing()


def stream(
    conn: Connection, practice_id: int, resource_type: str, catalog: Catalog, patient_id: str | None = None
) -> Iterator[Resource]:
    """Every resource of the type in the practice, or in one patient's compartment."""
    if patient_id is not None and not _UUID.match(patient_id):
        return iter(())
    scope = sources.Scope(practice_id, patient_id=patient_id)
    return sources.stream(conn, resource_type, scope, catalog)


def search_params(resource_type: str) -> tuple[str, ...]:
    if resource_type in COMPARTMENT or resource_type == "AuditEvent":
        return ("_id", "patient", *(("subject",) if resource_type in SUBJECT_TYPES else ()))
    return ("_id",)


def search(
    conn: Connection, practice_id: int, resource_type: str, params: Params, catalog: Catalog
) -> tuple[list[Resource], list[str]]:
    """`patient` (or `subject`) narrows to one patient's compartment, `_id` to listed ids; both repeat
    as AND, and a comma is OR within one. Returns every match, unpaged (controls.page sorts and pages
    them), and the patients named (audited)."""
    check_known(params, search_params(resource_type))
    patients = [
        patient_reference(v)
        for name in ("patient", "subject")
        for value in values(params, name)
        for v in value.split(",")
    ]
    wanted_ids = [set(value.split(",")) for value in values(params, "_id")]
    if len(set(patients)) > 1:
        resources: Iterator[Resource] = iter(())  # one patient at a time: two different ones match nothing
    else:
        resources = stream(conn, practice_id, resource_type, catalog, patients[0] if patients else None)
    matches = [r for r in resources if all(r["id"] in ids for ids in wanted_ids)]
    return matches, list(dict.fromkeys(patients))
