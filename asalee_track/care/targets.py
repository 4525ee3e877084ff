"""Personal targets: a GP sets a patient's own target for a measure (HbA1c ≤ 6.5 % for some, ≤ 8 % for
the frail), with a reason. The previous target is ended, not overwritten, so its history stays."""

from collections.abc import Mapping, Sequence

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from asalee_track.care import audit, enrolment
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.inputs import check_text
from asalee_track.care.patients import scoped_patient
from asalee_track.i18n import N_
from asalee_track.protocols import InputRefused, Measure, ProtocolSet, Target, parse_number
from asalee_track.store.tables import PersonalTarget
from asalee_track.store.types import utcnow


def measure_of(protocols: ProtocolSet, protocol_ids: list[str], measure_id: str) -> Measure | None:
    for protocol_id in protocol_ids:
        protocol = protocols.get(protocol_id)
        if protocol is not None and protocol.has_measure(measure_id):
            return protocol.measure(measure_id)
    return None


def set_target(
    db: Session, actor: Actor, protocols: ProtocolSet, patient_id: str, raw: Mapping[str, str]
) -> PersonalTarget:
    if actor.role != "gp":
        raise Forbidden()
    patient = scoped_patient(db, actor, patient_id)
    measure = measure_of(protocols, enrolment.active_protocol_ids(db, patient.id), raw.get("measure_id", ""))
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    if measure is None or measure.kind == "coded":
        raise Invalid({"measure_id": (N_("Choose a measure of the patient's pathways."), {})})
    low = _bound(raw.get("min_value", ""), "min_value", measure, errors)
    high = _bound(raw.get("max_value", ""), "max_value", measure, errors)
    if low is None and high is None and not errors:
        errors["max_value"] = (N_("Give a lower bound, an upper bound or both."), {})
    if low is not None and high is not None and low > high:
        errors["min_value"] = (N_("The lower bound is above the upper bound."), {})
    reason = check_text(errors, "reason", raw.get("reason", ""), 500) or ""
    if not reason and "reason" not in errors:
        errors["reason"] = (N_("Give a reason."), {})
    if errors:
        raise Invalid(errors)
    for previous in db.exec(_current_query(patient.id).where(PersonalTarget.measure_id == measure.id)).all():
        previous.ended_at = utcnow()
        db.add(previous)
    target = PersonalTarget(
        patient_id=patient.id,
        measure_id=measure.id,
        min_value=low,
        max_value=high,
        reason=reason,
        set_by=actor.user_id,
    )
    db.add(target)
    db.flush()
    audit.record(
        db,
        actor,
        "create",
        "Goal",
        target.id,
        patient_id=patient.id,
        detail=f"{measure.id}: {low} – {high} ({reason})",
    )
    return target


def _bound(
    text: str, field: str, measure: Measure, errors: dict[str, tuple[str, dict[str, object]]]
) -> float | None:
    if not text.strip():
        return None
    try:
        value = parse_number(text)
    except InputRefused:
        errors[field] = (N_("Enter a number."), {})
        return None
    low, high = measure.plausible or (float("-inf"), float("inf"))
    if not low <= value <= high:
        errors[field] = (N_("Outside the plausible range %(low)s–%(high)s."), {"low": low, "high": high})
    return value


def _current_query(patient_id: str) -> SelectOfScalar[PersonalTarget]:
    return select(PersonalTarget).where(
        PersonalTarget.patient_id == patient_id, col(PersonalTarget.ended_at).is_(None)
    )


def current(db: Session, patient_id: str) -> dict[str, Target]:
    """The targets in force for a patient, as the rules engine takes them."""
    return in_force(db.exec(_current_query(patient_id)).all())


def in_force(rows: Sequence[PersonalTarget]) -> dict[str, Target]:
    """The targets in force among a patient's rows (their `history`, or the current ones)."""
    return {
        row.measure_id: Target(min=row.min_value, max=row.max_value) for row in rows if row.ended_at is None
    }


def current_for(db: Session, patient_ids: list[str]) -> dict[str, dict[str, Target]]:
    """The same, for many patients in one query (worklist, dashboard)."""
    targets: dict[str, dict[str, Target]] = {}
    rows = db.exec(
        select(PersonalTarget).where(
            col(PersonalTarget.patient_id).in_(patient_ids), col(PersonalTarget.ended_at).is_(None)
        )
    ).all()
    for row in rows:
        targets.setdefault(row.patient_id, {})[row.measure_id] = Target(min=row.min_value, max=row.max_value)
    return targets


def history(db: Session, patient_id: str) -> list[PersonalTarget]:
    return list(
        db.exec(
            select(PersonalTarget)
            .where(PersonalTarget.patient_id == patient_id)
            .order_by(col(PersonalTarget.set_at).desc())
        ).all()
    )


def effective(measure: Measure, personal: Mapping[str, Target]) -> Target | None:
    """The personal target when there is one, else the protocol's."""
    return personal.get(measure.id) or measure.target


def meets(value: float, target: Target) -> bool:
    return (target.min is None or value >= target.min) and (target.max is None or value <= target.max)
