"""Group workshops (ateliers collectifs): one session of the nurse with several patients, and one
attendance per patient (present, absent, excused). The nurse's time counts once, for the workshop."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from asalee_track.care import audit
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.care.inputs import has_hidden_characters
from asalee_track.care.patients import scoped_patient
from asalee_track.care.session_form import CLOCK_SKEW, MAX_DURATION, parse_local_datetime
from asalee_track.i18n import N_
from asalee_track.protocols import ProtocolSet
from asalee_track.store.tables import Enrolment, Patient, Workshop, WorkshopAttendance

ATTENDANCE = ("present", "absent", "excused")
MAX_PATIENTS = 40
Errors = dict[str, tuple[str, dict[str, object]]]


def _require_clinical(actor: Actor) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()


def create(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    raw: Mapping[str, str],
    attendance: Mapping[str, str],
    now: datetime,
) -> Workshop:
    """``attendance``: patient id → present, absent or excused."""
    _require_clinical(actor)
    errors: Errors = {
        name: (N_("Remove the invisible control characters from this field."), {})
        for name, text in raw.items()
        if has_hidden_characters(text)
    }
    held_at = parse_local_datetime(raw.get("held_at", ""))
    if held_at is None:
        errors["held_at"] = (N_("Enter a date and time."), {})
    elif held_at > now + CLOCK_SKEW:
        errors["held_at"] = (N_("The session cannot be in the future."), {})
    elif held_at < now - timedelta(days=366 * 20):
        errors["held_at"] = (N_("This date is too far in the past."), {})
    duration = raw.get("duration_minutes", "").strip()
    if not (duration.isascii() and duration.isdigit()) or not 1 <= int(duration) <= MAX_DURATION:
        errors["duration_minutes"] = (
            N_("Enter a duration in minutes, from 1 to %(max)s."),
            {"max": MAX_DURATION},
        )
    title = " ".join(raw.get("title", "").split())[:200]
    if not title:
        errors["title"] = (N_("Give the workshop a title."), {})
    protocol_id = raw.get("protocol_id", "").strip() or None
    if protocol_id is not None and protocol_id not in protocols:
        errors["protocol_id"] = (N_("Choose a pathway from the list."), {})
    if not attendance:
        errors["patients"] = (N_("Add at least one patient."), {})
    elif len(attendance) > MAX_PATIENTS:
        errors["patients"] = (N_("At most %(max)s patients per workshop."), {"max": MAX_PATIENTS})
    if any(status not in ATTENDANCE for status in attendance.values()):
        errors["patients"] = (N_("Choose present, absent or excused for each patient."), {})
    if errors or held_at is None:
        raise Invalid(errors)
    patients = [scoped_patient(db, actor, patient_id) for patient_id in attendance]  # 404 if not ours
    workshop = Workshop(
        practice_id=actor.practice_id,
        nurse_id=actor.user_id,
        held_at=held_at,
        duration_minutes=int(duration),
        protocol_id=protocol_id,
        title=title,
        notes=raw.get("notes", "").strip()[:5000] or None,
        created_by=actor.user_id,
    )
    db.add(workshop)
    db.flush()
    for patient in patients:
        db.add(
            WorkshopAttendance(workshop_id=workshop.id, patient_id=patient.id, status=attendance[patient.id])
        )
        audit.record(db, actor, "create", "Encounter", workshop.id, patient_id=patient.id, detail="workshop")
    db.flush()
    return workshop


@dataclass(frozen=True)
class WorkshopView:
    workshop: Workshop
    attendance: list[tuple[WorkshopAttendance, Patient]]


def view(db: Session, actor: Actor, workshop_id: str) -> WorkshopView:
    _require_clinical(actor)
    workshop = db.get(Workshop, workshop_id) if len(workshop_id) <= 36 else None
    if workshop is None or workshop.practice_id != actor.practice_id:
        raise NotFound()
    rows = db.exec(
        select(WorkshopAttendance, Patient)
        .join(Patient, col(Patient.id) == WorkshopAttendance.patient_id)
        .where(WorkshopAttendance.workshop_id == workshop.id)
        .order_by(Patient.search_key)
    ).all()
    audit.record(db, actor, "read", "Encounter", workshop.id, detail="workshop")
    return WorkshopView(workshop, [(a, p) for a, p in rows])


def recent(db: Session, actor: Actor, limit: int = 50) -> list[Workshop]:
    _require_clinical(actor)
    return list(
        db.exec(
            select(Workshop)
            .where(Workshop.practice_id == actor.practice_id)
            .order_by(col(Workshop.held_at).desc())
            .limit(limit)
        ).all()
    )


def for_patient(db: Session, actor: Actor, patient_id: str) -> list[tuple[Workshop, WorkshopAttendance]]:
    patient = scoped_patient(db, actor, patient_id)
    rows = db.exec(
        select(Workshop, WorkshopAttendance)
        .join(WorkshopAttendance, col(WorkshopAttendance.workshop_id) == Workshop.id)
        .where(WorkshopAttendance.patient_id == patient.id)
        .order_by(col(Workshop.held_at).desc())
    ).all()
    return [(w, a) for w, a in rows]


def parse_attendance(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Form fields ``attendance.<patient id>`` = status, as a map (ids bounded, blanks ignored)."""
    found: dict[str, str] = {}
    for name, value in pairs:
        if name.startswith("attendance.") and value:
            patient_id = name.removeprefix("attendance.")
            if 0 < len(patient_id) <= 36:
                found[patient_id] = value
    return found


def candidates(db: Session, actor: Actor, limit: int = 300) -> list[Patient]:
    """Patients with an active pathway, by name: who may be invited to a workshop."""
    _require_clinical(actor)
    active = select(Enrolment.patient_id).where(
        Enrolment.practice_id == actor.practice_id, Enrolment.status == "active"
    )
    return list(
        db.exec(
            select(Patient)
            .where(Patient.practice_id == actor.practice_id, col(Patient.id).in_(active))
            .order_by(Patient.search_key)
            .limit(limit)
        ).all()
    )
