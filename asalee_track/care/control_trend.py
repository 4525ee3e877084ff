"""Control rates month by month, per pathway indicator, counted as Simple (simple.org) dashboards do.

Each month is looked at as it stood at its end (midnight in Paris on the first of the next month; the
current month: now). Definitions:

* *under care* (the denominator): enrolled in the pathway for at least 3 months, still in it then (not
  paused, not ended), and seen at least once in the 12 months before (a session covering the pathway).
  Every patient under care is in exactly one of the four groups below.
* *controlled*: the latest value of each of the indicator's measures is recent and meets the target in
  force then (the patient's own target when the GP set one, else the protocol's);
* *uncontrolled*: recent values, one of them off target;
* *no recent value*: seen in the last 3 months, but a measure has no recent value;
* *missed visits*: not seen in the last 3 months, and no recent value.

A value is *recent* when taken in the last 3 months, or within the measure's interval when the protocol
spaces it more (a yearly LDL taken 8 months ago is recent).
"""

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import Session, col, select

from asalee_track.care import audit, targets
from asalee_track.care.actor import CLINICAL_ROLES, ROLES, Actor
from asalee_track.care.errors import Forbidden, NotFound
from asalee_track.care.standing import stands
from asalee_track.i18n import TIMEZONE
from asalee_track.protocols import ProtocolSet, add_duration, parse_duration
from asalee_track.protocols.schema import Indicator, Measure, Protocol, Target, Text
from asalee_track.store.tables import (
    CareSession,
    Enrolment,
    EnrolmentStatusChange,
    Observation,
    Patient,
    PersonalTarget,
)

MONTHS = 18  # as Simple's dashboards: a year and a half of trend
SETTLING = parse_duration("P3M")  # enrolled for less: not yet under care
RECENT = parse_duration("P3M")  # seen, or measured, this recently
UNDER_CARE = parse_duration("P12M")  # not seen for longer: no longer under care (lost to follow-up)
CATEGORIES = ("controlled", "uncontrolled", "no_recent_value", "missed_visits")


@dataclass(frozen=True)
class MonthControl:
    month: date  # its first day
    under_care: int
    controlled: int
    uncontrolled: int
    no_recent_value: int
    missed_visits: int

    def count(self, category: str) -> int:
        return int(getattr(self, category))

    def share(self, category: str) -> float | None:
        return self.count(category) / self.under_care if self.under_care else None


@dataclass(frozen=True)
class IndicatorTrend:
    protocol_id: str
    measures: tuple[str, ...]
    label: Text
    months: list[MonthControl]  # oldest first; the last is the current month, to date

    @property
    def key(self) -> str:
        return "-".join(self.measures)

    @property
    def latest(self) -> MonthControl:
        return self.months[-1]


