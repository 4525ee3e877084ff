"""FHIR search on Patient (name, birthdate, identifier) and Observation (patient, code, date).

Parameters come as (name, value) pairs because FHIR repeats them (`date=ge2024-01-01&date=lt2025-01-01`
is a range). Results are paged with `_count` and `_offset`; the Bundle says the `total` and links to the
next page. Everything is scoped to the caller's practice.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, or_, select
from sqlalchemy.engine import Connection

from asalee_track.care.identity import fold, normalise_nir
from asalee_track.care.inputs import MAX_ID, has_hidden_characters, parse_int
from asalee_track.fhir import bundles, codes, mapping, sources
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.errors import bad_request
from asalee_track.fhir.mapping import Resource
from asalee_track.protocols import TIMEZONE  # dates without a time are days there, as typed

Params = Sequence[tuple[str, str]]
DEFAULT_COUNT = 50
MAX_COUNT = 500
PREFIXES = ("eq", "ne", "ge", "le", "gt", "lt", "sa", "eb", "ap")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?)?)?$")
PATIENT_PARAMS = ("name", "birthdate", "identifier", "_id")
OBSERVATION_PARAMS = ("patient", "subject", "code", "date")
# Paging and the result parameters (controls.py) every search accepts beside its own.
CONTROL_PARAMS = (
    "_count",
    "_offset",
    "_format",
    "_sort",
    "_summary",
    "_total",
    "_elements",
    "_include",
    "_revinclude",
    "_lastUpdated",
)


@dataclass(frozen=True)
class Page:
    resources: list[Resource]
    total: int
    offset: int
    count: int


def values(params: Params, name: str) -> list[str]:
    return [value for key, value in params if key == name and value != ""]


def paging(params: Params) -> tuple[int, int]:
    def number(name: str, default: int) -> int:
        raw = values(params, name)
        if not raw:
            return default
        value = parse_int(raw[-1], 0, MAX_ID)
        if value is None:
            raise bad_request(f"{name} must be an integer from 0 to {MAX_ID}, got {raw[-1][:20]!r}")
        return value

    return min(number("_count", DEFAULT_COUNT), MAX_COUNT), number("_offset", 0)


def check_known(params: Params, allowed: Sequence[str]) -> None:
    """Unknown parameters are refused rather than ignored: a client filtering on an unsupported
    parameter must not receive, and act on, every record of the practice."""
    unknown = sorted({key for key, _ in params if key not in allowed and key not in CONTROL_PARAMS})
    if unknown:
        raise bad_request(
            f"unsupported search parameter(s): {', '.join(unknown)}; supported: {', '.join(allowed)}"
        )
    hidden = sorted({key for key, value in params if has_hidden_characters(value)})
    if hidden:  # NUL and the like are never data (and PostgreSQL refuses NUL in text)
        raise bad_request(f"control characters in the value of: {', '.join(hidden)}")


# ---------------------------------------------------------------------------------------------------
# Dates: a value is a period (a year, a month, a day, an instant); prefixes compare against it.


def date_range(raw: str) -> tuple[datetime, datetime]:
    """`2024` → [2024-01-01, 2025-01-01) in the practice's time zone; an instant → [t, t + 1 s)."""
    match = _DATE.match(raw)
    if not match:
        raise bad_request(f"date {raw!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)")
    year, month, day, time = match.groups()
    try:
        if time:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=TIMEZONE)
            return moment, moment + timedelta(seconds=1)
        if day:
            start = datetime(int(year), int(month), int(day), tzinfo=TIMEZONE)
            return start, start + timedelta(days=1)
        if month:
            start = datetime(int(year), int(month), 1, tzinfo=TIMEZONE)
            following = date(int(year) + int(month) // 12, int(month) % 12 + 1, 1)
            return start, datetime(following.year, following.month, 1, tzinfo=TIMEZONE)
        return datetime(int(year), 1, 1, tzinfo=TIMEZONE), datetime(int(year) + 1, 1, 1, tzinfo=TIMEZONE)
    except ValueError:
        raise bad_request(f"date {raw!r} does not exist") from None


def date_condition(column: Any, raw: str) -> Any:
    prefix, value = (raw[:2], raw[2:]) if raw[:2] in PREFIXES else ("eq", raw)
    start, end = date_range(value)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    conditions = {
        "eq": (column >= start) & (column < end),
        "ne": (column < start) | (column >= end),
        "ge": column >= start,
        "gt": column >= end,
        "le": column < end,
        "lt": column < start,
        "sa": column >= end,
        "eb": column < start,
    }
    if prefix not in conditions:
        raise bad_request(f"date prefix {prefix!r} is not supported; use eq, ne, ge, gt, le, lt, sa or eb")
    return conditions[prefix]


def _birthdate_condition(column: Any, raw: str) -> Any:
    prefix, value = (raw[:2], raw[2:]) if raw[:2] in PREFIXES else ("eq", raw)
    start, end = date_range(value)
    first, after = start.date(), end.date()
    conditions = {
        "eq": (column >= first) & (column < after),
        "ne": (column < first) | (column >= after),
        "ge": column >= first,
        "gt": column >= after,
        "le": column < after,
        "lt": column < first,
    }
    if prefix not in conditions:
        raise bad_request(f"birthdate prefix {prefix!r} is not supported; use eq, ne, ge, gt, le or lt")
    return conditions[prefix]


# ---------------------------------------------------------------------------------------------------
# Patient


def _identifier_condition(raw: str, practice_id: int) -> Any:
    """An INS finds a qualified identity only: the INS of any other is not shared, not even by a match."""
    table = sources.patient_t
    system, _, value = raw.rpartition("|")
    if not value:
        raise bad_request("identifier needs a value: system|value or value")
    by_ins = (table.c.ins == normalise_nir(value)) & (table.c.identity_status == "qualifiee")
    if system == codes.INS_NIR_OID:
        return by_ins
    if system == mapping.local_id_system(practice_id):
        return table.c.local_id == value
    if system:
        return table.c.id == None  # noqa: E711 - an identifier system we never issue matches nothing
    return or_(by_ins, table.c.local_id == value)


def _name_condition(raw: str) -> Any:
    """Every word must start a word of the folded names (accent- and case-insensitive)."""
    table = sources.patient_t
    conditions = []
    for word in fold(raw).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(
                table.c.search_key.startswith(escaped, escape="\\"),
                table.c.search_key.contains(f" {escaped}", escape="\\"),
            )
        )
    return conditions


