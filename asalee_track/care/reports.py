"""Dashboard figures and the activity report, per practice and pathway.

Definitions: a patient is *up to date* for a measure when it is not due; *at target* when the latest
value, taken within the measure's window (its interval, the patient's own when the GP set one, plus
grace), meets the target in force (personal
or the protocol's); *no recent value* is its own outcome, never counted as controlled. Patients enrolled
for less than 3 months are left out of control rates: they have not had time to be controlled.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlmodel import Session, col, select

from asalee_track.care import intervals, targets
from asalee_track.care.actor import ROLES, Actor
from asalee_track.care.errors import Forbidden
from asalee_track.care.followup import due_from_latest, latest_times
from asalee_track.care.standing import stands
from asalee_track.protocols import ProtocolSet, add_duration, parse_duration
from asalee_track.protocols.schedule import DEFAULT_GRACE, interval_for
from asalee_track.store.tables import CareSession, Enrolment, MeasureLatest, Observation

SETTLING = parse_duration("P3M")  # enrolled for less than this: left out of control rates


@dataclass
class MeasureFigures:
    measure_id: str
    up_to_date: int = 0
    scheduled: int = 0  # patients for whom the measure is scheduled
    at_target: int = 0
    off_target: int = 0
    no_recent_value: int = 0

    @property
    def evaluated(self) -> int:
        return self.at_target + self.off_target + self.no_recent_value

    def share(self, part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def share_up_to_date(self) -> float | None:
        return self.share(self.up_to_date, self.scheduled)

    @property
    def share_at_target(self) -> float | None:
        return self.share(self.at_target, self.evaluated)


@dataclass
class PathwayFigures:
    protocol_id: str
    enrolled: int = 0
    sessions_month: int = 0
    minutes_month: int = 0
    sessions_year: int = 0
    minutes_year: int = 0
    measures: dict[str, MeasureFigures] = field(default_factory=dict)


def _require_clinical_or_admin(actor: Actor) -> None:
    if actor.role not in ROLES:
        raise Forbidden()


def dashboard(db: Session, actor: Actor, protocols: ProtocolSet, now: datetime) -> list[PathwayFigures]:
    _require_clinical_or_admin(actor)
    figures = {p.id: PathwayFigures(p.id) for p in protocols.all()}
    _activity(db, actor, now, figures)
    enrolments = db.exec(
        select(Enrolment.patient_id, Enrolment.protocol_id, col(Enrolment.start_date)).where(
            Enrolment.practice_id == actor.practice_id, Enrolment.status == "active"
        )
    ).all()
    latest_times, latest_values = _latest(db, actor)
    patient_ids = list({patient_id for patient_id, _, _ in enrolments})
    personal = targets.current_for(db, patient_ids)
    own_intervals = intervals.current_for(db, patient_ids)
    for patient_id, protocol_id, start in enrolments:
        protocol = protocols.get(protocol_id)
        if protocol is None:
            continue
        pathway = figures[protocol_id]
        pathway.enrolled += 1
        settled = add_duration(datetime.combine(start, time(0), tzinfo=UTC), SETTLING) <= now
        # Computed here rather than read from measure_due: a snoozed reminder postpones the worklist,
        # not the indicator (a patient whose HbA1c is late is not up to date because they will come).
        patient_intervals = own_intervals.get(patient_id, {})
        for item in due_from_latest(
            protocol, latest_times.get(patient_id, {}), start, now, None, patient_intervals
        ):
            numbers = pathway.measures.setdefault(item.measure, MeasureFigures(item.measure))
            numbers.scheduled += 1
            numbers.up_to_date += item.status == "ok"
            measure = protocol.measure(item.measure)
            target = targets.effective(measure, personal.get(patient_id, {}))
            if not settled or target is None or measure.kind == "coded":
                continue
            last = latest_times.get(patient_id, {}).get(item.measure)
            every = interval_for(measure, patient_intervals)  # the patient's own interval counts here too
            window_start = add_duration(now, every, sign=-1) if every else None
            if window_start is not None:
                window_start = add_duration(window_start, measure.grace or DEFAULT_GRACE, sign=-1)
            value = latest_values.get((patient_id, item.measure))
            if last is None or value is None or (window_start is not None and last < window_start):
                numbers.no_recent_value += 1
            elif targets.meets(value, target):
                numbers.at_target += 1
            else:
                numbers.off_target += 1
    return list(figures.values())


def _activity(db: Session, actor: Actor, now: datetime, figures: dict[str, PathwayFigures]) -> None:
    year_start = datetime(now.year, 1, 1, tzinfo=UTC)
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    for started, minutes, pathways in db.exec(
        select(CareSession.started_at, CareSession.duration_minutes, CareSession.pathways).where(
            CareSession.practice_id == actor.practice_id,
            CareSession.started_at >= year_start,
            col(CareSession.superseded_by_id).is_(None),
            CareSession.status != "entered-in-error",
        )
    ).all():
        for protocol_id in pathways:
            if protocol_id not in figures:
                continue
            # A session that covers two pathways counts for both; its time is shared between them.
            share = minutes / len(pathways)
            figures[protocol_id].sessions_year += 1
            figures[protocol_id].minutes_year += round(share)
            if started >= month_start:
                figures[protocol_id].sessions_month += 1
                figures[protocol_id].minutes_month += round(share)


def _latest(db: Session, actor: Actor) -> tuple[dict[str, dict[str, datetime]], dict[tuple[str, str], float]]:
    times = latest_times(db, actor.practice_id)
    values: dict[tuple[str, str], float] = {}
    rows = db.exec(
        select(Observation.patient_id, Observation.measure_id, Observation.value_num)
        .join(
            MeasureLatest,
            (col(MeasureLatest.patient_id) == Observation.patient_id)
            & (col(MeasureLatest.measure_id) == Observation.measure_id)
            & (col(MeasureLatest.last_at) == Observation.effective_at),
        )
        .outerjoin(CareSession, col(CareSession.id) == Observation.session_id)
        .where(
            MeasureLatest.practice_id == actor.practice_id,
            *stands(),
            col(Observation.value_num).is_not(None),
        )
    ).all()
    for patient_id, measure_id, value in rows:
        if value is not None:  # none is: the query keeps numbers only
            values[(patient_id, measure_id)] = value
    return times, values


@dataclass(frozen=True)
class ActivityRow:
    protocol_id: str
    patients: int
    sessions: int
    minutes: int
    by_kind: dict[str, int]


def activity(db: Session, actor: Actor, protocols: ProtocolSet, start: date, end: date) -> list[ActivityRow]:
    """Sessions, time and patients seen per pathway between two dates (inclusive), for the association."""
    _require_clinical_or_admin(actor)
    low = datetime.combine(start, time(0), tzinfo=UTC)
    high = datetime.combine(end, time(23, 59, 59), tzinfo=UTC)
    patients: dict[str, set[str]] = defaultdict(set)
    sessions: dict[str, int] = defaultdict(int)
    minutes: dict[str, float] = defaultdict(float)
    kinds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for patient_id, duration, kind, pathways in db.exec(
        select(
            CareSession.patient_id, CareSession.duration_minutes, CareSession.kind, CareSession.pathways
        ).where(
            CareSession.practice_id == actor.practice_id,
            CareSession.started_at >= low,
            CareSession.started_at <= high,
            col(CareSession.superseded_by_id).is_(None),
            CareSession.status != "entered-in-error",
        )
    ).all():
        for protocol_id in pathways:
            patients[protocol_id].add(patient_id)
            sessions[protocol_id] += 1
            minutes[protocol_id] += duration / len(pathways)
            kinds[protocol_id][kind] += 1
    return [
        ActivityRow(p.id, len(patients[p.id]), sessions[p.id], round(minutes[p.id]), dict(kinds[p.id]))
        for p in protocols.all()
    ]
