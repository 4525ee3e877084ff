"""What the session form tells the nurse while she types: the patient's last value of each measure, and
what the value typed would do once saved (an alert it would raise, where it stands against the target).

Read-only: the protocol engine evaluates the standing history plus the typed value in memory, as a save
would (`sessions.save` runs the same rules on the same history); nothing is written or audited here,
the form's page has already opened (and audited) the record.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from asalee_track.care import sessions, targets
from asalee_track.care.actor import Actor
from asalee_track.care.patients import scoped_patient
from asalee_track.care.session_form import parse_local_datetime
from asalee_track.protocols import Measure, Obs, ProtocolSet, Target, computed_values, evaluate
from asalee_track.store.tables import Alert, Enrolment


def last_values(db: Session, actor: Actor, patient_id: str) -> dict[str, Obs]:
    """The latest value that stands of each measure of the patient, by measure id."""
    patient = scoped_patient(db, actor, patient_id)
    return {obs.measure: obs for obs in sessions.current_history(db, patient.id)}  # oldest first


@dataclass(frozen=True)
class ForeseenAlert:
    message: dict[str, str]  # the rule's message, fr/en
    severity: str
    already_open: bool  # the save raises no second alert for a rule already open


@dataclass(frozen=True)
class Foreseen:
    alerts: list[ForeseenAlert] = field(default_factory=list)
    target: str | None = None  # "at", "above", "below"; None without a target or for a code


def foresee(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    patient_id: str,
    measure: Measure,
    value: float | str,
    when: datetime,
    now: datetime,
) -> Foreseen:
    """The rules of the patient's active pathways that the typed value (or a value computed from it,
    a BMI from a weight) would make fire, and the value against the patient's target."""
    patient = scoped_patient(db, actor, patient_id)
    history = sessions.current_history(db, patient.id)
    personal = targets.current(db, patient.id)
    starts: dict[str, date] = dict(
        db.exec(
            select(Enrolment.protocol_id, col(Enrolment.start_date)).where(
                Enrolment.patient_id == patient.id, Enrolment.status == "active"
            )
        ).all()
    )
    open_rules = set(
        db.exec(
            select(Alert.protocol_id, Alert.rule_id).where(
                Alert.patient_id == patient.id, Alert.status == "open"
            )
        ).all()
    )
    typed = Obs(measure.id, value, when)
    earlier = [obs for obs in history if obs.effective < when]  # what a computed value may draw on
    found: list[ForeseenAlert] = []
    for protocol_id in sorted(starts):
        protocol = protocols.get(protocol_id)
        if protocol is None or not protocol.has_measure(measure.id):
            continue
        derived = [
            Obs(name, number, when)
            for name, number in computed_values(protocol, {measure.id: value}, earlier).items()
        ]
        new = [typed, *derived]
        firings = evaluate(
            protocol, [*history, *new], max(now, when), targets=personal, since=starts[protocol_id]
        )
        for firing in firings:
            # Only what this value decides: a rule already firing on other measures is not news.
            if any(obs is mine for obs in firing.evidence for mine in new):
                found.append(
                    ForeseenAlert(
                        firing.message.model_dump(),
                        firing.severity,
                        (protocol_id, firing.rule_id) in open_rules,
                    )
                )
    return Foreseen(found, _against(personal.get(measure.id) or measure.target, value))


def _against(target: Target | None, value: float | str) -> str | None:
    if target is None or isinstance(value, str):
        return None
    if target.min is not None and value < target.min:
        return "below"
    if target.max is not None and value > target.max:
        return "above"
    return "at"


@dataclass(frozen=True)
class FieldCheck:
    message: str
    ok: bool
    foreseen: Foreseen | None


def check_field(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    patient_id: str,
    measure_id: str,
    typed: Mapping[str, str],
    locale: str = "fr",
) -> FieldCheck:
    """What the form says on leaving a field: the check the save will make and, for an accepted value,
    what it would raise at the session's time as typed (never later than now). Nothing is saved."""
    check = sessions.check_measure(db, actor, protocols, patient_id, measure_id, typed, locale)
    if check.measure is None or check.value is None:
        return FieldCheck(check.message, check.ok, None)
    now = datetime.now(UTC)
    when = min(parse_local_datetime(typed.get("started_at", "")) or now, now)
    foreseen = foresee(db, actor, protocols, patient_id, check.measure, check.value, when, now)
    return FieldCheck(check.message, check.ok, foreseen)