def patient_query(practice_id: int, params: Params) -> Select[Any]:
    check_known(params, PATIENT_PARAMS)
    table = sources.patient_t
    query = select(table).where(table.c.practice_id == practice_id)
    for value in values(params, "_id"):
        query = query.where(table.c.id.in_(value.split(",")))
    for value in values(params, "name"):
        query = query.where(*_name_condition(value))
    for value in values(params, "birthdate"):
        query = query.where(_birthdate_condition(table.c.birth_date, value))
    for value in values(params, "identifier"):
        query = query.where(or_(*(_identifier_condition(v, practice_id) for v in value.split(","))))
    for value in values(params, "_lastUpdated"):
        query = query.where(date_condition(table.c.updated_at, value))
    return query


def _order(params: Params, columns: dict[str, Any], default: list[Any]) -> list[Any]:
    """`_sort=a,-b` over the columns a search can sort on (unknown names were refused by controls)."""
    order = []
    for value in values(params, "_sort"):
        for name in value.split(","):
            column = columns.get(name.strip().removeprefix("-"))
            if column is not None:
                order.append(column.desc() if name.strip().startswith("-") else column.asc())
    return [*order, *default]


def search_patients(conn: Connection, practice_id: int, params: Params) -> Page:
    count, offset = paging(params)
    query = patient_query(practice_id, params)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    table = sources.patient_t
    columns = {
        "_id": table.c.id,
        "_lastUpdated": table.c.updated_at,
        "family": table.c.family_name,
        "name": table.c.search_key,
        "birthdate": table.c.birth_date,
    }
    order = _order(params, columns, [table.c.search_key, table.c.birth_date, table.c.id])
    rows: Iterable[Any] = conn.execute(query.order_by(*order).offset(offset).limit(count))  # as Patient
    return Page([mapping.patient(row) for row in rows], total, offset, count)


