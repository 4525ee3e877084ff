"""FHIR's search result parameters, shared by every search: `_sort`, `_summary=count`, `_total`,
`_elements`, `_lastUpdated`, `_include` and `_revinclude`, and `Prefer: handling=lenient`.

Patient and Observation search sort and filter in SQL (search.py); the other types are searched over a
patient's compartment or a practice-wide stream (reads.py) and use the in-memory helpers here. Includes are
resolved through reads.read, so an included resource is scoped to the caller's practice like any read.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from asalee_track.fhir import bundles, reads
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.errors import bad_request
from asalee_track.fhir.mapping import Resource
from asalee_track.fhir.search import CONTROL_PARAMS, PREFIXES, Page, date_range, paging

Params = Sequence[tuple[str, str]]
CONTROL = CONTROL_PARAMS

# The references each type's search parameters follow (R4 search parameter → top-level elements), and
# the types they may point at here. These are what _include and _revinclude accept.
INCLUDES: dict[str, dict[str, tuple[str, ...]]] = {
    "Patient": {"general-practitioner": ("generalPractitioner",), "organization": ("managingOrganization",)},
    "Observation": {
        "patient": ("subject",),
        "subject": ("subject",),
        "encounter": ("encounter",),
        "performer": ("performer",),
    },
    "Encounter": {
        "patient": ("subject",),
        "subject": ("subject",),
        "participant": ("participant",),
        "service-provider": ("serviceProvider",),
        "reason-reference": ("reasonReference",),
    },
    "Condition": {"patient": ("subject",), "subject": ("subject",)},
    "CarePlan": {
        "patient": ("subject",),
        "subject": ("subject",),
        "goal": ("goal",),
        "condition": ("addresses",),
    },
    "Goal": {"patient": ("subject",), "subject": ("subject",)},
    "Consent": {"patient": ("patient",), "organization": ("organization",)},
    "Procedure": {
        "patient": ("subject",),
        "subject": ("subject",),
        "encounter": ("encounter",),
        "performer": ("performer",),
    },
    "ServiceRequest": {
        "patient": ("subject",),
        "subject": ("subject",),
        "encounter": ("encounter",),
        "requester": ("requester",),
    },
    "Flag": {"patient": ("subject",), "subject": ("subject",), "encounter": ("encounter",)},
    "PractitionerRole": {"practitioner": ("practitioner",), "organization": ("organization",)},
}
TARGETS = {
    "patient": "Patient",
    "subject": "Patient",
    "encounter": "Encounter",
    "performer": "PractitionerRole",
    "participant": "PractitionerRole",
    "requester": "PractitionerRole",
    "general-practitioner": "PractitionerRole",
    "organization": "Organization",
    "service-provider": "Organization",
    "practitioner": "Practitioner",
    "goal": "Goal",
    "condition": "Condition",
    "reason-reference": "Condition",
}
# The clinical date of each type, for `_sort=date` (and $everything's start/end).
CARE_DATES = {
    "Observation": ("effectiveDateTime",),
    "Encounter": ("period", "start"),
    "Procedure": ("performedDateTime",),
    "ServiceRequest": ("authoredOn",),
    "Flag": ("period", "start"),
    "Condition": ("recordedDate",),
    "Consent": ("dateTime",),
    "CarePlan": ("period", "start"),
    "Goal": ("startDate",),
}


def include_names(resource_type: str) -> list[str]:
    return [f"{resource_type}:{param}" for param in INCLUDES.get(resource_type, {})]


def revinclude_names(resource_type: str) -> list[str]:
    """Revincludes need a patient to look in: offered on the patient and on their compartment's types."""
    if resource_type != "Patient" and resource_type not in reads.COMPARTMENT:
        return []
    return [
        f"{source}:{param}"
        for source, params in INCLUDES.items()
        if source in reads.COMPARTMENT
        for param in params
        if TARGETS[param] == resource_type
    ]


def sort_names(resource_type: str) -> list[str]:
    names = ["_id", "_lastUpdated"]
    if resource_type in CARE_DATES:
        names.append("date")
    if resource_type == "Patient":
        names += ["family", "name", "birthdate"]
    return names


