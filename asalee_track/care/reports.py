"""Dashboard figures and the activity report, per practice and pathway.

Definitions: a patient is *up to date* for a measure when it is not due; *at target* when the latest
value, taken within the measure's window (its interval, the patient's own when the GP set one, plus
grace), meets the target in force (personal
or the protocol's); *no recent value* is its own outcome, never counted as controlled. Patients enrolled
for less than 3 months are left out of control rates: they have not had time to be controlled.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from asalee_track.care import intervals, targets
from asalee_track.care.actor import ROLES, Actor
from asalee_track.care.errors import Forbidden
from asalee_track.care.followup import due_from_latest, latest_times
from asalee_track.care.standing import session_stands, stands
from asalee_track.i18n import TIMEZONE
from asalee_track.protocols import Protocol, ProtocolSet, add_duration, parse_duration
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
    _activity(db, actor, protocols, now, figures)
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
    for protocol in protocols.all():
        _clinical_order(figures[protocol.id], protocol)
    return list(figures.values())


def _clinical_order(pathway: PathwayFigures, protocol: Protocol) -> None:
    """The protocol's indicators first, in its order (HbA1c, then blood pressure for diabetes), then the
    other measures as the protocol lists them."""
    first = [measure_id for indicator in protocol.indicators for measure_id in indicator.measures]
    listed = [measure.id for measure in protocol.measures]

    def rank(measure_id: str) -> tuple[int, int]:
        if measure_id in first:
            return (0, first.index(measure_id))
        return (1, listed.index(measure_id) if measure_id in listed else len(listed))

    pathway.measures = {key: pathway.measures[key] for key in sorted(pathway.measures, key=rank)}


def _activity(
    db: Session, actor: Actor, protocols: ProtocolSet, now: datetime, figures: dict[str, PathwayFigures]
) -> None:
    """This month's and this year's sessions and nurse time, counted as the activity report counts
    them (one computation: the two pages always agree)."""
    today = now.astimezone(TIMEZONE).date()
    for first, month in ((date(today.year, 1, 1), False), (today.replace(day=1), True)):
        for row in activity(db, actor, protocols, first, today):
            pathway = figures[row.protocol_id]
            if month:
                pathway.sessions_month, pathway.minutes_month = row.sessions, row.minutes
            else:
                pathway.sessions_year, pathway.minutes_year = row.sessions, row.minutes


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
    """Sessions, time and patients seen per pathway between two dates (inclusive, the practice's days
    in Paris), for the association and the dashboard.

    A session that covers two pathways counts for both, its time shared between them; each pathway's
    time is rounded once, on its total (rounding each share would lose or add minutes as they pile up).
    """
    _require_clinical_or_admin(actor)
    low = datetime.combine(start, time(0), tzinfo=TIMEZONE)
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=TIMEZONE)
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
            CareSession.started_at < high,
            session_stands(),
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