def month_ends(now: datetime, count: int = MONTHS) -> list[tuple[date, datetime]]:
    """The last ``count`` months (Paris), oldest first: each month's first day and the moment it is
    looked at, the first instant of the next month, or ``now`` for the month under way."""
    local = now.astimezone(TIMEZONE)
    year, month = local.year, local.month
    months: list[tuple[date, datetime]] = []
    for _ in range(count):
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        end = datetime.combine(following, time(0), tzinfo=TIMEZONE)
        months.append((first, min(end, now)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def control_trends(
    db: Session, actor: Actor, protocols: ProtocolSet, now: datetime, count: int = MONTHS
) -> dict[str, list[IndicatorTrend]]:
    """Per pathway, its indicators (in the protocol's clinical order), each month by month."""
    if actor.role not in ROLES:
        raise Forbidden()
    ends = month_ends(now, count)
    earliest = add_duration(ends[0][1], UNDER_CARE, sign=-1)
    with_indicators = [p for p in protocols.all() if p.indicators]
    measures = [p.measure(m) for p in with_indicators for i in p.indicators for m in i.measures]
    looked_back = min((_recent_since(m, ends[0][1]) for m in measures), default=earliest)
    facts = _PracticeFacts(db, actor.practice_id, earliest, looked_back, now, {m.id for m in measures})
    result: dict[str, list[IndicatorTrend]] = {}
    for protocol in with_indicators:
        enrolled = facts.enrolments.get(protocol.id, [])
        result[protocol.id] = [
            IndicatorTrend(
                protocol.id,
                tuple(indicator.measures),
                _label(protocol, indicator),
                [_month(facts, protocol, indicator, enrolled, first, end) for first, end in ends],
            )
            for indicator in protocol.indicators
        ]
    return result


def group_patients(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    protocol_id: str,
    key: str,
    category: str,
    now: datetime,
) -> tuple[IndicatorTrend, list[Patient]]:
    """The patients behind one number of the dashboard: one group of an indicator this month, counted
    as the dashboard counts it, by name. Each patient shown is audited as read."""
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()
    protocol = protocols.get(protocol_id)
    indicator = (
        next((i for i in protocol.indicators if "-".join(i.measures) == key), None) if protocol else None
    )
    if protocol is None or indicator is None or category not in CATEGORIES:
        raise NotFound()
    first, end = month_ends(now, 1)[0]
    measures = [protocol.measure(m) for m in indicator.measures]
    looked_back = min(_recent_since(m, end) for m in measures)
    earliest = add_duration(end, UNDER_CARE, sign=-1)
    facts = _PracticeFacts(db, actor.practice_id, earliest, looked_back, now, {m.id for m in measures})
    members: dict[str, list[str]] = {}
    month = _month(facts, protocol, indicator, facts.enrolments.get(protocol.id, []), first, end, members)
    ids = members.get(category, [])
    patients = list(
        db.exec(
            select(Patient)
            .where(Patient.practice_id == actor.practice_id, col(Patient.id).in_(ids))
            .order_by(col(Patient.search_key), col(Patient.birth_date))
        ).all()
    )
    audit.record_shown(db, actor, "Patient", (p.id for p in patients), "shown in a dashboard group")
    return IndicatorTrend(
        protocol.id, tuple(indicator.measures), _label(protocol, indicator), [month]
    ), patients


def _label(protocol: Protocol, indicator: Indicator) -> Text:
    return indicator.label or protocol.measure(indicator.measures[0]).label


@dataclass(frozen=True)
class _Enrolled:
    patient_id: str
    settled: datetime  # enrolled 3 months before: from then on, under care if seen
    changes: list[tuple[datetime, str]]  # (when, status), in time order

    def in_pathway_at(self, moment: datetime) -> bool:
        if self.settled > moment:
            return False
        status = "active"
        for when, changed_to in self.changes:
            if when >= moment:
                break
            status = changed_to
        return status == "active"


class _PracticeFacts:
    """What the months are computed from, read once: enrolments and their changes, sessions, values,
    personal targets."""

    def __init__(
        self,
        db: Session,
        practice_id: int,
        earliest: datetime,  # sessions from then on
        looked_back: datetime,  # values from then on
        now: datetime,
        measures: set[str],
    ) -> None:
        self.enrolments: dict[str, list[_Enrolled]] = defaultdict(list)
        changes: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        for enrolment_id, when, status in db.exec(
            select(
                EnrolmentStatusChange.enrolment_id,
                EnrolmentStatusChange.changed_at,
                EnrolmentStatusChange.status,
            )
            .join(Enrolment, col(Enrolment.id) == EnrolmentStatusChange.enrolment_id)
            .where(Enrolment.practice_id == practice_id)
            .order_by(col(EnrolmentStatusChange.changed_at))
        ).all():
            changes[enrolment_id].append((when, status))
        for enrolment_id, patient_id, protocol_id, start in db.exec(
            select(
                Enrolment.id, Enrolment.patient_id, Enrolment.protocol_id, col(Enrolment.start_date)
            ).where(Enrolment.practice_id == practice_id)
        ).all():
            settled = add_duration(datetime.combine(start, time(0), tzinfo=TIMEZONE), SETTLING)
            self.enrolments[protocol_id].append(_Enrolled(patient_id, settled, changes.get(enrolment_id, [])))
        # Sessions per (patient, pathway), in time order.
        self.seen: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        for patient_id, started, pathways in db.exec(
            select(CareSession.patient_id, CareSession.started_at, CareSession.pathways)
            .where(
                CareSession.practice_id == practice_id,
                CareSession.started_at >= earliest,
                CareSession.started_at <= now,
                col(CareSession.superseded_by_id).is_(None),
                CareSession.status != "entered-in-error",
            )
            .order_by(col(CareSession.started_at))
        ).all():
            for protocol_id in pathways:
                self.seen[(patient_id, protocol_id)].append(started)
        # Values per (patient, measure), in time order: a yearly measure is looked up further back.
        self.values: dict[tuple[str, str], tuple[list[datetime], list[float]]] = defaultdict(lambda: ([], []))
        for patient_id, measure_id, when, value in db.exec(
            select(
                Observation.patient_id,
                Observation.measure_id,
                Observation.effective_at,
                Observation.value_num,
            )
            .join(Patient, col(Patient.id) == Observation.patient_id)
            .outerjoin(CareSession, col(CareSession.id) == Observation.session_id)
            .where(
                Patient.practice_id == practice_id,
                col(Observation.measure_id).in_(measures),
                col(Observation.value_num).is_not(None),
                Observation.effective_at >= looked_back,
                *stands(),
            )
            .order_by(col(Observation.effective_at))
        ).all():
            if value is None:  # none is: the query keeps numbers only
                continue
            times, numbers = self.values[(patient_id, measure_id)]
            times.append(when)
            numbers.append(value)
        self.targets: dict[tuple[str, str], list[tuple[datetime, datetime | None, Target]]] = defaultdict(
            list
        )
        for row in db.exec(
            select(PersonalTarget)
            .join(Patient, col(Patient.id) == PersonalTarget.patient_id)
            .where(Patient.practice_id == practice_id, col(PersonalTarget.measure_id).in_(measures))
        ).all():
            target = Target(min=row.min_value, max=row.max_value)
            self.targets[(row.patient_id, row.measure_id)].append((row.set_at, row.ended_at, target))

    def seen_since(self, patient_id: str, protocol_id: str, since: datetime, moment: datetime) -> bool:
        times = self.seen.get((patient_id, protocol_id), [])
        index = bisect_left(times, moment)
        return index > 0 and times[index - 1] >= since

    def latest_value(
        self, patient_id: str, measure_id: str, since: datetime, moment: datetime
    ) -> float | None:
        times, numbers = self.values.get((patient_id, measure_id), ([], []))
        index = bisect_left(times, moment)
        return numbers[index - 1] if index > 0 and times[index - 1] >= since else None

    def target(self, patient_id: str, measure: Measure, moment: datetime) -> Target | None:
        for set_at, ended_at, target in self.targets.get((patient_id, measure.id), []):
            if set_at < moment and (ended_at is None or ended_at >= moment):
                return target
        return measure.target


def _recent_since(measure: Measure, moment: datetime) -> datetime:
    three_months = add_duration(moment, RECENT, sign=-1)
    if measure.every is None:
        return three_months
    return min(three_months, add_duration(moment, measure.every, sign=-1))


def _month(
    facts: _PracticeFacts,
    protocol: Protocol,
    indicator: Indicator,
    enrolled: list[_Enrolled],
    first: date,
    moment: datetime,
    members: dict[str, list[str]] | None = None,  # filled with each group's patient ids when given
) -> MonthControl:
    counts = dict.fromkeys(CATEGORIES, 0)
    year_ago = add_duration(moment, UNDER_CARE, sign=-1)
    lately = add_duration(moment, RECENT, sign=-1)
    measures = [protocol.measure(measure_id) for measure_id in indicator.measures]
    patients = {e.patient_id for e in enrolled if e.in_pathway_at(moment)}
    under_care = 0
    for patient_id in patients:
        if not facts.seen_since(patient_id, protocol.id, year_ago, moment):
            continue
        under_care += 1
        verdicts = []
        for measure in measures:
            value = facts.latest_value(patient_id, measure.id, _recent_since(measure, moment), moment)
            target = facts.target(patient_id, measure, moment)
            verdicts.append(None if value is None or target is None else targets.meets(value, target))
        if None in verdicts:
            seen_lately = facts.seen_since(patient_id, protocol.id, lately, moment)
            group = "no_recent_value" if seen_lately else "missed_visits"
        else:
            group = "controlled" if all(verdicts) else "uncontrolled"
        counts[group] += 1
        if members is not None:
            members.setdefault(group, []).append(patient_id)
    return MonthControl(first, under_care, **counts)
