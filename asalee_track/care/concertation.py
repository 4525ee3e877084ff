"""Concertation: the nurse and the GP meet, go through a list of patients and record decisions.
Each decision appears on the patient's timeline."""

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from asalee_track.care import accounts, audit
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Invalid, NotFound
from asalee_track.care.inputs import check_text
from asalee_track.care.patients import parse_date, scoped_patient
from asalee_track.i18n import N_
from asalee_track.store.tables import Concertation, ConcertationItem, Patient
from asalee_track.store.types import utcnow


def _require_clinical(actor: Actor) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise NotFound()


def create(db: Session, actor: Actor, held_on: str, title: str, participants: list[int]) -> Concertation:
    _require_clinical(actor)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    day = parse_date(held_on)
    if day is None:
        errors["held_on"] = (N_("Enter a date as dd/mm/yyyy."), {})
    heading = check_text(errors, "title", title, 200)
    team = {user.id for user in accounts.users_of_practice(db, actor.practice_id)}
    if not set(participants) <= team:
        errors["participants"] = (N_("Choose participants from the practice's team."), {})
    if errors or day is None:
        raise Invalid(errors)
    meeting = Concertation(
        practice_id=actor.practice_id,
        held_on=day,
        title=heading,
        participants=sorted(set(participants) | {actor.user_id}),
        created_by=actor.user_id,
    )
    db.add(meeting)
    db.flush()
    audit.record(db, actor, "create", "Concertation", meeting.id)
    return meeting


def get(db: Session, actor: Actor, concertation_id: str) -> Concertation:
    _require_clinical(actor)
    meeting = db.get(Concertation, concertation_id) if len(concertation_id) <= 36 else None
    if meeting is None or meeting.practice_id != actor.practice_id:
        raise NotFound()
    return meeting


def add_patient(
    db: Session, actor: Actor, concertation_id: str, patient_id: str, reason: str
) -> ConcertationItem:
    meeting = get(db, actor, concertation_id)
    patient = scoped_patient(db, actor, patient_id)
    existing = db.exec(
        select(ConcertationItem).where(
            ConcertationItem.concertation_id == meeting.id, ConcertationItem.patient_id == patient.id
        )
    ).first()
    if existing is not None:
        return existing
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    note = check_text(errors, "reason", reason, 500)
    if errors:
        raise Invalid(errors)
    item = ConcertationItem(concertation_id=meeting.id, patient_id=patient.id, reason=note)
    db.add(item)
    db.flush()
    audit.record(
        db, actor, "update", "Concertation", meeting.id, patient_id=patient.id, detail="patient added"
    )
    return item


def record_decision(db: Session, actor: Actor, item_id: int, decision: str) -> ConcertationItem:
    _require_clinical(actor)
    item = db.get(ConcertationItem, item_id)
    if item is None:
        raise NotFound()
    get(db, actor, item.concertation_id)  # scoping: the meeting must be this practice's
    text = decision.strip()[:5000]
    if not text:
        raise Invalid({"decision": (N_("Write the decision."), {})})
    item.decision, item.decided_by, item.decided_at = text, actor.user_id, utcnow()
    db.add(item)
    audit.record(
        db,
        actor,
        "update",
        "Concertation",
        item.concertation_id,
        patient_id=item.patient_id,
        detail="decision recorded",
    )
    db.flush()
    return item


@dataclass(frozen=True)
class MeetingView:
    meeting: Concertation
    items: list[tuple[ConcertationItem, Patient]]


def view(db: Session, actor: Actor, concertation_id: str) -> MeetingView:
    meeting = get(db, actor, concertation_id)
    rows = db.exec(
        select(ConcertationItem, Patient)
        .join(Patient, col(Patient.id) == ConcertationItem.patient_id)
        .where(ConcertationItem.concertation_id == meeting.id)
        .order_by(Patient.search_key)
    ).all()
    return MeetingView(meeting, [(item, patient) for item, patient in rows])


def recent(db: Session, actor: Actor, limit: int = 30) -> list[Concertation]:
    _require_clinical(actor)
    return list(
        db.exec(
            select(Concertation)
            .where(Concertation.practice_id == actor.practice_id)
            .order_by(col(Concertation.held_on).desc())
            .limit(limit)
        ).all()
    )


def for_patient(db: Session, actor: Actor, patient_id: str) -> list[tuple[ConcertationItem, date]]:
    """The patient's discussions, newest first, with the meeting's date."""
    patient = scoped_patient(db, actor, patient_id)
    rows = db.exec(
        select(ConcertationItem, col(Concertation.held_on))
        .join(Concertation, col(Concertation.id) == ConcertationItem.concertation_id)
        .where(ConcertationItem.patient_id == patient.id)
        .order_by(col(Concertation.held_on).desc())
    ).all()
    return [(item, held_on) for item, held_on in rows]
