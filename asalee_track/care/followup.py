"""Who is due, overdue or lost to follow-up, snoozed reminders, and the practice's morning worklist.

Definitions (clinical intervals and grace live in the protocol files; the rest are design defaults
agreed with the GPs, in `protocols.schedule`): a measure is *due* when its interval has elapsed since its
last value (or since enrolment), *overdue* after the grace period, *lost to follow-up* when overdue for
more than 12 months. Lost patients are counted apart, not put on the morning list.
"""

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    column,
    delete,
    func,
    insert,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from asalee_track.care import audit, intervals, worklist_entries
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Invalid
from asalee_track.care.inputs import check_text, parse_int
from asalee_track.care.patients import hold, scoped_patient
from asalee_track.care.standing import stands
from asalee_track.i18n import N_
from asalee_track.protocols import DueItem, Duration, Obs, Protocol, ProtocolSet, due_items
from asalee_track.store.db import in_lists, transaction
from asalee_track.store.tables import (
    Alert,
    AppState,
    CareSession,
    Enrolment,
    MeasureDue,
    MeasureLatest,
    Observation,
    Patient,
    ReminderSnooze,
)
from asalee_track.store.types import UTCDateTime

SNOOZE_REASONS = ("will-come", "unreachable", "other")
MAX_SNOOZE_DAYS = 180
SEVERITY_RANK = worklist_entries.SEVERITY_RANK


def refresh_latest(
    db: Session, patient_id: str, practice_id: int, standing: list[Obs] | None = None
) -> dict[str, datetime]:
    """Rebuild the patient's rows of the derived `measure_latest` from the values that stand, read
    from the database or, when the caller already holds them (a save), from ``standing``."""
    hold(db, patient_id)
    db.exec(delete(MeasureLatest).where(col(MeasureLatest.patient_id) == patient_id))
    if standing is None:
        rows = db.exec(
            select(Observation.measure_id, func.max(Observation.effective_at))
            .outerjoin(CareSession, col(CareSession.id) == Observation.session_id)
            .where(Observation.patient_id == patient_id, *stands())
            .group_by(Observation.measure_id)
        ).all()
        latest = {
            measure_id: last_at if last_at.tzinfo else last_at.replace(tzinfo=UTC)
            for measure_id, last_at in rows
        }
    else:
        latest = {}
        for obs in standing:
            if obs.measure not in latest or obs.effective > latest[obs.measure]:
                latest[obs.measure] = obs.effective
    rows_out: list[dict[str, object]] = [
        {"patient_id": patient_id, "measure_id": measure_id, "practice_id": practice_id, "last_at": last_at}
        for measure_id, last_at in latest.items()
    ]
    _insert(db, MeasureLatest, rows_out)
    return latest


def _insert(
    db: Session, table: type[MeasureLatest] | type[MeasureDue], rows: list[dict[str, object]]
) -> None:
    """Derived rows in one statement: rebuilt on every save, they are not worth an ORM object each
    (building and flushing them one by one was a third of a session's save)."""
    if rows:
        db.execute(insert(table), rows)


def refresh(
    db: Session,
    protocols: ProtocolSet,
    patient_id: str,
    practice_id: int,
    standing: list[Obs] | None = None,
    starts: Mapping[str, date] | None = None,
) -> None:
    """Rebuild the patient's derived rows (latest times, then the schedule built on them)."""
    latest = refresh_latest(db, patient_id, practice_id, standing)
    refresh_schedule(db, protocols, patient_id, practice_id, latest, starts)


def refresh_schedule(
    db: Session,
    protocols: ProtocolSet,
    patient_id: str,
    practice_id: int,
    latest: dict[str, datetime] | None = None,
    starts: Mapping[str, date] | None = None,
) -> None:
    """When each scheduled measure of the patient's active pathways falls due, overdue, lost.
    Time-independent (a snooze is stored by its end date), so it stays right as days pass.
    ``latest`` and ``starts`` (active pathways and the day each began) when the caller holds them."""
    hold(db, patient_id)
    db.exec(delete(MeasureDue).where(col(MeasureDue.patient_id) == patient_id))
    if latest is None:
        latest = {
            row.measure_id: row.last_at
            for row in db.exec(select(MeasureLatest).where(MeasureLatest.patient_id == patient_id)).all()
        }
    snoozed = db.exec(
        select(func.max(ReminderSnooze.until)).where(ReminderSnooze.patient_id == patient_id)
    ).one()
    if starts is None:
        starts = active_starts(db, patient_id)
    personal = intervals.current(db, patient_id)
    # `now` only decides the status, which is not stored.
    now = datetime.now(UTC)
    due = []
    for protocol_id, start in starts.items():
        protocol = protocols.get(protocol_id)
        if protocol is None:
            continue
        for item in due_from_latest(protocol, latest, start, now, snoozed, personal):
            due.append(
                {
                    "patient_id": patient_id,
                    "protocol_id": protocol_id,
                    "measure_id": item.measure,
                    "practice_id": practice_id,
                    "due_at": item.due_at,
                    "overdue_at": item.overdue_at,
                    "lost_at": item.lost_at,
                }
            )
    _insert(db, MeasureDue, due)
    worklist_entries.moved(db, patient_id)


