"""Who is due, overdue or lost to follow-up, snoozed reminders, and the practice's morning worklist.

Definitions (clinical intervals and grace live in the protocol files; the rest are design defaults
agreed with the GPs, in `protocols.schedule`): a measure is *due* when its interval has elapsed since its
last value (or since enrolment), *overdue* after the grace period, *lost to follow-up* when overdue for
more than 12 months. Lost patients are counted apart, not put on the morning list.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from asalee_track.care import audit
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Invalid
from asalee_track.care.patients import CLINICAL_ROLES, scoped_patient
from asalee_track.i18n import N_
from asalee_track.protocols import DueItem, Obs, ProtocolSet, due_items
from asalee_track.store.tables import (
    Alert,
    CareSession,
    Enrolment,
    MeasureLatest,
    Observation,
    Patient,
    ReminderSnooze,
)

SNOOZE_REASONS = ("will-come", "unreachable", "other")
MAX_SNOOZE_DAYS = 180
SEVERITY_RANK = {"high": 0, "moderate": 1, "low": 2}
STATUS_RANK = {"overdue": 0, "due": 1, "lost": 2, "ok": 3}


def refresh_latest(db: Session, patient_id: str, practice_id: int) -> None:
    """Rebuild the patient's rows of the derived `measure_latest` from the values that stand."""
    db.exec(delete(MeasureLatest).where(col(MeasureLatest.patient_id) == patient_id))  # type: ignore[call-overload]
    rows = db.exec(
        select(Observation.measure_id, func.max(Observation.effective_at))
        .join(CareSession, col(CareSession.id) == Observation.session_id)
        .where(
            Observation.patient_id == patient_id,
            col(CareSession.superseded_by_id).is_(None),
            CareSession.status != "entered-in-error",
        )
        .group_by(Observation.measure_id)
    ).all()
    for measure_id, last_at in rows:
        db.add(
            MeasureLatest(
                patient_id=patient_id,
                measure_id=measure_id,
                practice_id=practice_id,
                last_at=last_at if last_at.tzinfo else last_at.replace(tzinfo=UTC),
            )
        )
    db.flush()


def latest_times(db: Session, practice_id: int) -> dict[str, dict[str, datetime]]:
    """When each measure was last taken, for every patient of the practice.

    Read through the driver directly: tens of thousands of rows, where the ORM's per-value processing
    costs more than the query (SQLite hands back ISO text, PostgreSQL datetimes)."""
    latest: dict[str, dict[str, datetime]] = defaultdict(dict)
    rows = db.connection().exec_driver_sql(
        "SELECT patient_id, measure_id, last_at FROM measure_latest WHERE practice_id = "
        + ("?" if db.get_bind().dialect.paramstyle == "qmark" else "%s"),
        (practice_id,),
    )
    for patient_id, measure_id, last_at in rows:
        when = datetime.fromisoformat(last_at) if isinstance(last_at, str) else last_at
        latest[patient_id][measure_id] = when if when.tzinfo else when.replace(tzinfo=UTC)
    return latest


def snooze(
    db: Session, actor: Actor, patient_id: str, reason: str, days: str, comment: str, today: date
) -> ReminderSnooze:
    if actor.role not in CLINICAL_ROLES:
        raise Invalid({"reason": (N_("Only the care team can snooze reminders."), {})})
    patient = scoped_patient(db, actor, patient_id)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    if reason not in SNOOZE_REASONS:
        errors["reason"] = (N_("Choose a reason."), {})
    if not days.strip().isdigit() or not 1 <= int(days) <= MAX_SNOOZE_DAYS:
        errors["days"] = (N_("Between 1 and %(max)s days."), {"max": MAX_SNOOZE_DAYS})
    if errors:
        raise Invalid(errors)
    row = ReminderSnooze(
        patient_id=patient.id,
        reason=reason,
        comment=" ".join(comment.split())[:500] or None,
        until=today + timedelta(days=int(days)),
        set_by=actor.user_id,
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor,
        "update",
        "Patient",
        patient.id,
        patient_id=patient.id,
        detail=f"reminders snoozed until {row.until.isoformat()}: {reason}",
    )
    return row


def _snoozes(db: Session, patient_ids: list[str] | None, practice_id: int, today: date) -> dict[str, date]:
    query = (
        select(ReminderSnooze.patient_id, func.max(ReminderSnooze.until))
        .join(Patient, col(Patient.id) == ReminderSnooze.patient_id)
        .where(Patient.practice_id == practice_id, ReminderSnooze.until > today)
        .group_by(ReminderSnooze.patient_id)
    )
    if patient_ids is not None:
        query = query.where(col(ReminderSnooze.patient_id).in_(patient_ids))
    return dict(db.exec(query).all())


