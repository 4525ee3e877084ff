"""The session form, built from the patient's active pathways, and the reading of what was typed.

One form, a section per pathway; a measure shared by several pathways (weight, blood pressure) is asked
once, in the first section that has it. Computed measures (BMI) are not asked: they are derived on save.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asalee_track.care.errors import Invalid
from asalee_track.care.inputs import HIDDEN_CHARACTERS, has_hidden_characters, parse_int
from asalee_track.i18n import N_, TIMEZONE
from asalee_track.protocols import (
    DelegatedAct,
    EducationTopic,
    InputRefused,
    Measure,
    Protocol,
    ProtocolSet,
    Reading,
    read_input,
)
from asalee_track.protocols.instruments import (
    PERIODS,
    HomeAverage,
    HomeReading,
    Scored,
    home_average,
    score,
)
from asalee_track.protocols.schema import HomeBloodPressure, Instrument
from asalee_track.protocols.units import format_quantity
from asalee_track.store.tables import (
    CareSession,
    HomeBpReading,
    InstrumentAnswer,
    InstrumentResponse,
    Observation,
    SessionItem,
)

KINDS = ("first", "follow-up", "phone", "group")
MAX_DURATION = 480
# A device clock a little ahead of the server's must not make "now" look like the future.
CLOCK_SKEW = timedelta(minutes=5)
_LOCAL_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::\d{2})?$")


@dataclass(frozen=True)
class FormField:
    measure: Measure
    protocol_id: str


@dataclass(frozen=True)
class FormSection:
    protocol: Protocol
    fields: list[FormField]
    education: list[EducationTopic]
    acts: list[DelegatedAct]
    instruments: list[Instrument] = field(default_factory=list)
    home_bp: HomeBloodPressure | None = None

    def home_cells(self) -> list[tuple[int, str, int]]:
        """(day, period, rank) of every cell of the home-BP grid, in reading order."""
        series = self.home_bp
        if series is None:
            return []
        return [
            (day, period, rank)
            for day in range(1, series.days + 1)
            for period in PERIODS
            for rank in range(1, series.per_period + 1)
        ]


def build_form(protocols: ProtocolSet, protocol_ids: list[str]) -> list[FormSection]:
    asked: set[str] = set()
    asked_instruments: set[str] = set()
    sections = []
    for protocol_id in protocol_ids:
        protocol = protocols.get(protocol_id)
        if protocol is None:
            continue
        derived = protocol.scored_measures
        fields = [
            FormField(m, protocol.id)
            for m in protocol.measures
            if m.computed is None and m.id not in derived and m.id not in asked
        ]
        asked.update(f.measure.id for f in fields)
        instruments = [i for i in protocol.instruments if i.id not in asked_instruments]
        asked_instruments.update(i.id for i in instruments)
        sections.append(
            FormSection(
                protocol,
                fields,
                list(protocol.education),
                list(protocol.delegated_acts),
                instruments,
                protocol.home_bp,
            )
        )
    return sections


def measure_field(sections: list[FormSection], measure_id: str) -> FormField | None:
    return next((f for s in sections for f in s.fields if f.measure.id == measure_id), None)


@dataclass
class ParsedSession:
    started_at: datetime
    duration_minutes: int
    kind: str
    notes: str | None
    readings: dict[str, tuple[FormField, Reading]] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)  # the text as the nurse typed it, kept as is
    education: list[tuple[str, str]] = field(default_factory=list)  # (protocol id, topic id)
    acts: list[tuple[str, str, str | None]] = field(default_factory=list)  # (protocol, act, outcome)
    instruments: list["ParsedInstrument"] = field(default_factory=list)
    home_series: list["ParsedSeries"] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedInstrument:
    protocol: Protocol
    instrument: Instrument
    scored: Scored


@dataclass(frozen=True)
class ParsedSeries:
    protocol: Protocol
    series: HomeBloodPressure
    readings: list[HomeReading]
    average: HomeAverage | None  # None: too few readings (they are kept all the same)


Errors = dict[str, tuple[str, dict[str, object]]]


def local_datetime_input(moment: datetime) -> str:
    """A moment as a datetime-local input shows it: Paris time, to the minute (parse_local_datetime's
    inverse)."""
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def parse_local_datetime(text: str) -> datetime | None:
    """What a datetime-local input sends, in Paris time, as UTC."""
    match = _LOCAL_DATETIME.match(text.strip())
    if not match:
        return None
    try:
        year, month, day, hour, minute = (int(g) for g in match.groups())
        local = datetime(year, month, day, hour, minute, tzinfo=TIMEZONE)
        return local.astimezone(UTC)
    except (ValueError, OverflowError):  # 0001-01-01 00:00 in Paris falls before year 1 in UTC
        return None


def read_measure(form_field: FormField, text: str, unit: str | None) -> Reading:
    """One field: raises InputRefused with a message in fr/en that names the plausible range."""
    measure = form_field.measure
    offered = measure.accepted_units or ([measure.unit] if measure.unit else [])
    if unit is not None and unit not in offered:
        unit = None  # a unit the protocol does not offer is never trusted: fall back to the canonical one
    return read_input(measure, text, unit)


def parse(sections: list[FormSection], raw: Mapping[str, str], now: datetime, locale: str) -> ParsedSession:
    """Read the whole form; every refused field is named, nothing is half-read."""
    errors: Errors = {
        name: (HIDDEN_CHARACTERS, {}) for name, text in raw.items() if has_hidden_characters(text)
    }
    started = _started_at(raw.get("started_at", ""), now, errors)
    duration = _duration(raw.get("duration_minutes", ""), errors)
    kind = raw.get("kind", "")
    if kind not in KINDS:
        errors["kind"] = (N_("Choose the kind of session."), {})
    notes = raw.get("notes", "").strip()[:10_000] or None
    parsed = ParsedSession(started or now, duration or 0, kind, notes)
    for section in sections:
        for form_field in section.fields:
            _read_field(form_field, raw, locale, parsed, errors)
        for topic in section.education:
            if raw.get(f"edu.{section.protocol.id}.{topic.id}"):
                parsed.education.append((section.protocol.id, topic.id))
        for act in section.acts:
            if raw.get(f"act.{section.protocol.id}.{act.id}"):
                outcome = raw.get(f"act_outcome.{section.protocol.id}.{act.id}", "").strip()[:500] or None
                parsed.acts.append((section.protocol.id, act.id, outcome))
        for instrument in section.instruments:
            _read_instrument(section.protocol, instrument, raw, parsed, errors)
        if section.home_bp is not None:
            _read_home_series(section, raw, locale, parsed, errors)
    contents = (parsed.readings, parsed.education, parsed.acts, parsed.instruments, parsed.home_series)
    if not errors and not (any(contents) or parsed.notes):
        errors["form"] = (
            N_("The session is empty: enter at least a measure, a topic, an act or a note."),
            {},
        )
    if errors:
        raise Invalid(errors)
    return parsed


def _read_field(
    form_field: FormField, raw: Mapping[str, str], locale: str, parsed: ParsedSession, errors: Errors
) -> None:
    name = form_field.measure.id
    text = raw.get(f"m.{name}", "").strip()
    if not text:
        return
    try:
        reading = read_measure(form_field, text, raw.get(f"u.{name}") or None)
    except InputRefused as refused:
        # Already translated by the protocol engine: passed through as is (no msgid).
        errors[f"m.{name}"] = (refused.message(locale), {})
        return
    parsed.readings[name] = (form_field, reading)
    parsed.typed[name] = text[:64]


def answer_name(protocol_id: str, instrument_id: str, item_id: str) -> str:
    return f"q.{protocol_id}.{instrument_id}.{item_id}"


def home_name(protocol_id: str, day: int, period: str, rank: int) -> str:
    return f"hbp.{protocol_id}.{day}.{period}.{rank}"


def _read_instrument(
    protocol: Protocol, instrument: Instrument, raw: Mapping[str, str], parsed: ParsedSession, errors: Errors
) -> None:
    """Answered when at least one item is: then scored, or kept as incomplete without a total."""
    answers = {
        item.id: raw.get(answer_name(protocol.id, instrument.id, item.id), "").strip()
        for item in instrument.items
    }
    if not any(answers.values()):
        return
    for item in instrument.items:
        code = answers[item.id]
        if code and code not in {option.code for option in instrument.item_options(item)}:
            name = answer_name(protocol.id, instrument.id, item.id)
            errors[name] = (N_("This answer is not one of the options of the question."), {})
            answers[item.id] = ""  # every wrong answer is named at once; nothing is saved anyway
    parsed.instruments.append(ParsedInstrument(protocol, instrument, score(instrument, answers)))


def _read_home_series(
    section: FormSection, raw: Mapping[str, str], locale: str, parsed: ParsedSession, errors: Errors
) -> None:
    protocol, series = section.protocol, section.home_bp
    assert series is not None
    systolic, diastolic = (FormField(protocol.measure(m), protocol.id) for m in (series.sbp, series.dbp))
    readings: list[HomeReading] = []
    for day, period, rank in section.home_cells():
        name = home_name(protocol.id, day, period, rank)
        typed = (raw.get(f"{name}.sbp", "").strip(), raw.get(f"{name}.dbp", "").strip())
        if not any(typed):
            continue
        if not all(typed):
            errors[name] = (N_("Enter both the systolic and the diastolic pressure of this reading."), {})
            continue
        try:
            sbp = float(read_measure(systolic, typed[0], None).value)
            dbp = float(read_measure(diastolic, typed[1], None).value)
        except InputRefused as refused:
            errors[name] = (refused.message(locale), {})
            continue
        if sbp <= dbp:
            errors[name] = (N_("The systolic pressure must be above the diastolic one."), {})
            continue
        readings.append(HomeReading(day, period, rank, sbp, dbp))
    if readings:
        parsed.home_series.append(ParsedSeries(protocol, series, readings, home_average(series, readings)))


def _started_at(text: str, now: datetime, errors: Errors) -> datetime | None:
    if not text.strip():
        return now
    started = parse_local_datetime(text)
    if started is None:
        errors["started_at"] = (N_("Enter a date and time."), {})
    elif started > now + CLOCK_SKEW:
        errors["started_at"] = (N_("The session cannot be in the future."), {})
    elif started < now - timedelta(days=366 * 20):
        errors["started_at"] = (N_("This date is too far in the past."), {})
    return started


def _duration(text: str, errors: Errors) -> int | None:
    minutes = parse_int(text, 1, MAX_DURATION)
    if minutes is None:
        errors["duration_minutes"] = (
            N_("Enter a duration in minutes, from 1 to %(max)s."),
            {"max": MAX_DURATION},
        )
    return minutes


def describe_conversion(measure: Measure, reading: Reading, locale: str) -> str | None:
    """'53 mmol/mol = 7,0 %' when the value was typed in another unit than the one it is kept in."""
    if reading.original_unit in (None, reading.unit) or isinstance(reading.value, str):
        return None
    typed = format_quantity(float(reading.original_value), reading.original_unit, locale)
    kept = format_quantity(float(reading.value), reading.unit, locale, decimals=measure.decimals)
    return f"{typed} = {kept}"


def prefill(
    session: CareSession,
    observations: list[Observation],
    items: list[SessionItem],
    responses: Sequence[tuple[InstrumentResponse, Sequence[InstrumentAnswer]]] = (),
    home_readings: Sequence[HomeBpReading] = (),
) -> dict[str, str]:
    """The form as it was typed for this session, to correct it."""
    values = {
        "started_at": local_datetime_input(session.started_at),
        "duration_minutes": str(session.duration_minutes),
        "kind": session.kind,
        "notes": session.notes or "",
    }
    for row in observations:
        if not row.computed:
            values[f"m.{row.measure_id}"] = row.original_value or ""
            values[f"u.{row.measure_id}"] = row.original_unit or row.unit or ""
    for item in items:
        prefix = "edu" if item.kind == "education" else "act"
        values[f"{prefix}.{item.protocol_id}.{item.item_id}"] = "on"
        if item.outcome:
            values[f"act_outcome.{item.protocol_id}.{item.item_id}"] = item.outcome
    for response, answers in responses:
        for answer in answers:
            name = answer_name(response.protocol_id, response.instrument_id, answer.item_id)
            values[name] = answer.answer_code
    for reading in home_readings:
        name = home_name(reading.protocol_id, reading.day, reading.period, reading.rank)
        values[f"{name}.sbp"] = f"{reading.sbp:g}"
        values[f"{name}.dbp"] = f"{reading.dbp:g}"
    return values
