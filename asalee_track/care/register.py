"""Two registers the yearly cooperation report reads: adverse events (filled in by the nurse or the
GP) and refusals of a pathway offered to a patient. Rows are never edited nor deleted."""

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session, col, select

from asalee_track.care import audit
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.inputs import has_hidden_characters
from asalee_track.care.patients import parse_date, scoped_patient
from asalee_track.i18n import N_
from asalee_track.protocols import ProtocolSet
from asalee_track.store.tables import AdverseEvent, EnrolmentRefusal

SEVERITIES = ("mild", "moderate", "severe")
Errors = dict[str, tuple[str, dict[str, object]]]


def _require_clinical(actor: Actor) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()


def _day(text: str, today: date, errors: Errors, name: str) -> date | None:
    day = parse_date(text) if text.strip() else today
    if day is None:
        errors[name] = (N_("Enter a date as dd/mm/yyyy."), {})
    elif day > today:
        errors[name] = (N_("This date is in the future."), {})
    return day


def _clean(raw: Mapping[str, str], errors: Errors) -> None:
    for name, text in raw.items():
        if has_hidden_characters(text):
            errors[name] = (N_("Remove the invisible control characters from this field."), {})


def report_adverse_event(
    db: Session, actor: Actor, protocols: ProtocolSet, raw: Mapping[str, str], today: date
) -> AdverseEvent:
    _require_clinical(actor)
    errors: Errors = {}
    _clean(raw, errors)
    occurred = _day(raw.get("occurred_on", ""), today, errors, "occurred_on")
    severity = raw.get("severity", "")
    if severity not in SEVERITIES:
        errors["severity"] = (N_("Choose the severity."), {})
    description = raw.get("description", "").strip()[:2000]
    if not description:
        errors["description"] = (N_("Describe what happened."), {})
    protocol_id = raw.get("protocol_id", "").strip() or None
    if protocol_id is not None and protocol_id not in protocols:
        errors["protocol_id"] = (N_("Choose a pathway from the list."), {})
    patient_id = raw.get("patient_id", "").strip()[:36] or None
    if errors:
        raise Invalid(errors)
    patient = scoped_patient(db, actor, patient_id) if patient_id else None
    event = AdverseEvent(
        practice_id=actor.practice_id,
        patient_id=patient.id if patient else None,
        protocol_id=protocol_id,
        occurred_on=occurred or today,
        severity=severity,
        description=description,
        action_taken=raw.get("action_taken", "").strip()[:2000] or None,
        reported_by=actor.user_id,
    )
    db.add(event)
    db.flush()
    audit.record(db, actor, "create", "AdverseEvent", event.id, patient_id=event.patient_id)
    return event


def adverse_events(db: Session, actor: Actor, limit: int = 100) -> list[AdverseEvent]:
    _require_clinical(actor)
    return list(
        db.exec(
            select(AdverseEvent)
            .where(AdverseEvent.practice_id == actor.practice_id)
            .order_by(col(AdverseEvent.occurred_on).desc(), col(AdverseEvent.id).desc())
            .limit(limit)
        ).all()
    )


def record_refusal(
    db: Session, actor: Actor, protocols: ProtocolSet, patient_id: str, raw: Mapping[str, str], today: date
) -> EnrolmentRefusal:
    """The patient declined the pathway offered: kept with the reason they gave."""
    _require_clinical(actor)
    patient = scoped_patient(db, actor, patient_id)
    errors: Errors = {}
    _clean(raw, errors)
    protocol_id = raw.get("protocol_id", "")
    if protocol_id not in protocols:
        errors["refusal_protocol_id"] = (N_("Choose a pathway from the list."), {})
    reason = " ".join(raw.get("reason", "").split())[:500]
    if not reason:
        errors["refusal_reason"] = (N_("Give a reason."), {})
    refused = _day(raw.get("refused_on", ""), today, errors, "refused_on")
    if errors:
        raise Invalid(errors)
    row = EnrolmentRefusal(
        practice_id=actor.practice_id,
        patient_id=patient.id,
        protocol_id=protocol_id,
        refused_on=refused or today,
        reason=reason,
        recorded_by=actor.user_id,
    )
    db.add(row)
    db.flush()
    audit.record(
        db, actor, "create", "Consent", f"refusal-{row.id}", patient_id=patient.id, detail=protocol_id
    )
    return row
