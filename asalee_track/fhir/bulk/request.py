"""What a client asked to export: kick-off parameters checked once, into one typed `ExportRequest` that
the job stores and its worker reads back as is."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import and_

from asalee_track.fhir import sources
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.errors import bad_request
from asalee_track.fhir.search import Params, code_condition, date_condition, date_range

OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
NDJSON = "application/fhir+ndjson"
UNSUPPORTED = ("_elements", "includeAssociatedData")
KNOWN_PARAMS = ("_outputFormat", "_type", "_since", "patient", "_typeFilter", *UNSUPPORTED)
# _typeFilter: the types and search parameters an export can filter on.
TYPE_FILTERS = {"Observation": ("code", "date")}
# Types whose rows belong to a patient: a `patient` parameter narrows them; the others come whole.
PATIENT_SCOPED = tuple(
    t for t in sources.RESOURCE_TYPES if t not in ("Organization", "Practitioner", "PractitionerRole")
)
# Patient-level exports hold the patients' data; the audit trail is exported only when asked for.
PATIENT_LEVEL_TYPES = tuple(t for t in sources.RESOURCE_TYPES if t != "AuditEvent")


@dataclass(frozen=True)
class ExportRequest:
    level: str  # system, patient, group
    types: tuple[str, ...]
    since: datetime | None = None
    group: str | None = None
    patients: tuple[str, ...] = ()
    type_filters: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        """As the job row stores it (JSON): read back by `from_params`."""
        return {
            "level": self.level,
            "_type": list(self.types),
            "_since": self.since.isoformat() if self.since else None,
            "group": self.group,
            "patient": list(self.patients),
            "_typeFilter": list(self.type_filters),
        }

    @classmethod
    def from_params(cls, stored: dict[str, Any]) -> "ExportRequest":
        """The request a job row holds; types this server no longer knows are dropped."""
        since = stored.get("_since")
        return cls(
            level=stored.get("level") or "",  # none stored: not a system export
            types=tuple(t for t in stored.get("_type") or () if t in sources.STREAMS),
            since=datetime.fromisoformat(since) if since else None,
            group=stored.get("group"),
            patients=tuple(stored.get("patient") or ()),
            type_filters=tuple(stored.get("_typeFilter") or ()),
        )

    def scope(self, practice_id: int, catalog: Catalog) -> sources.Scope:
        return sources.Scope(
            practice_id,
            patient_level=self.level != "system",
            since=self.since,
            observation_where=observation_filter(self.type_filters, catalog),
        )

    def scopes(self, scope: sources.Scope, resource_type: str) -> list[sources.Scope]:
        """With named patients, their own types are read one compartment after another."""
        if self.patients and resource_type in PATIENT_SCOPED:
            return [replace(scope, patient_id=patient_id) for patient_id in self.patients]
        return [scope]


def _values(params: Params, name: str) -> list[str]:
    return [value for key, value in params if key == name and value.strip()]


def parse_request(
    params: Params, level: str, group: str | None = None, lenient: bool = False
) -> ExportRequest:
    """Validate kick-off parameters; refuse what is not implemented rather than silently export more."""
    unknown = sorted({key for key, _ in params if key not in KNOWN_PARAMS})
    unsupported = sorted({key for key, _ in params if key in UNSUPPORTED})
    if (unknown or unsupported) and not lenient:
        raise bad_request(f"unsupported export parameter(s): {', '.join(unknown + unsupported)}")
    for output_format in _values(params, "_outputFormat"):
        if output_format not in OUTPUT_FORMATS:
            raise bad_request(f"_outputFormat {output_format!r} is not supported; use {NDJSON}")
    default = sources.RESOURCE_TYPES if level == "system" else PATIENT_LEVEL_TYPES
    requested = [t.strip() for value in _values(params, "_type") for t in value.split(",") if t.strip()]
    unknown_types = sorted(set(requested) - set(sources.RESOURCE_TYPES))
    if unknown_types:
        raise bad_request(
            f"_type {', '.join(unknown_types)} cannot be exported; known: {', '.join(sources.RESOURCE_TYPES)}"
        )
    types = tuple(t for t in sources.RESOURCE_TYPES if t in requested) if requested else default
    since_values = _values(params, "_since")
    since = date_range(since_values[-1])[0] if since_values else None
    patients = tuple(
        dict.fromkeys(
            p.strip().removeprefix("Patient/")
            for v in _values(params, "patient")
            for p in v.split(",")
            if p.strip()
        )
    )
    if patients and level == "system":
        raise bad_request("patient applies to Patient and Group exports, not to a system export")
    filters = tuple(f for f in (_type_filter(v, lenient) for v in _values(params, "_typeFilter")) if f)
    return ExportRequest(
        level=level, types=types, since=since, group=group, patients=patients, type_filters=filters
    )


def _type_filter(raw: str, lenient: bool) -> str | None:
    """`Observation?code=…&date=…`: checked now (a bad filter is refused at kick-off, not after an hour)."""
    resource_type, _, query = raw.partition("?")
    allowed = TYPE_FILTERS.get(resource_type)
    pairs = parse_qsl(query, keep_blank_values=True)
    problem = None
    if allowed is None:
        problem = f"_typeFilter on {resource_type[:40]} is not supported; only on {', '.join(TYPE_FILTERS)}"
    elif not pairs or any(name not in allowed for name, _ in pairs):
        problem = f"_typeFilter {raw[:100]!r}: {resource_type} filters on {', '.join(allowed)} only"
    else:
        for name, value in pairs:
            if name == "date":
                date_condition(sources.observation_t.c.effective_at, value)  # raises on a bad date
    if problem:
        if lenient:
            return None
        raise bad_request(problem)
    return raw


def observation_filter(filters: Sequence[str], catalog: Catalog) -> tuple[Any, ...]:
    """Each _typeFilter is an AND of its parameters; several are OR'ed (Bulk Data v2)."""
    conditions = []
    for raw in filters:
        resource_type, _, query = raw.partition("?")
        if resource_type != "Observation":
            continue
        parts = []
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name == "code":
                parts.append(code_condition(value, catalog))
            elif name == "date":
                parts.append(date_condition(sources.observation_t.c.effective_at, value))
        conditions.append(and_(*parts))
    return tuple(conditions)
