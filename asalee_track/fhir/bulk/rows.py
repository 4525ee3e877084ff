"""The export's largest types (Observation, Encounter, AuditEvent: nearly every resource of a practice)
built straight from the driver's rows, for speed; every other type goes through `sources.stream`.

Why not the general path: read through SQLAlchemy, each stored time is parsed into a datetime and
formatted back, and each row is a Row read by attribute; the code, category and profile of a measure
were rebuilt for each of its values. Here the columns come untyped (what the driver returns), each
distinct stored time is converted once with the column's own result processor (a session's ten
observations share two), and what depends only on the measure, the nurse or the action is built once
and shared. The output is the same, key for key and byte for byte, as `mapping` makes it: the tests
compare both on the same rows.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import islice
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Select, or_, select, type_coerce
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import Label
from sqlalchemy.types import NullType

from asalee_track.fhir import codes, mapping, sources
from asalee_track.fhir.catalog import Catalog
from asalee_track.fhir.mapping import Resource

_CACHE_LIMIT = 4096  # distinct times kept: a session's observations come together


class _Columns:
    """A query's columns read untyped, with what the ORM would have done to each value at hand."""

    def __init__(self, query: Select[Any], dialect: Dialect) -> None:
        columns = list(query.selected_columns)
        self.names = [column.name for column in columns]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.processors = [_processor(column.type, dialect) for column in columns]
        self.raw = query.with_only_columns(
            *(
                type_coerce(column.element if isinstance(column, Label) else column, NullType()).label(
                    column.name
                )
                for column in columns
            )
        )

    def processor(self, name: str) -> Callable[[Any], Any]:
        return self.processors[self.index[name]] or _same

    def typed(self, row: Any) -> SimpleNamespace:
        """The row as the general path reads it (rare rows that keep to `mapping`)."""
        return SimpleNamespace(
            **{
                name: process(value) if process else value
                for name, process, value in zip(self.names, self.processors, row, strict=True)
            }
        )


def _processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What the ORM does to a value of this type read from this dialect's driver."""
    if getattr(column_type, "asdecimal", None) is False:
        return None  # floats come as floats (psycopg would otherwise want the column's type code)
    return column_type.dialect_impl(dialect).result_processor(dialect, None)


def _same(value: Any) -> Any:
    return value


class _Times:
    """Stored time → (ISO text, versionId), computed as `mapping` does, once per distinct value."""

    def __init__(self, process: Callable[[Any], Any]) -> None:
        self.process = process
        self.seen: dict[Any, tuple[str, str]] = {}

    def __call__(self, raw: Any) -> tuple[str, str]:
        found = self.seen.get(raw)
        if found is None:
            found = self._sqlite(raw) if type(raw) is str else None
            if found is None:
                found = self._convert(raw)
            if len(self.seen) >= _CACHE_LIMIT:
                self.seen.clear()
            self.seen[raw] = found
        return found

    def _convert(self, raw: Any) -> tuple[str, str]:
        moment = self.process(raw)
        return moment.isoformat(), str(int(moment.timestamp() * 1_000_000))

    def _sqlite(self, raw: str) -> tuple[str, str] | None:
        """SQLite's text, `2016-01-01 08:00:00.000000` (UTC, as the column type writes it): the same ISO
        text as `isoformat()` by rewriting it, and the same float arithmetic as `timestamp()`
        (microseconds since the epoch divided by 10**6, times 10**6, truncated). Other forms: None."""
        if len(raw) != 26 or raw[10] != " " or raw[19] != ".":
            return None
        try:
            total = (_from_iso(raw) - _EPOCH) // _MICROSECOND
        except ValueError:
            return None
        iso = (raw[:19] if raw.endswith("000000") else raw).replace(" ", "T") + "+00:00"
        return iso, str(int(total / 1_000_000 * 1_000_000))

    def uncached(self, raw: Any) -> tuple[str, str]:
        """For times that do not repeat (audit events)."""
        return (self._sqlite(raw) if type(raw) is str else None) or self._convert(raw)


_EPOCH = datetime(1970, 1, 1)  # naive, as SQLite's text reads
_MICROSECOND = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)
_from_iso = datetime.fromisoformat