def _as_time(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class PathwayDue:
    protocol_id: str
    items: list[DueItem]


def due_for_patient(
    db: Session, actor: Actor, protocols: ProtocolSet, patient_id: str, now: datetime
) -> dict[str, list[DueItem]]:
    """Per active pathway, its scheduled measures with their status, soonest first."""
    patient = scoped_patient(db, actor, patient_id)
    latest = {
        row.measure_id: row.last_at
        for row in db.exec(select(MeasureLatest).where(MeasureLatest.patient_id == patient.id)).all()
    }
    snoozed = _snoozes(db, [patient.id], actor.practice_id, now.date()).get(patient.id)
    result = {}
    for row in db.exec(
        select(Enrolment).where(Enrolment.patient_id == patient.id, Enrolment.status == "active")
    ).all():
        protocol = protocols.get(row.protocol_id)
        if protocol is not None:
            result[row.protocol_id] = due_from_latest(protocol, latest, row.start_date, now, snoozed)
    return result


def due_from_latest(
    protocol,
    latest: dict[str, datetime],
    since: date,
    now: datetime,  # type: ignore[no-untyped-def]
    snoozed: date | None,
) -> list[DueItem]:
    # The scheduler takes observations; the latest time per measure is all it needs of them.
    history = [Obs(measure_id, 0.0, when) for measure_id, when in latest.items()]
    return due_items(protocol, history, since, now, _as_time(snoozed) if snoozed else None)


@dataclass
class WorkItem:
    patient: Patient
    status: str  # alert, overdue, due, lost
    alerts: list[Alert] = field(default_factory=list)
    due: list[tuple[str, DueItem]] = field(default_factory=list)  # (protocol id, item), not ok
    pathways: list[str] = field(default_factory=list)
    last_nurse_id: int | None = None

    def urgency(self, name: str) -> tuple:  # type: ignore[type-arg]
        severity = min((SEVERITY_RANK.get(a.severity, 3) for a in self.alerts), default=9)
        worst = min((STATUS_RANK[item.status] for _, item in self.due), default=9)
        oldest = min((item.due_at for _, item in self.due), default=datetime.max.replace(tzinfo=UTC))
        return (severity, worst, oldest, name)


@dataclass
class Worklist:
    items: list[WorkItem]
    total: int
    counts: dict[str, int]


def worklist(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    now: datetime,
    pathway: str | None = None,
    nurse_id: int | None = None,
    show: str = "todo",
    offset: int = 0,
    limit: int = 50,
) -> Worklist:
    """Patients with open alerts, overdue or due measures; most urgent first. `show` is "todo" (the
    morning list) or "lost" (overdue for more than a year)."""
    if actor.role not in CLINICAL_ROLES:
        raise Invalid({"form": (N_("Only the care team has a worklist."), {})})
    enrolments = db.exec(
        select(Enrolment.patient_id, Enrolment.protocol_id, Enrolment.start_date).where(
            Enrolment.practice_id == actor.practice_id,
            Enrolment.status == "active",
            *([Enrolment.protocol_id == pathway] if pathway else []),
        )
    ).all()
    latest = latest_times(db, actor.practice_id)
    snoozed = _snoozes(db, None, actor.practice_id, now.date())
    open_alerts: dict[str, list[Alert]] = defaultdict(list)
    for alert in db.exec(
        select(Alert).where(
            Alert.practice_id == actor.practice_id,
            Alert.status == "open",
            *([Alert.protocol_id == pathway] if pathway else []),
        )
    ).all():
        open_alerts[alert.patient_id].append(alert)
    items: dict[str, WorkItem] = {}
    for patient_id, protocol_id, start in enrolments:
        protocol = protocols.get(protocol_id)
        if protocol is None:
            continue
        due = [
            (protocol_id, item)
            for item in due_from_latest(
                protocol, latest.get(patient_id, {}), start, now, snoozed.get(patient_id)
            )
            if item.status != "ok"
        ]
        entry = items.setdefault(patient_id, WorkItem(patient=None, status="ok"))  # type: ignore[arg-type]
        entry.due.extend(due)
        entry.pathways.append(protocol_id)
    for patient_id, alerts in open_alerts.items():
        items.setdefault(patient_id, WorkItem(patient=None, status="ok")).alerts = alerts  # type: ignore[arg-type]
    for entry in items.values():
        entry.due = _one_per_measure(entry.due)
        entry.status = _status(entry)
    counts = {
        status: sum(1 for e in items.values() if e.status == status)
        for status in ("alert", "overdue", "due", "lost")
    }
    wanted = {"todo": ("alert", "overdue", "due"), "lost": ("lost",)}.get(show, ("alert", "overdue", "due"))
    selected = {pid: e for pid, e in items.items() if e.status in wanted}
    if nurse_id:
        seen = _followed_by(db, nurse_id, list(selected))
        selected = {pid: e for pid, e in selected.items() if pid in seen}
    # Sorted on names only: whole patient records are loaded for the page shown, not the whole practice.
    names = dict(
        db.exec(select(Patient.id, Patient.search_key).where(Patient.practice_id == actor.practice_id)).all()
    )
    ordered = sorted(selected.items(), key=lambda pair: pair[1].urgency(names.get(pair[0], "")))
    page = dict(ordered[offset : offset + limit])
    _attach_patients(db, page)
    return Worklist(list(page.values()), len(ordered), counts)


def _one_per_measure(due: list[tuple[str, DueItem]]) -> list[tuple[str, DueItem]]:
    """A measure two pathways schedule (weight, activity) is listed once, at its earliest due date."""
    first: dict[str, tuple[str, DueItem]] = {}
    for protocol_id, item in sorted(due, key=lambda pair: pair[1].due_at):
        first.setdefault(item.measure, (protocol_id, item))
    return list(first.values())


def _status(entry: WorkItem) -> str:
    if entry.alerts:
        return "alert"
    statuses = {item.status for _, item in entry.due}
    for status in ("overdue", "due"):
        if status in statuses:
            return status
    return "lost" if "lost" in statuses else "ok"


def _followed_by(db: Session, nurse_id: int, patient_ids: list[str]) -> set[str]:
    """Patients this nurse has seen at least once."""
    return set(
        db.exec(
            select(CareSession.patient_id)
            .where(CareSession.nurse_id == nurse_id, col(CareSession.patient_id).in_(patient_ids))
            .distinct()
        ).all()
    )


def _attach_patients(db: Session, entries: dict[str, WorkItem]) -> None:
    ids = list(entries)
    for start in range(0, len(ids), 500):  # bounded IN lists
        for patient in db.exec(select(Patient).where(col(Patient.id).in_(ids[start : start + 500]))).all():
            entries[patient.id].patient = patient
