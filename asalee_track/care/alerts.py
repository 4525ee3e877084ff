"""Alerts: a GP acknowledges them, with an optional comment; they stay in the history."""

from sqlmodel import Session, col, select

from asalee_track.care import audit, worklist_entries
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.care.inputs import check_text
from asalee_track.care.patients import scoped_patient
from asalee_track.i18n import N_
from asalee_track.store.tables import Alert
from asalee_track.store.types import utcnow

RELEVANCE = {"yes": True, "no": False, "": None}


def acknowledge(db: Session, actor: Actor, alert_id: str, comment: str, relevant: str = "") -> Alert:
    """Only GPs acknowledge: the alert is a question the nurse asks the doctor. The GP may say whether
    it was relevant (``yes``/``no``): the yearly cooperation report counts it."""
    alert = get(db, actor, alert_id)
    if actor.role != "gp":
        raise Forbidden()
    if alert.status != "open":
        raise Invalid({"comment": (N_("This alert is no longer open."), {})})
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    note = check_text(errors, "comment", comment, 2000)
    if relevant not in RELEVANCE:  # shown where the comment's message goes: one place per alert
        errors.setdefault("comment", (N_("Say whether the alert was relevant, or leave it blank."), {}))
    if errors:
        raise Invalid(errors)
    alert.relevant = RELEVANCE[relevant]
    alert.status = "acknowledged"
    alert.acknowledged_by = actor.user_id
    alert.acknowledged_at = utcnow()
    alert.comment = note
    db.add(alert)
    worklist_entries.moved(db, alert.patient_id)
    detail = f"acknowledged, relevant: {relevant or '-'}"
    audit.record(db, actor, "update", "Flag", alert.id, patient_id=alert.patient_id, detail=detail)
    db.flush()
    return alert


def for_patient(db: Session, actor: Actor, patient_id: str) -> list[Alert]:
    """Every alert of the patient, open first, then newest first."""
    patient = scoped_patient(db, actor, patient_id)
    rows = db.exec(
        select(Alert).where(Alert.patient_id == patient.id).order_by(col(Alert.raised_at).desc())
    ).all()
    return sorted(rows, key=lambda alert: alert.status != "open")


def get(db: Session, actor: Actor, alert_id: str) -> Alert:
    alert = db.get(Alert, alert_id) if len(alert_id) <= 36 else None
    if alert is None or alert.practice_id != actor.practice_id:
        raise NotFound()
    return alert
