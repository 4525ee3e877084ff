"""`Patient/{id}/$everything` (FHIR R4 OperationDefinition Patient-everything): the patient's whole
record as a searchset, paged with `_count` (next links), narrowed by `_since`, `_type`, `start`, `end`.

Ten years of follow-up hold thousands of observations: the large types (encounters, questionnaire
responses, observations, acts, alerts) are counted, filtered and paged in the database, and only the
page's rows are mapped. The few resources of the other types (the patient, the practice and the people
referenced, a condition, care plan, consent and some goals per pathway) are mapped whole and filtered
here. Entries come type by type in the order exports write them; within a type paged in the database,
by id: the order holds from one page to the next.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, not_, select
from sqlalchemy.engine import Connection

from asalee_track.fhir import bundles, controls, questionnaires, sources
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.errors import bad_request, not_found
from asalee_track.fhir.mapping import Resource
from asalee_track.fhir.search import Params, date_range, paging, values

PARAMS = ("_count", "_offset", "_format", "_since", "_type", "start", "end")
# Mapped whole (a handful per pathway), in export order; the people are found from what refers to them.
SMALL = ("Condition", "CarePlan", "Goal", "Consent")


def _instant(raw: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(
            f"{name} must be an instant with its time zone, e.g. 2025-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise bad_request(f"{name} must carry a time zone (Z or +01:00)")
    return moment


def _day(value: str) -> date:
    return controls.moment(value).date() if "T" in value else date.fromisoformat(value[:10])


@dataclass(frozen=True)
class Filters:
    """What `_type`, `_since`, `start` and `end` keep (the last value of each counts)."""

    types: frozenset[str]
    since: datetime | None
    start: date | None  # care dates from this day on (the day of the stored UTC instant)…
    end: date | None  # …and before this one

    def keeps(self, resource: Resource) -> bool:
        """start/end bound the care date of the resources that have one (an observation's effective
        time, an encounter's start…); the others (the patient, the people, the practice) stay."""
        if self.types and resource["resourceType"] not in self.types:
            return False
        if self.since and controls.moment(resource["meta"]["lastUpdated"]) < self.since:
            return False
        when = controls.care_date(resource)
        if when and self.start and _day(when) < self.start:
            return False
        return not (when and self.end and _day(when) >= self.end)


def filters(params: Params) -> Filters:
    since = [_instant(v, "_since") for v in values(params, "_since")]
    types = {t.strip() for v in values(params, "_type") for t in v.split(",") if t.strip()}
    start = [date_range(v)[0].date() for v in values(params, "start")]
    end = [date_range(v)[1].date() for v in values(params, "end")]
    return Filters(
        frozenset(types),
        since[-1] if since else None,
        start[-1] if start else None,
        end[-1] if end else None,
    )


# ---------------------------------------------------------------------------------------------------
# The types paged in the database

Build = Callable[[Connection, sources.Scope, Catalog, list[Any]], list[Resource]]


@dataclass(frozen=True)
class Paged:
    rows: Callable[[sources.Scope, Catalog], Select[Any]]  # the type's rows in the patient's record
    key: Any  # the column of the resource id: the order within the type
    changed_since: Callable[[datetime], Any]  # SQL: meta.lastUpdated is at or after the instant
    care_date: Any | None  # the column of the care date start/end bound, if the type has one
    build: Build  # a page of rows → its resources, mapped as exports map them

    def narrowed(self, scope: sources.Scope, catalog: Catalog, kept: Filters) -> Select[Any]:
        query = self.rows(scope, catalog)
        if kept.since:
            query = query.where(self.changed_since(kept.since))
        if self.care_date is not None and kept.start:
            query = query.where(self.care_date >= _midnight(kept.start))
        if self.care_date is not None and kept.end:
            query = query.where(self.care_date < _midnight(kept.end))
        return query


def _midnight(day: date) -> datetime:
    """Care dates are compared by the day of their stored UTC instant (see Filters.keeps)."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def _encounters(conn: Connection, scope: sources.Scope, catalog: Catalog, rows: list[Any]) -> list[Resource]:
    reasons = sources.condition_ids(conn, scope)
    return [sources.encounter(row, reasons) for row in rows]


def _responses(conn: Connection, scope: sources.Scope, catalog: Catalog, rows: list[Any]) -> list[Resource]:
    answers = questionnaires.answers_of(conn, [row.id for row in rows])
    return [questionnaires.questionnaire_response(row, answers[row.id], catalog) for row in rows]


def _observations(
    conn: Connection, scope: sources.Scope, catalog: Catalog, rows: list[Any]
) -> list[Resource]:
    return list(sources.map_observations(iter(rows), catalog, scope.practice_id))


def _acts(conn: Connection, scope: sources.Scope, catalog: Catalog, rows: list[Any]) -> list[Resource]:
    return [sources.act_resource(row, catalog) for row in rows]


def _flags(conn: Connection, scope: sources.Scope, catalog: Catalog, rows: list[Any]) -> list[Resource]:
    return [sources.flag(row) for row in rows]


_session = sources.session_t


def _session_changed(since: datetime) -> Any:
    return _session.c.updated_at >= since


PAGED: dict[str, Paged] = {  # in export order, after the SMALL types
    "Encounter": Paged(
        lambda scope, _catalog: sources.encounter_query(scope),
        _session.c.id,
        _session_changed,
        _session.c.started_at,
        _encounters,
    ),
    "QuestionnaireResponse": Paged(
        lambda scope, _catalog: questionnaires.response_query(scope),
        questionnaires.response_t.c.id,
        _session_changed,
        None,
        _responses,
    ),
    "Observation": Paged(
        lambda scope, _catalog: sources.observation_query(scope),
        sources.observation_t.c.id,
        lambda since: sources.observation_changed_at() >= since,
        sources.observation_t.c.effective_at,
        _observations,
    ),
    "Procedure": Paged(
        lambda scope, catalog: sources.act_query(scope).where(not_(sources.prescribed(catalog))),
        sources.item_t.c.id,
        _session_changed,
        _session.c.started_at,
        _acts,
    ),
    "ServiceRequest": Paged(
        lambda scope, catalog: sources.act_query(scope).where(sources.prescribed(catalog)),
        sources.item_t.c.id,
        _session_changed,
        _session.c.started_at,
        _acts,
    ),
    "Flag": Paged(
        lambda scope, _catalog: sources.flag_query(scope),
        sources.alert_t.c.id,
        sources.flag_changed_since,
        sources.alert_t.c.raised_at,
        _flags,
    ),
}


def _counts(conn: Connection, queries: dict[str, Select[Any]]) -> dict[str, int]:
    """Every type's count in one round trip."""
    if not queries:
        return {}
    counts = [
        select(func.count()).select_from(query.subquery()).scalar_subquery().label(f"n{index}")
        for index, query in enumerate(queries.values())
    ]
    row = conn.execute(select(*counts)).one()
    return {resource_type: int(row[index]) for index, resource_type in enumerate(queries)}


# ---------------------------------------------------------------------------------------------------
# The record


def _small(
    conn: Connection,
    scope: sources.Scope,
    catalog: Catalog,
    patient: Resource,
    wanted: Callable[[str], bool],
) -> list[Resource]:
    """The patient, the practice, the people referenced anywhere in the record, then the SMALL types."""
    people = wanted("Practitioner") or wanted("PractitionerRole")
    clinical: list[Resource] = []
    if people or any(wanted(resource_type) for resource_type in SMALL):
        pathways = sources.pathway_resources(conn, scope, catalog)
        clinical = [resource for resource_type in SMALL for resource in pathways[resource_type]]
    found = [patient]
    everyone = sources.Scope(scope.practice_id)
    if wanted("Organization"):
        found += sources.organizations(conn, everyone, catalog)
    if people:
        users = bundles.referenced_users([patient, *clinical]) | sources.session_nurses(conn, scope)
        if wanted("Practitioner"):
            found += sources.practitioners(conn, everyone, catalog, users)
        if wanted("PractitionerRole"):
            found += sources.practitioner_roles(conn, everyone, catalog, users)
    return found + clinical


def everything(
    conn: Connection,
    practice_id: int,
    patient_id: str,
    catalog: Catalog,
    base: str,
    params: Params,
    allow: Callable[[str], bool] = lambda _type: True,
) -> Resource:
    """`allow` says which types the caller may read (a SMART client's scopes)."""
    scope = sources.Scope(practice_id, patient_id=patient_id)
    patient = next(iter(sources.patients(conn, scope, catalog)), None)
    if patient is None:
        raise not_found(f"Patient/{patient_id} is not known in this practice")
    count, offset = paging(params)
    kept = filters(params)

    def wanted(resource_type: str) -> bool:
        return allow(resource_type) and (not kept.types or resource_type in kept.types)

    small = [
        r
        for r in _small(conn, scope, catalog, patient, wanted)
        if wanted(r["resourceType"]) and kept.keeps(r)
    ]
    queries = {t: paged.narrowed(scope, catalog, kept) for t, paged in PAGED.items() if wanted(t)}
    sizes = _counts(conn, queries)
    page = small[offset : offset + count]
    skip, room = max(0, offset - len(small)), count - len(page)
    for resource_type, query in queries.items():
        size = sizes[resource_type]
        if room <= 0:
            break
        if skip >= size:
            skip -= size
            continue
        paged = PAGED[resource_type]
        rows = list(conn.execute(query.order_by(paged.key).offset(skip).limit(min(room, size - skip))))
        page += paged.build(conn, scope, catalog, rows)
        skip, room = 0, room - len(rows)
    return _bundle(page, len(small) + sum(sizes.values()), patient_id, params, base, count, offset)


def _bundle(
    page: list[Resource], total: int, patient_id: str, params: Params, base: str, count: int, offset: int
) -> Resource:
    others = [(k, v) for k, v in params if k not in ("_count", "_offset")]

    def url(at: int) -> str:
        query = urlencode([*others, ("_count", str(count)), ("_offset", str(at))])
        return f"{base}/Patient/{patient_id}/$everything?{query}"

    links = {"self": url(offset)}
    if offset + count < total:
        links["next"] = url(offset + count)
    if offset > 0:
        links["previous"] = url(max(0, offset - count))
    result = bundles.bundle("searchset", [], base, total=total, links=links)
    entries = [
        bundles.entry(
            r, base, "match" if r["resourceType"] == "Patient" and r["id"] == patient_id else "include"
        )
        for r in page
    ]
    if entries:
        result["entry"] = entries
    return result