# ---------------------------------------------------------------------------------------------------
# Observation


def patient_reference(raw: str) -> str:
    return raw.removeprefix("Patient/").rsplit("/Patient/", 1)[-1]


def code_condition(raw: str, catalog: Catalog) -> Any:
    table = sources.observation_t
    options = []
    for token in raw.split(","):
        system, _, code = token.rpartition("|")
        measure_ids = [
            measure.id
            for measure in catalog.measures.values()
            if any(c["code"] == code and (not system or c["system"] == system) for c in measure.coding)
        ]
        if not system or system == codes.LOINC:
            options.append(table.c.loinc == code)
        if system == codes.LOCAL_MEASURE or not system:
            options.append(table.c.measure_id == code)
        if measure_ids:
            options.append(table.c.loinc.is_(None) & table.c.measure_id.in_(measure_ids))
    return or_(*options) if options else table.c.id == None  # noqa: E711


def observation_query(practice_id: int, params: Params, catalog: Catalog) -> tuple[Select[Any], list[str]]:
    """The query and the patients it names (each such read is audited against the patient)."""
    check_known(params, OBSERVATION_PARAMS)
    table = sources.observation_t
    query = sources.observation_query(sources.Scope(practice_id))
    patient_ids = [patient_reference(v) for name in ("patient", "subject") for v in values(params, name)]
    for value in patient_ids:
        query = query.where(table.c.patient_id == value)
    for value in values(params, "code"):
        query = query.where(code_condition(value, catalog))
    for value in values(params, "date"):
        query = query.where(date_condition(table.c.effective_at, value))
    for value in values(params, "_lastUpdated"):
        query = query.where(date_condition(sources.observation_changed_at(), value))
    return query, patient_ids


def search_observations(
    conn: Connection, practice_id: int, params: Params, catalog: Catalog
) -> tuple[Page, list[str]]:
    count, offset = paging(params)
    query, patient_ids = observation_query(practice_id, params, catalog)
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    table = sources.observation_t
    columns = {
        "_id": table.c.id,
        "_lastUpdated": sources.observation_changed_at(),
        "date": table.c.effective_at,
    }
    order = _order(params, columns, [table.c.effective_at.desc(), table.c.id])
    rows = conn.execute(query.order_by(*order).offset(offset).limit(count))
    return Page(
        list(sources.map_observations(iter(rows), catalog, practice_id)), total, offset, count
    ), patient_ids


# ---------------------------------------------------------------------------------------------------
# The searchset


SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}


def subset(resource: Resource, elements: Sequence[str]) -> Resource:
    """`_elements`: the listed top-level elements, with the id and meta, tagged as a subset."""
    kept = {"resourceType", "id", "meta", *elements}
    result = {key: value for key, value in resource.items() if key in kept}
    meta = dict(result.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    result["meta"] = meta
    return result


def searchset(
    page: Page,
    base: str,
    resource_type: str,
    params: Params,
    *,
    included: Sequence[Resource] = (),
    total: bool = True,
    count_only: bool = False,
    elements: Sequence[str] | None = None,
) -> Resource:
    """The Bundle of a search: matches (subsetted to `_elements`), then what `_include`/`_revinclude`
    added; `_summary=count` keeps the total only, `_total=none` drops it."""
    kept = [(k, v) for k, v in params if k not in ("_offset", "_count")]

    def url(offset: int) -> str:
        query = urlencode([*kept, ("_count", str(page.count)), ("_offset", str(offset))])
        return f"{base}/{resource_type}?{query}"

    links = {"self": url(page.offset)}
    if not count_only:
        if page.count and page.offset + page.count < page.total:
            links["next"] = url(page.offset + page.count)
        if page.offset > 0:
            links["previous"] = url(max(0, page.offset - page.count))
    matches = [] if count_only else page.resources
    if elements is not None:
        matches = [subset(r, elements) for r in matches]
    result = bundles.bundle(
        "searchset",
        matches,
        base,
        total=page.total if total or count_only else None,
        links=links,
        mode="match",
    )
    if included and not count_only:
        result.setdefault("entry", []).extend(bundles.entry(r, base, "include") for r in included)
    return result