def _batches(conn: Connection, query: Select[*tuple[Any, ...]]) -> Iterator[Sequence[Any]]:
    if conn.dialect.name == "sqlite":
        # SQLite reads as it goes (no server-side cursor): the driver's own tuples, without a Row each.
        result = conn.execute(query)
        try:
            cursor = result.cursor
            while batch := cursor.fetchmany(sources.BATCH):
                yield batch
        finally:
            result.close()
        return
    yield from conn.execute(query.execution_options(yield_per=sources.BATCH)).partitions()


def _partitions(conn: Connection, query: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    for batch in _batches(conn, query):
        yield from batch


# ---------------------------------------------------------------------------------------------------
# Observation


class _MeasureShape:
    """What every value of one measure (and LOINC code) shares."""

    __slots__ = ("answers", "category", "code", "decimals", "measure", "profile", "profile_text", "text")

    def __init__(self, catalog: Catalog, measure_id: str, loinc: str | None) -> None:
        measure = catalog.measure(measure_id, loinc)
        self.measure = measure
        self.category = mapping._CATEGORIES.get(
            measure.category if measure else "", mapping._CATEGORIES["exam"]
        )
        self.code = mapping._observation_code(SimpleNamespace(measure_id=measure_id, loinc=loinc), measure)  # type: ignore[arg-type]
        self.decimals = measure.decimals if measure else None
        self.answers = measure.answers if measure else {}
        vital = None
        if measure is not None and measure.category == "vital-signs":
            vital = mapping.vital_sign_profile(self.code["coding"])
        self.profile = [mapping.profile(vital)] if vital else None
        # Serialised: `"category":…,"code":…` and `,"profile":[…]` (or nothing)
        self.text = f'"category":{_json(self.category)},"code":{_json(self.code)}'
        self.profile_text = f',"profile":{_json(self.profile)}' if self.profile else ""


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def observation_lines(conn: Connection, scope: sources.Scope, catalog: Catalog) -> Iterator[list[bytes]]:
    """The NDJSON lines, a fetched batch at a time, in the key order `mapping` and `stamp` give: what a
    measure shares (category, code, profile) and what a session's values share (subject, encounter,
    time, performer: they come together) serialised once, the rest of each line around them. Text a
    row holds goes through orjson."""
    query = sources.observation_query(scope)
    if scope.observation_where:
        query = query.where(or_(*scope.observation_where))
    columns = _Columns(query, conn.dialect)
    at = columns.index
    i_id, i_patient, i_session, i_measure, i_loinc = (
        at["id"],
        at["patient_id"],
        at["session_id"],
        at["measure_id"],
        at["loinc"],
    )
    i_num, i_code, i_system, i_unit = at["value_num"], at["value_code"], at["value_system"], at["unit"]
    i_original, i_original_unit, i_computed = at["original_value"], at["original_unit"], at["computed"]
    i_effective, i_status, i_nurse, i_s_status = (
        at["effective_at"],
        at["status"],
        at["s_nurse_id"],
        at["s_status"],
    )
    i_updated, i_response = at["s_updated_at"], at["qr_id"]
    effective = _Times(columns.processor("effective_at"))
    updated = _Times(columns.processor("s_updated_at"))
    shapes: dict[tuple[str, str | None], _MeasureShape] = {}
    texts: dict[Any, str] = {}  # statuses and units, serialised
    units: dict[Any, str] = {}  # `,"unit":…,"system":…,"code":…}` of a quantity
    practice_id = scope.practice_id
    quantity_value, dumps, newline = mapping.quantity_value, orjson.dumps, orjson.OPT_APPEND_NEWLINE
    last: tuple[Any, ...] | None = None
    context = ""
    for batch in _batches(conn, columns.raw):
        out: list[bytes] = []
        append = out.append
        for row in batch:
            session_id = row[i_session]
            if session_id is None:  # a laboratory's value: rare, kept to the general path
                typed = columns.typed(row)
                lab = mapping.lab_observation(typed, catalog, typed.l_lab, typed.l_reported_at)  # type: ignore[arg-type]
                append(dumps(mapping.stamp(lab, typed.l_entered_at or typed.effective_at), option=newline))
                continue
            key = (row[i_measure], row[i_loinc])
            shape = shapes.get(key)
            if shape is None:
                shape = shapes[key] = _MeasureShape(catalog, *key)
            shared = (row[i_patient], session_id, row[i_effective], row[i_nurse])
            if shared != last:
                last = shared
                context = _observation_context(*shared, practice_id, effective)
            status = "entered-in-error" if row[i_s_status] == "entered-in-error" else row[i_status]
            status_text = texts.get(status)
            if status_text is None:
                status_text = texts[status] = _json(status)
            last_updated, version = updated(row[i_updated])
            meta = f',"meta":{{"versionId":"{version}","lastUpdated":"{last_updated}"'
            value_num, unit, original_unit = row[i_num], row[i_unit], row[i_original_unit]
            converted = bool(original_unit and original_unit != unit)
            if value_num is not None:
                unit_text = units.get(unit)
                if unit_text is None:
                    unit_code = _json(unit or "1")
                    unit_text = units[unit] = (
                        f',"unit":{unit_code},"system":{_json(codes.UCUM)},"code":{unit_code}}}'
                    )
                number = dumps(quantity_value(value_num, shape.decimals, converted)).decode()
                value = f',"valueQuantity":{{"value":{number}{unit_text}'
                if shape.profile_text:  # mapping sets meta (for the profile) before what follows
                    value += meta + shape.profile_text + "}"
                    meta = ""
            elif row[i_code] is not None:
                value_code = row[i_code]
                answer = shape.answers.get(value_code) if shape.measure else None
                coding = answer or mapping._coding(mapping._value_system(row[i_system]), value_code)
                value = f',"valueCodeableConcept":{{"coding":[{_json(coding)}]}}'
            else:
                value = _ABSENT
            tail = ""
            if converted and row[i_original]:
                tail = f',"note":[{{"text":{_json(f"Entered as {row[i_original]} {original_unit}")}}}]'
            if row[i_computed]:
                tail += ',"method":{"text":"Computed by asalee-track"}'
            response_id = row[i_response]
            if response_id:
                tail += f',"derivedFrom":[{_json(mapping.ref("QuestionnaireResponse", response_id))}]'
            if meta:  # not written with the profile yet
                tail += meta + "}"
            append(
                f'{{"resourceType":"Observation","id":{_json(row[i_id])},"status":{status_text},'
                f"{shape.text},{context}{value}{tail}}}\n".encode()
            )
        yield out


_ABSENT = ',"dataAbsentReason":' + _json(
    {"coding": [mapping._coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown")]}
)


def _observation_context(
    patient_id: Any, session_id: Any, effective_at: Any, nurse_id: Any, practice_id: int, times: _Times
) -> str:
    """`"subject":…,"encounter":…,"effectiveDateTime":…,"performer":[…]`, as `mapping` writes them."""
    subject, encounter = _json(f"Patient/{patient_id}"), _json(f"Encounter/{session_id}")
    performer = _json([mapping.role_ref(nurse_id, practice_id)])
    return (
        f'"subject":{{"reference":{subject}}},"encounter":{{"reference":{encounter}}},'
        f'"effectiveDateTime":"{times(effective_at)[0]}","performer":{performer}'
    )


# ---------------------------------------------------------------------------------------------------
# Encounter


def encounters(conn: Connection, scope: sources.Scope, catalog: Catalog) -> Iterator[Resource]:
    reasons = sources.condition_ids(conn, scope)
    c = sources.session_t.c
    query = (  # only what the resource needs: notes and the correction columns stay behind
        select(
            c.id,
            c.patient_id,
            c.practice_id,
            c.nurse_id,
            c.started_at,
            c.duration_minutes,
            c.kind,
            c.pathways,
            c.status,
            c.updated_at,
        )
        .where(*sources._current_sessions(scope))
        .order_by(c.started_at)
    )
    columns = _Columns(query, conn.dialect)
    at = columns.index
    i_id, i_patient, i_practice, i_nurse = at["id"], at["patient_id"], at["practice_id"], at["nurse_id"]
    i_started, i_minutes, i_kind, i_pathways = (
        at["started_at"],
        at["duration_minutes"],
        at["kind"],
        at["pathways"],
    )
    i_status, i_updated = at["status"], at["updated_at"]
    started_at = columns.processor("started_at")
    pathways_of = columns.processor("pathways")
    updated = _Times(columns.processor("updated_at"))
    ambulatory = mapping._coding(codes.V3_ACT_CODE, "AMB", "ambulatory")
    virtual = mapping._coding(codes.V3_ACT_CODE, "VR", "virtual")
    kinds: dict[str, list[dict[str, Any]]] = {}
    participants: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    providers: dict[Any, dict[str, str]] = {}
    primary = [{"coding": [mapping._coding(codes.PARTICIPANT_TYPE, "PPRF", "primary performer")]}]
    served: dict[tuple[Any, str], list[dict[str, str]]] = {}
    for row in _partitions(conn, columns.raw):
        kind, nurse, practice = row[i_kind], row[i_nurse], row[i_practice]
        session_type = kinds.get(kind)
        if session_type is None:
            session_type = kinds[kind] = [
                {"coding": [mapping._coding(codes.LOCAL_SESSION_KIND, kind)], "text": kind}
            ]
        participant = participants.get((nurse, practice))
        if participant is None:
            participant = participants[nurse, practice] = [
                {"type": primary, "individual": mapping.role_ref(nurse, practice)}
            ]
        minutes, raw_start = row[i_minutes], row[i_started]
        period = _period(raw_start, minutes) if type(raw_start) is str else None
        if period is None:
            start = started_at(raw_start)
            period = {"start": start.isoformat(), "end": (start + timedelta(minutes=minutes)).isoformat()}
        resource: Resource = {
            "resourceType": "Encounter",
            "id": row[i_id],
            "status": "entered-in-error" if row[i_status] == "entered-in-error" else "finished",
            "class": virtual if kind == "phone" else ambulatory,
            "type": session_type,
            "subject": {"reference": f"Patient/{row[i_patient]}"},
            "participant": participant,
            "period": period,
            "length": {"value": minutes, "unit": "min", "system": codes.UCUM, "code": "min"},
        }
        conditions = reasons.get(row[i_patient])
        if conditions:
            raw_pathways = row[i_pathways]
            # A patient's sessions mostly serve the same pathways: the stored JSON text decoded once.
            cached = type(raw_pathways) is str
            found = served.get((row[i_patient], raw_pathways)) if cached else None
            if found is None:
                found = [
                    mapping.ref("Condition", conditions[p])
                    for p in pathways_of(raw_pathways) or ()
                    if p in conditions
                ]
                if cached:
                    if len(served) >= _CACHE_LIMIT:
                        served.clear()
                    served[row[i_patient], raw_pathways] = found
            if found:
                resource["reasonReference"] = found
        provider = providers.get(practice)
        if provider is None:
            provider = providers[practice] = mapping.ref("Organization", mapping.org_id(practice))
        resource["serviceProvider"] = provider
        last_updated, version = updated(row[i_updated])
        resource["meta"] = {"versionId": version, "lastUpdated": last_updated}
        yield resource


def _period(raw: str, minutes: int) -> dict[str, str] | None:
    """An Encounter's period from SQLite's text `2016-01-01 08:00:00.000000` (UTC), as `isoformat()`
    writes the stored time and its end, without the column type's regular expression. Other forms: None."""
    if len(raw) != 26 or raw[10] != " " or raw[19] != ".":
        return None
    try:
        start = _from_iso(raw)
    except ValueError:
        return None
    if start.tzinfo is not None:  # an offset in the text: the column type's conversion
        return None
    end = start + timedelta(minutes=minutes)
    return {"start": start.isoformat() + "+00:00", "end": end.isoformat() + "+00:00"}


# ---------------------------------------------------------------------------------------------------
# AuditEvent


def audit_lines(conn: Connection, scope: sources.Scope, catalog: Catalog) -> Iterator[list[bytes]]:
    """The NDJSON lines themselves, a fetched batch at a time: an event is mostly what its action, user
    and outcome share, and what its patient, object and detail make of its entities, so both parts are
    serialised once and the line assembled around them. Only text the server makes (ids, instants) goes
    in unescaped; what a row holds as text (ids, details) goes through orjson.

    Only the columns the resource needs are read, and the user's role and name are looked up once per
    user rather than joined to every event: on SQLite, reading the hash columns and the join cost more
    than a third of the whole."""
    a = sources.audit_t.c
    query = (
        select(a.id, a.at, a.user_id, a.action, a.object_type, a.object_id, a.patient_id, a.outcome, a.detail)
        .where(*sources.audit_where(scope))
        .order_by(a.id)
    )
    columns = _Columns(query, conn.dialect)
    instant = _Times(columns.processor("at")).uncached  # every event has its own
    practice = scope.practice_id  # every event read has it (audit_where)
    people: dict[Any, tuple[Any, Any]] = {}
    heads: dict[tuple[Any, ...], tuple[str, str]] = {}
    entities = _AuditEntities()
    from_iso, epoch, second = _from_iso, _EPOCH, _SECOND
    for batch in _batches(conn, columns.raw):
        out: list[bytes] = []
        append = out.append
        for event_id, at, user_id, action, object_type, object_id, patient_id, outcome, detail in batch:
            key = (action, user_id, outcome)
            head = heads.get(key)
            if head is None:
                person = people.get(user_id)
                if person is None:
                    person = people[user_id] = _person(conn, user_id)
                head = heads[key] = _audit_head_text(_audit_head(action, user_id, *person, practice, outcome))
            entity = entities(patient_id, object_type, object_id, detail)
            # SQLite's text, `2016-01-01 08:00:00.000000` (as _Times._sqlite, inlined: one per event)
            if type(at) is str and len(at) == 26 and at[10] == " " and at[19] == ".":
                try:
                    version = int((from_iso(at) - epoch) / second * 1_000_000)
                except (ValueError, TypeError):
                    recorded, stamp = instant(at)
                else:
                    stamp = str(version)
                    # isoformat() leaves out a zero fraction
                    clock = at[11:19] if at[20:] == "000000" else at[11:]
                    recorded = f"{at[:10]}T{clock}+00:00"
            else:
                recorded, stamp = instant(at)
            append(
                f'{{"resourceType":"AuditEvent","id":"audit-{event_id or 0}{head[0]}{recorded}{head[1]}'
                f'{entity}"meta":{{"versionId":"{stamp}","lastUpdated":"{recorded}"}}}}\n'.encode()
            )
        yield out


def _person(conn: Connection, user_id: Any) -> tuple[Any, Any]:
    """A user's role and name, as the general path's join gives them (None, None: no such user)."""
    if user_id is None:
        return None, None
    user = sources.user_t.c
    found = conn.execute(select(user.role, user.display_name).where(user.id == user_id)).first()
    return (found[0], found[1]) if found else (None, None)


_PART_LIMIT = 1 << 16  # distinct parts kept of each kind: every patient of a large practice


class _AuditEntities:
    """`"entity":[…],` as `mapping` makes it, or nothing: assembled from its parts (the patient, the
    object, the detail), each serialised once. orjson writes a list as its items' own text joined by
    commas, so the line is the same. Whole entities repeat too rarely in a large practice (a patient's
    reads of other objects, interleaved with every other patient's) for a cache of them to hold."""

    def __init__(self) -> None:
        self.patients: dict[str, str] = {}
        self.objects: dict[tuple[str, str | None], str] = {}
        self.details: dict[str, str] = {}

    def __call__(
        self, patient_id: str | None, object_type: str | None, object_id: str | None, detail: str | None
    ) -> str:
        parts = []
        if patient_id:
            parts.append(self._part(self.patients, patient_id, _patient_entity))
        if object_type and object_type != "Patient":
            parts.append(self._part(self.objects, (object_type, object_id), _object_entity))
        if detail:
            parts.append(self._part(self.details, detail, _detail_entity))
        return '"entity":[' + ",".join(parts) + "]," if parts else ""

    @staticmethod
    def _part(kept: dict[Any, str], key: Any, make: Callable[[Any], dict[str, Any]]) -> str:
        found = kept.get(key)
        if found is None:
            if len(kept) >= _PART_LIMIT:
                kept.clear()
            found = kept[key] = orjson.dumps(make(key)).decode()
        return found


def _patient_entity(patient_id: str) -> dict[str, Any]:
    return {"what": {"reference": f"Patient/{patient_id}"}, "type": _PERSON}


def _object_entity(key: tuple[str, str | None]) -> dict[str, Any]:
    object_type, object_id = key
    entity: dict[str, Any] = {"name": object_type}
    if object_id:
        entity["what"] = {"identifier": {"system": codes.LOCAL_CODES, "value": f"{object_type}/{object_id}"}}
    return entity


def _detail_entity(detail: str) -> dict[str, Any]:
    return {"description": detail}


_PERSON = mapping._coding(codes.AUDIT_ENTITY_TYPE, "1", "Person")


def _audit_head_text(head: tuple[Any, ...]) -> tuple[str, str]:
    """The serialised parts around `recorded`, up to where entity (or meta) begins."""

    def dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

    before = '","type":' + dumps(head[0]) + ',"subtype":' + dumps(head[1])
    before += ',"action":' + dumps(head[2]) + ',"recorded":"'
    after = '","outcome":' + dumps(head[3]) + ',"agent":' + dumps(head[4]) + ',"source":' + dumps(head[5])
    if head[6] is not None:  # mapping adds it after the source
        after += ',"outcomeDesc":' + dumps(head[6])
    return before, after + ","


def _audit_head(
    action: str, user_id: int | None, role: str | None, name: str | None, practice: int | None, outcome: str
) -> tuple[Any, ...]:
    """type, subtype, action, outcome, agent, source, outcomeDesc (None: not written): as `mapping`."""
    type_code, type_display, letter = mapping._AUDIT_TYPES.get(action, ("110110", "Patient Record", "E"))
    source = {
        "site": "asalee-track",
        "observer": mapping.ref("Organization", mapping.org_id(practice))
        if practice
        else {"display": "asalee-track"},
        "type": [mapping._coding(codes.AUDIT_SOURCE_TYPE, "4", "Application Server")],
    }
    outcomes = mapping._AUDIT_OUTCOMES
    return (
        mapping._coding(codes.DICOM_DCM, type_code, type_display),
        [mapping._coding(codes.LOCAL_CODES, f"audit-{action}", action)],
        mapping._AUDIT_ACTIONS.get(action, letter),
        outcomes.get(outcome, "4"),
        [_agent(user_id, role, name)],
        source,
        outcome if outcome != "success" and outcome in outcomes else None,
    )


def _agent(user_id: int | None, role: str | None, name: str | None) -> dict[str, Any]:
    agent: dict[str, Any] = {"requestor": True}
    if user_id is not None and role in ("nurse", "gp"):
        agent["who"] = mapping.ref("Practitioner", mapping.prac_id(user_id))
    elif user_id is not None:
        agent["who"] = {"identifier": {"system": codes.LOCAL_USER_ID, "value": str(user_id)}}
    if name:
        agent["name"] = name
    return agent


FAST: dict[str, sources.Stream] = {
    "Encounter": encounters,
}
LINES: dict[str, Callable[[Connection, sources.Scope, Catalog], Iterator[list[bytes]]]] = {
    "Observation": observation_lines,
    "AuditEvent": audit_lines,
}


def stream(
    conn: Connection, resource_type: str, scope: sources.Scope, catalog: Catalog
) -> Iterator[Resource]:
    """The resources of one type, as `sources.stream` yields them."""
    return FAST.get(resource_type, sources.STREAMS[resource_type])(conn, scope, catalog)


def batches(
    conn: Connection, resource_type: str, scope: sources.Scope, catalog: Catalog
) -> Iterator[list[bytes]]:
    """The NDJSON lines of one type, each resource as `orjson.dumps` writes it and a newline, a list
    at a time: the writer then costs a call per batch, not per line."""
    if resource_type in LINES:
        return LINES[resource_type](conn, scope, catalog)
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    resources = stream(conn, resource_type, scope, catalog)
    return _batched(dumps(resource, option=newline) for resource in resources)


def _batched(items: Iterable[bytes]) -> Iterator[list[bytes]]:
    items = iter(items)
    while batch := list(islice(items, sources.BATCH)):
        yield batch


def lines(conn: Connection, resource_type: str, scope: sources.Scope, catalog: Catalog) -> Iterator[bytes]:
    """The NDJSON lines of one type, one by one."""
    for batch in batches(conn, resource_type, scope, catalog):
        yield from batch