def active_starts(db: Session, patient_id: str) -> dict[str, date]:
    """The patient's active pathways, by protocol id, with the day each began: what the schedule and
    the rules both need, read once per write."""
    return dict(
        db.exec(
            select(Enrolment.protocol_id, col(Enrolment.start_date))
            .where(Enrolment.patient_id == patient_id, Enrolment.status == "active")
            .order_by(Enrolment.protocol_id)
        ).all()
    )


def schedule_fingerprint(protocols: ProtocolSet) -> str:
    """Changes whenever a protocol's intervals could: then every stored schedule is rebuilt."""
    text = "|".join(f"{p.id}:{p.version}:{p.model_dump_json()}" for p in protocols.all())
    return hashlib.sha256(text.encode()).hexdigest()


def schedules_stale(db: Session, protocols: ProtocolSet) -> bool:
    state = db.get(AppState, "schedule_fingerprint")
    return state is None or state.value != schedule_fingerprint(protocols)


def _followed(db: Session) -> list[tuple[str, int]]:
    return list(
        db.exec(
            select(Enrolment.patient_id, Enrolment.practice_id)
            .where(Enrolment.status == "active")
            .distinct()
            .order_by(Enrolment.patient_id)
        ).all()
    )


def rebuild_schedules(engine: Engine, protocols: ProtocolSet, batch: int = 200) -> int:
    """The same rebuild in short transactions of ``batch`` patients, for a server that keeps serving
    meanwhile (measured: 17 s at 10,000 patients in one transaction, with the server closed). The
    worklist shows the earlier schedules until each patient's turn; the fingerprint is recorded last,
    so a rebuild cut short starts again at the next start-up. How many patients were rebuilt."""
    with transaction(engine) as db:
        followed = _followed(db)
    for start in range(0, len(followed), batch):
        chunk = followed[start : start + batch]
        for attempt in range(3):  # a save of the same patient may have rebuilt it meanwhile
            try:
                with transaction(engine) as db:
                    for patient_id, practice_id in chunk:
                        refresh_schedule(db, protocols, patient_id, practice_id)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
    with transaction(engine) as db:
        db.merge(AppState(key="schedule_fingerprint", value=schedule_fingerprint(protocols)))
    return len(followed)


# Columns only, on the session's connection: tens of thousands of rows, no ORM object built for them.
# The column type reads times back in UTC on both SQLite (ISO text) and PostgreSQL.
_LATEST_TIMES = (
    text("SELECT patient_id, measure_id, last_at FROM measure_latest WHERE practice_id = :practice")
    .bindparams(bindparam("practice", type_=Integer))
    .columns(column("patient_id", String), column("measure_id", String), column("last_at", UTCDateTime))
)


def latest_times(db: Session, practice_id: int) -> dict[str, dict[str, datetime]]:
    """When each measure was last taken, for every patient of the practice."""
    latest: dict[str, dict[str, datetime]] = defaultdict(dict)
    for patient_id, measure_id, last_at in db.connection().execute(_LATEST_TIMES, {"practice": practice_id}):
        latest[patient_id][measure_id] = last_at
    return latest


def snooze(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    patient_id: str,
    reason: str,
    days: str,
    comment: str,
    today: date,
) -> ReminderSnooze:
    if actor.role not in CLINICAL_ROLES:
        raise Invalid({"reason": (N_("Only the care team can snooze reminders."), {})})
    patient = scoped_patient(db, actor, patient_id)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    if reason not in SNOOZE_REASONS:
        errors["reason"] = (N_("Choose a reason."), {})
    span = parse_int(days, 1, MAX_SNOOZE_DAYS)
    if span is None:
        errors["days"] = (N_("Between 1 and %(max)s days."), {"max": MAX_SNOOZE_DAYS})
    note = check_text(errors, "comment", comment, 500)
    if errors or span is None:
        raise Invalid(errors)
    row = ReminderSnooze(
        patient_id=patient.id,
        reason=reason,
        comment=note,
        until=today + timedelta(days=span),
        set_by=actor.user_id,
    )
    db.add(row)
    db.flush()
    refresh_schedule(db, protocols, patient.id, actor.practice_id)
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


def due_for_patient(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    patient_id: str,
    now: datetime,
    active: Sequence[Enrolment] | None = None,
    personal: dict[str, Duration] | None = None,
) -> dict[str, list[DueItem]]:
    """Per active pathway, its scheduled measures with their status, soonest first. ``active`` (the
    active enrolments) and ``personal`` (`intervals.current`) when the caller has read them."""
    patient = scoped_patient(db, actor, patient_id)
    latest = {
        row.measure_id: row.last_at
        for row in db.exec(select(MeasureLatest).where(MeasureLatest.patient_id == patient.id)).all()
    }
    snoozed = _snoozes(db, [patient.id], actor.practice_id, now.date()).get(patient.id)
    if personal is None:
        personal = intervals.current(db, patient.id)
    if active is None:
        active = db.exec(
            select(Enrolment).where(Enrolment.patient_id == patient.id, Enrolment.status == "active")
        ).all()
    result = {}
    for row in active:
        protocol = protocols.get(row.protocol_id)
        if protocol is not None:
            result[row.protocol_id] = due_from_latest(
                protocol, latest, row.start_date, now, snoozed, personal
            )
    return result


