"""Personal follow-up intervals: a GP sets, with a reason, a patient's own interval for a measure
(HbA1c every 6 months for a patient stable at target, HAS), within the range the pathway allows
(``every_range`` in the protocol). The previous interval is ended, not overwritten, so its history
stays; the patient's stored schedule is rebuilt at once, so the worklist follows."""

import re
from collections.abc import Mapping, Sequence

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from asalee_track import i18n
from asalee_track.care import audit, enrolment, followup
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.patients import scoped_patient
from asalee_track.i18n import N_
from asalee_track.protocols import Duration, Measure, ProtocolSet, parse_duration
from asalee_track.protocols.durations import DurationError, approximate_days, in_range
from asalee_track.protocols.rules import format_duration
from asalee_track.store.db import in_lists
from asalee_track.store.tables import PersonalInterval
from asalee_track.store.types import utcnow

# "6 mois", "3 months", "2 semaines", "1 an", "90 j": what a GP types, besides ISO 8601 (P6M).
_WORDS = {
    "D": ("j", "jour", "jours", "d", "day", "days"),
    "W": ("sem", "sem.", "semaine", "semaines", "w", "wk", "week", "weeks"),
    "M": ("m", "mois", "month", "months"),
    "Y": ("a", "an", "ans", "année", "années", "y", "year", "years"),
}
_TYPED = re.compile(r"^(\d{1,4})\s*([a-zéû.]+)$")


class _Spoken:
    """A duration in the words of the locale it is shown in (formatted when the message is)."""

    def __init__(self, duration: Duration) -> None:
        self.duration = duration

    def __str__(self) -> str:
        return format_duration(self.duration, i18n.current_locale())


def parse_interval(text: str) -> Duration | None:
    """``P6M``, ``6 mois``, ``6 months``, ``26 semaines``, ``1 an``; None when it is not a duration."""
    cleaned = " ".join(text.split()).lower()
    if cleaned.startswith("p"):
        try:
            return parse_duration(cleaned.upper())
        except DurationError:
            return None
    match = _TYPED.match(cleaned)
    if match is None:
        return None
    number, word = int(match.group(1)), match.group(2)
    letter = next((key for key, words in _WORDS.items() if word in words), None)
    if letter is None or number == 0:
        return None
    return parse_duration(f"P{number}{letter}")


def allowed_range(
    protocols: ProtocolSet, protocol_ids: list[str], measure_id: str
) -> tuple[Measure, list[Duration]] | None:
    """The measure and the range every active pathway that schedules it allows (their intersection),
    or None when no pathway lets its interval be set per patient."""
    found: Measure | None = None
    shortest: Duration | None = None
    longest: Duration | None = None
    for protocol_id in protocol_ids:
        protocol = protocols.get(protocol_id)
        if protocol is None or not protocol.has_measure(measure_id):
            continue
        measure = protocol.measure(measure_id)
        if measure.every is None or measure.every_range is None:
            continue
        found = found or measure
        low, high = measure.every_range
        if shortest is None or approximate_days(low) > approximate_days(shortest):
            shortest = low
        if longest is None or approximate_days(high) < approximate_days(longest):
            longest = high
    if found is None or shortest is None or longest is None:
        return None
    return found, [shortest, longest]


def set_interval(
    db: Session, actor: Actor, protocols: ProtocolSet, patient_id: str, raw: Mapping[str, str]
) -> PersonalInterval:
    if actor.role != "gp":
        raise Forbidden()
    patient = scoped_patient(db, actor, patient_id)
    found = allowed_range(protocols, enrolment.active_protocol_ids(db, patient.id), raw.get("measure_id", ""))
    if found is None:
        raise Invalid(
            {
                "interval_measure": (
                    N_("Choose a measure whose interval the patient's pathways let you set."),
                    {},
                )
            }
        )
    measure, allowed = found
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    every = parse_interval(raw.get("every", ""))
    shortest, longest = (_Spoken(bound) for bound in allowed)
    if every is None:
        errors["every"] = (
            N_("Enter an interval such as “6 mois”, between %(shortest)s and %(longest)s."),
            {"shortest": shortest, "longest": longest},
        )
    elif not in_range(every, allowed):
        errors["every"] = (
            N_("%(measure)s: the pathway allows an interval between %(shortest)s and %(longest)s."),
            {"measure": measure.label.fr, "shortest": shortest, "longest": longest},
        )
    reason = " ".join(raw.get("reason", "").split())[:500]
    if not reason:
        errors["interval_reason"] = (N_("Give a reason."), {})
    if errors:
        raise Invalid(errors)
    assert every is not None
    for previous in db.exec(
        _current_query(patient.id).where(PersonalInterval.measure_id == measure.id)
    ).all():
        previous.ended_at = utcnow()
        db.add(previous)
    row = PersonalInterval(
        patient_id=patient.id, measure_id=measure.id, every=every.iso(), reason=reason, set_by=actor.user_id
    )
    db.add(row)
    db.flush()
    followup.refresh_schedule(db, protocols, patient.id, actor.practice_id)
    audit.record(
        db,
        actor,
        "create",
        "CarePlan",
        row.id,
        patient_id=patient.id,
        detail=f"{measure.id}: every {row.every} ({reason})"[:500],
    )
    return row


def _current_query(patient_id: str) -> SelectOfScalar[PersonalInterval]:
    return select(PersonalInterval).where(
        PersonalInterval.patient_id == patient_id, col(PersonalInterval.ended_at).is_(None)
    )


def current(db: Session, patient_id: str) -> dict[str, Duration]:
    """The intervals in force for a patient, as the scheduler takes them."""
    return in_force(db.exec(_current_query(patient_id)).all())


def in_force(rows: Sequence[PersonalInterval]) -> dict[str, Duration]:
    """The intervals in force among a patient's rows (their `history`, or the current ones)."""
    return {row.measure_id: parse_duration(row.every) for row in rows if row.ended_at is None}


def current_for(db: Session, patient_ids: list[str]) -> dict[str, dict[str, Duration]]:
    """The same, for many patients (dashboard), in bounded queries."""
    intervals: dict[str, dict[str, Duration]] = {}
    for chunk in in_lists(patient_ids):
        rows = db.exec(
            select(PersonalInterval).where(
                col(PersonalInterval.patient_id).in_(chunk),
                col(PersonalInterval.ended_at).is_(None),
            )
        ).all()
        for row in rows:
            intervals.setdefault(row.patient_id, {})[row.measure_id] = parse_duration(row.every)
    return intervals


def history(db: Session, patient_id: str) -> list[PersonalInterval]:
    return list(
        db.exec(
            select(PersonalInterval)
            .where(PersonalInterval.patient_id == patient_id)
            .order_by(col(PersonalInterval.set_at).desc(), col(PersonalInterval.id).desc())
        ).all()
    )