@dataclass(frozen=True)
class Controls:
    count_only: bool = False
    total: bool = True
    elements: tuple[str, ...] | None = None
    includes: tuple[tuple[str, str], ...] = ()
    revincludes: tuple[tuple[str, str], ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()  # (name, descending)
    last_updated: tuple[str, ...] = field(default=())


def _values(params: Params, name: str) -> list[str]:
    return [value for key, value in params if key == name and value != ""]


def lenient(params: Params, allowed: Iterable[str]) -> list[tuple[str, str]]:
    """`Prefer: handling=lenient`: unknown parameters are dropped (and so not echoed in the self link)."""
    known = set(allowed) | set(CONTROL)
    return [(key, value) for key, value in params if key in known]


def parse(params: Params, resource_type: str) -> Controls:
    summary = _values(params, "_summary")
    if summary and summary[-1] not in ("count", "false"):
        raise bad_request(f"_summary={summary[-1]} is not supported; use _summary=count")
    total = _values(params, "_total")
    if total and total[-1] not in ("none", "estimate", "accurate"):
        raise bad_request("_total must be none, estimate or accurate")
    elements = None
    if _values(params, "_elements"):
        elements = tuple(e.strip() for v in _values(params, "_elements") for e in v.split(",") if e.strip())
    includes = tuple(
        _reference_param(v, include_names(resource_type), "_include") for v in _values(params, "_include")
    )
    revincludes = tuple(
        _reference_param(v, revinclude_names(resource_type), "_revinclude")
        for v in _values(params, "_revinclude")
    )
    sort: list[tuple[str, bool]] = []
    for value in _values(params, "_sort"):
        for name in value.split(","):
            bare = name.strip().removeprefix("-")
            if bare not in sort_names(resource_type):
                supported = ", ".join(sort_names(resource_type))
                raise bad_request(f"_sort={bare} is not supported on {resource_type}; use {supported}")
            sort.append((bare, name.strip().startswith("-")))
    return Controls(
        count_only=bool(summary) and summary[-1] == "count",
        total=not (total and total[-1] == "none"),
        elements=elements,
        includes=includes,
        revincludes=revincludes,
        sort=tuple(sort),
        last_updated=tuple(_values(params, "_lastUpdated")),
    )


def _reference_param(value: str, allowed: list[str], name: str) -> tuple[str, str]:
    parts = value.split(":")
    key = ":".join(parts[:2])
    if key not in allowed or (len(parts) == 3 and parts[2] != TARGETS.get(parts[1])):
        supported = ", ".join(allowed) or "none"
        raise bad_request(f"{name}={value} is not supported here; supported: {supported}")
    return parts[0], parts[1]


# ---------------------------------------------------------------------------------------------------
# In memory: the types searched over streams


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def care_date(resource: Resource) -> str | None:
    path = CARE_DATES.get(resource["resourceType"])
    value: Any = resource
    for key in path or ():
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def last_updated_matches(resource: Resource, conditions: Sequence[str]) -> bool:
    stamp = (resource.get("meta") or {}).get("lastUpdated")
    if not conditions:
        return True
    if stamp is None:
        return False
    when = moment(stamp)
    for raw in conditions:
        prefix, value = (raw[:2], raw[2:]) if raw[:2] in PREFIXES else ("eq", raw)
        start, end = date_range(value)
        ok = {
            "eq": start <= when < end,
            "ne": not (start <= when < end),
            "ge": when >= start,
            "gt": when >= end,
            "le": when < end,
            "lt": when < start,
            "sa": when >= end,
            "eb": when < start,
        }.get(prefix)
        if ok is None:
            raise bad_request(f"_lastUpdated prefix {prefix!r} is not supported")
        if not ok:
            return False
    return True


def page(matches: list[Resource], params: Params, controls: Controls) -> Page:
    """Filter by _lastUpdated, sort, and cut the page asked for."""
    count, offset = paging(params)
    kept = [r for r in matches if last_updated_matches(r, controls.last_updated)]
    if controls.sort:
        kept = sort(kept, controls.sort)
    return Page(kept[offset : offset + count], len(kept), offset, count)


def sort(resources: list[Resource], order: Sequence[tuple[str, bool]]) -> list[Resource]:
    def key(name: str) -> Callable[[Resource], Any]:
        def value(resource: Resource) -> Any:
            if name == "_id":
                return resource["id"]
            if name == "_lastUpdated":
                return moment(resource["meta"]["lastUpdated"]).timestamp()
            found = care_date(resource)
            return moment(found).timestamp() if found and "T" in found else (found or "")

        return value

    for name, descending in reversed(order):  # stable sorts, least significant key first
        resources = sorted(resources, key=key(name), reverse=descending)
    return resources


# ---------------------------------------------------------------------------------------------------
# _include and _revinclude


def _patient_of(resource: Resource) -> str | None:
    if resource["resourceType"] == "Patient":
        return str(resource["id"])
    for key in ("subject", "patient"):
        reference = (resource.get(key) or {}).get("reference", "")
        if reference.startswith("Patient/"):
            return str(reference.removeprefix("Patient/"))
    return None


def _pointers(resource: Resource, keys: Sequence[str]) -> list[str]:
    return [r for key in keys for r in bundles.references(resource.get(key))]


def included(
    conn: Connection, practice_id: int, matches: list[Resource], controls: Controls, catalog: Catalog
) -> list[Resource]:
    """The resources the matches point at (_include) and those of the patient's compartment pointing at
    them (_revinclude), each once, none already among the matches."""
    seen = {f"{r['resourceType']}/{r['id']}" for r in matches}
    found: list[Resource] = []

    def add(resource: Resource) -> None:
        key = f"{resource['resourceType']}/{resource['id']}"
        if key not in seen:
            seen.add(key)
            found.append(resource)

    for source, param in controls.includes:
        for match in matches:
            if match["resourceType"] != source:
                continue
            for reference in _pointers(match, INCLUDES[source][param]):
                kind, _, resource_id = reference.partition("/")
                if f"{kind}/{resource_id}" in seen or kind not in reads.READABLE or kind in reads.ADMIN_ONLY:
                    continue
                try:
                    add(reads.read(conn, practice_id, kind, resource_id, catalog).resource)
                except reads.Missing:
                    continue
    for source, param in controls.revincludes:
        by_patient: dict[str, list[Resource]] = {}
        for match in matches:
            patient_id = _patient_of(match)
            if patient_id is None:
                continue
            if patient_id not in by_patient:
                by_patient[patient_id] = list(reads.stream(conn, practice_id, source, catalog, patient_id))
            target = f"{match['resourceType']}/{match['id']}"
            for candidate in by_patient[patient_id]:
                if target in _pointers(candidate, INCLUDES[source][param]):
                    add(candidate)
    return found