def due_from_latest(
    protocol: Protocol,
    latest: dict[str, datetime],
    since: date,
    now: datetime,
    snoozed: date | None,
    personal: dict[str, Duration] | None = None,
) -> list[DueItem]:
    """``personal``: the patient's own intervals (``care.intervals``), where the protocol allows them."""
    # The scheduler takes observations; the latest time per measure is all it needs of them.
    history = [Obs(measure_id, 0.0, when) for measure_id, when in latest.items()]
    return due_items(protocol, history, since, now, _as_time(snoozed) if snoozed else None, personal)


@dataclass
class WorkItem:
    patient: Patient
    status: str  # alert, overdue, due, lost
    alerts: list[Alert] = field(default_factory=list)
    due: list[tuple[str, DueItem]] = field(default_factory=list)  # (protocol id, item), not ok
    pathways: list[str] = field(default_factory=list)
    last_nurse_id: int | None = None

    def reasons(self) -> list[Alert | DueItem]:
        """Why the patient is listed, most urgent first: open alerts by severity (the longest open
        first), then what is due, the longest waiting first (so overdue before just due). The row
        shows the first."""
        alerts = sorted(self.alerts, key=lambda a: (SEVERITY_RANK.get(a.severity, 9), a.raised_at))
        due = sorted((item for _, item in self.due), key=lambda item: item.due_at)
        return [*alerts, *due]


@dataclass
class Worklist:
    items: list[WorkItem]
    total: int
    counts: dict[str, int]
    expired: list[str] = field(default_factory=list)  # patients whose entries to store again


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
    morning list) or "lost" (overdue for more than a year).

    The database ranks, counts and pages from the stored entries (care.worklist_entries): Python then
    reads the rows of the page shown only, so a page costs the same in a practice of 200 patients as in
    one of 20,000."""
    if actor.role not in CLINICAL_ROLES:
        raise Invalid({"form": (N_("Only the care team has a worklist."), {})})
    wanted = {"todo": ("alert", "overdue", "due"), "lost": ("lost",)}.get(show, ("alert", "overdue", "due"))
    ranking = worklist_entries.rank(
        db, actor.practice_id, pathway or worklist_entries.ALL, wanted, nurse_id, now, offset, limit
    )
    page = {entry.patient_id: WorkItem(patient=None, status="ok") for entry in ranking.page}  # type: ignore[arg-type]
    _fill_page(db, actor.practice_id, page, now, pathway)
    return Worklist(list(page.values()), ranking.total, ranking.counts, ranking.expired)


def _fill_page(
    db: Session, practice_id: int, page: dict[str, WorkItem], now: datetime, pathway: str | None
) -> None:
    """What the rows of the page show: their due measures, open alerts, patients and pathways."""
    ids = list(page)
    # Plain rows, not ORM objects: a page holds hundreds of due measures, read and dropped at once.
    due = select(  # type: ignore[call-overload]  # SQLModel types select() up to four columns
        MeasureDue.patient_id,
        MeasureDue.protocol_id,
        MeasureDue.measure_id,
        MeasureDue.due_at,
        MeasureDue.overdue_at,
        MeasureDue.lost_at,
    ).where(col(MeasureDue.patient_id).in_(ids), col(MeasureDue.due_at) <= now)
    for row in db.exec(due.where(MeasureDue.protocol_id == pathway) if pathway else due).all():
        status = "lost" if now >= row.lost_at else "overdue" if now >= row.overdue_at else "due"
        item = DueItem(row.measure_id, None, row.due_at, row.overdue_at, status, row.lost_at)  # type: ignore[arg-type]
        page[row.patient_id].due.append((row.protocol_id, item))
    alerts = select(Alert).where(col(Alert.patient_id).in_(ids), Alert.status == "open")
    for alert in db.exec(alerts.where(Alert.protocol_id == pathway) if pathway else alerts).all():
        page[alert.patient_id].alerts.append(alert)
    for entry in page.values():
        entry.due = _one_per_measure(entry.due)
        entry.status = _status(entry)
    _attach_patients(db, page)
    for patient_id, protocol_id in db.exec(
        select(Enrolment.patient_id, Enrolment.protocol_id)
        .where(col(Enrolment.patient_id).in_(ids), Enrolment.status == "active")
        .order_by(Enrolment.protocol_id)
    ).all():
        page[patient_id].pathways.append(protocol_id)


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


def _attach_patients(db: Session, entries: dict[str, WorkItem]) -> None:
    for chunk in in_lists(list(entries)):
        for patient in db.exec(select(Patient).where(col(Patient.id).in_(chunk))).all():
            entries[patient.id].patient = patient
