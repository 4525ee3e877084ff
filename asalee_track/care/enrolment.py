"""Enrolment in a pathway, with the patient's consent; pauses and ends keep their reasons."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from asalee_track import i18n
from asalee_track.care import audit, followup
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.care.inputs import check_text
from asalee_track.care.patients import find_gp, parse_date, scoped_patient
from asalee_track.i18n import N_
from asalee_track.protocols import ProtocolSet
from asalee_track.store.tables import Enrolment, EnrolmentStatusChange
from asalee_track.store.types import utcnow

CONSENT_METHODS = ("oral", "written", "electronic")
# Which status each action leads to, and from which statuses it may start.
TRANSITIONS = {
    "pause": ("paused", ("active",)),
    "resume": ("active", ("paused",)),
    "end": ("ended", ("active", "paused")),
}


@dataclass(frozen=True)
class EnrolmentView:
    enrolment: Enrolment
    changes: list[EnrolmentStatusChange]


def enrol(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    patient_id: str,
    raw: Mapping[str, str],
    today: date | None = None,
) -> Enrolment:
    """Enrol after consent. A pathway the patient is already in (active or paused) is refused."""
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()
    patient = scoped_patient(db, actor, patient_id)
    today = today or i18n.local_today()
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    protocol = protocols.get(raw.get("protocol_id", ""))
    if protocol is None:
        errors["protocol_id"] = (N_("Choose a pathway."), {})
    elif _open_enrolment(db, patient.id, protocol.id):
        errors["protocol_id"] = (N_("The patient is already enrolled in this pathway."), {})
    start = _date_field(raw, "start_date", today, errors)
    consent = _date_field(raw, "consent_date", today, errors)
    if start and consent and consent > start:
        errors["consent_date"] = (N_("Consent must be given on or before the start date."), {})
    method = raw.get("consent_method", "")
    if method not in CONSENT_METHODS:
        errors["consent_method"] = (N_("Say how consent was obtained."), {})
    gp_id = find_gp(db, actor, raw.get("referring_gp_id", ""), errors)
    if errors:
        raise Invalid(errors)
    assert protocol is not None and start and consent
    enrolment = Enrolment(
        patient_id=patient.id,
        practice_id=actor.practice_id,
        protocol_id=protocol.id,
        protocol_version=protocol.version,
        referring_gp_id=gp_id,
        start_date=start,
        consent_date=consent,
        consent_method=method,
        consent_recorded_by=actor.user_id,
    )
    db.add(enrolment)
    db.flush()
    db.add(
        EnrolmentStatusChange(
            enrolment_id=enrolment.id, status="active", changed_by=actor.user_id, reason=None
        )
    )
    followup.refresh_schedule(db, protocols, patient.id, actor.practice_id)
    audit.record(
        db,
        actor,
        "create",
        "Enrolment",
        enrolment.id,
        patient_id=patient.id,
        detail=f"{protocol.id} {protocol.version}, consent {method} {consent.isoformat()}",
    )
    return enrolment


def _date_field(
    raw: Mapping[str, str], field: str, today: date, errors: dict[str, tuple[str, dict[str, object]]]
) -> date | None:
    text = raw.get(field, "").strip()
    value = parse_date(text) if text else None
    if not text:
        errors[field] = (N_("Required."), {})
    elif value is None:
        errors[field] = (N_("Enter a date as dd/mm/yyyy."), {})
    elif value > today:
        errors[field] = (N_("The date cannot be in the future."), {})
    return value


def _open_enrolment(db: Session, patient_id: str, protocol_id: str) -> Enrolment | None:
    return db.exec(
        select(Enrolment).where(
            Enrolment.patient_id == patient_id,
            Enrolment.protocol_id == protocol_id,
            col(Enrolment.status).in_(("active", "paused")),
        )
    ).first()


def get(db: Session, actor: Actor, enrolment_id: str) -> Enrolment:
    """One enrolment of the actor's practice; anything else is not found."""
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()
    enrolment = db.get(Enrolment, enrolment_id) if len(enrolment_id) <= 36 else None
    if enrolment is None or enrolment.practice_id != actor.practice_id:
        raise NotFound()
    return enrolment


def change_status(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    enrolment_id: str,
    action: str,
    reason: str,
    now: datetime | None = None,
) -> Enrolment:
    """Pause, resume or end. Pausing and ending need a reason, kept in the enrolment's history."""
    enrolment = get(db, actor, enrolment_id)
    if action not in TRANSITIONS:
        raise Invalid({"action": (N_("Unknown action."), {})})
    status, allowed_from = TRANSITIONS[action]
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    reason = check_text(errors, "reason", reason, 500) or ""
    if errors:
        raise Invalid(errors)
    if enrolment.status not in allowed_from:
        raise Invalid({"action": (N_("This enrolment cannot be changed that way now."), {})})
    if action != "resume" and not reason:
        raise Invalid({"reason": (N_("Give a reason."), {})})
    enrolment.status = status
    db.add(enrolment)
    db.add(
        EnrolmentStatusChange(
            enrolment_id=enrolment.id,
            status=status,
            reason=reason or None,
            changed_by=actor.user_id,
            changed_at=now or utcnow(),
        )
    )
    audit.record(
        db,
        actor,
        "update",
        "Enrolment",
        enrolment.id,
        patient_id=enrolment.patient_id,
        detail=f"{action}: {reason}" if reason else action,
    )
    db.flush()
    followup.refresh_schedule(db, protocols, enrolment.patient_id, enrolment.practice_id)
    return enrolment


def for_patient(db: Session, actor: Actor, patient_id: str) -> list[EnrolmentView]:
    """The patient's enrolments, active first, each with its history (newest change first)."""
    patient = scoped_patient(db, actor, patient_id)
    enrolments = db.exec(
        select(Enrolment).where(Enrolment.patient_id == patient.id).order_by(col(Enrolment.start_date))
    ).all()
    changes = db.exec(
        select(EnrolmentStatusChange)
        .where(col(EnrolmentStatusChange.enrolment_id).in_([e.id for e in enrolments]))
        .order_by(col(EnrolmentStatusChange.id).desc())
    ).all()
    order = {"active": 0, "paused": 1, "ended": 2}
    return [
        EnrolmentView(e, [c for c in changes if c.enrolment_id == e.id])
        for e in sorted(enrolments, key=lambda e: order.get(e.status, 3))
    ]


def active_protocol_ids(db: Session, patient_id: str) -> list[str]:
    return list(followup.active_starts(db, patient_id))
