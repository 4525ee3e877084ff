"""The yearly cooperation report a practice sends the regional health agency (ARS), per pathway.

Every figure is defined in ``DEFINITIONS`` (shown on the page and in the CSV, word for word). Times are
read in Paris time: a session at 00:30 on 1 January belongs to the new year. Only the current version of
a session counts, never one marked entered in error.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlmodel import Session, col, func, select

from asalee_track.care import targets
from asalee_track.care.actor import ROLES, Actor
from asalee_track.care.errors import Forbidden
from asalee_track.care.standing import session_stands, stands
from asalee_track.i18n import N_, TIMEZONE
from asalee_track.protocols import Protocol, ProtocolSet
from asalee_track.store.tables import (
    AdverseEvent,
    Alert,
    CareSession,
    Enrolment,
    EnrolmentRefusal,
    EnrolmentStatusChange,
    Observation,
    SessionItem,
    Workshop,
    WorkshopAttendance,
)

SMOKER_CODES = ("449868002", "77176002")  # daily smoker, smoker (SNOMED CT, as the protocols code them)
EX_SMOKER = "8517006"
SCREENING_RULES = ("moca-positif", "mini-cog-positif")
# A value that stands: when, its number, its code (one of the two is set). History: patient → measure →
# its values, oldest first.
Value = tuple[datetime, float | None, str | None]
History = dict[str, dict[str, list[Value]]]
_Dated = TypeVar("_Dated", bound=tuple[Any, ...])  # a tuple whose first item is a datetime
ANNIVERSARY_WINDOW = timedelta(days=91)  # three months either side of the first anniversary
ENROLMENT_WINDOW = timedelta(days=91)

Share = tuple[int, int]  # (numerator, denominator)

# key → (label, definition): msgids, translated where they are shown.
DEFINITIONS: dict[str, tuple[str, str]] = {
    "enrolled": (
        N_("Patients enrolled"),
        N_("Patients whose enrolment in the pathway was in force on at least one day of the year."),
    ),
    "new_enrolments": (N_("New enrolments"), N_("Enrolments whose start date falls in the year.")),
    "seen": (
        N_("Patients seen"),
        N_(
            "Patients with at least one session of the pathway in the year, "
            "or present at one of its workshops."
        ),
    ),
    "sessions": (N_("Individual sessions"), N_("Sessions of the year that covered the pathway.")),
    "workshops": (
        N_("Group workshops"),
        N_("Workshops of the year held for the pathway (attendances present)."),
    ),
    "minutes": (
        N_("Nurse time (minutes)"),
        N_(
            "Duration of the individual sessions, shared equally between the pathways a session covered, "
            "plus the duration of the pathway's workshops, counted once each."
        ),
    ),
    "acts": (N_("Delegated acts"), N_("Delegated acts recorded in the year's sessions, per act.")),
    "alerts": (
        N_("Alerts raised"),
        N_("Alerts raised in the year; acknowledged by the GP; of which judged relevant / not relevant."),
    ),
    "adverse_events": (
        N_("Adverse events"),
        N_("Events of the adverse-event register dated in the year and linked to the pathway."),
    ),
    "refusals": (N_("Refusals"), N_("Patients who declined the pathway in the year, with their reasons.")),
    "exits": (N_("Exits"), N_("Enrolments ended in the year, with the reason given.")),
    "hba1c_bands": (
        N_("HbA1c < 6.5 % / 6.5–8 % / > 8 %"),
        N_(
            "Patients by their latest HbA1c of the year: below 6.5 %, from 6.5 to 8 % inclusive, "
            "above 8 %. Patients without an HbA1c in the year are not counted."
        ),
    ),
    "hba1c_anniversary": (
        N_("At target one year after enrolment"),
        N_(
            "Patients whose first enrolment anniversary falls in the year and who have an HbA1c within three "
            "months of it: share whose HbA1c nearest the anniversary meets the target in force (personal, or "
            "the protocol's)."
        ),
    ),
    "bp_high": (
        N_("BP above 140/90: at enrolment → after"),
        N_(
            "Patients with an office BP within three months of enrolment and a later one in the year: share "
            "with systolic ≥ 140 or diastolic ≥ 90 mmHg at enrolment (first reading), then at the latest "
            "reading of the year."
        ),
    ),
    "smoking_cessation": (
        N_("Smoking cessation"),
        N_(
            "Patients whose first recorded smoking status was smoker: how many have ex-smoker "
            "as their latest status recorded by the end of the year."
        ),
    ),
    "spirometries": (
        N_("Spirometries"),
        N_(
            "Spirometries recorded as a delegated act in the year; patients with an FEV1/FVC in the year, of "
            "whom below 0.7 at the latest."
        ),
    ),
    "cognitive": (
        N_("Cognitive screenings"),
        N_(
            "Patients screened in the year (MoCA or Mini-Cog recorded); positive: an alert MoCA or Mini-Cog "
            "was raised; referred: the GP acknowledged it as relevant."
        ),
    ),
}


@dataclass
class PathwayYear:
    protocol_id: str
    enrolled: int = 0
    new_enrolments: int = 0
    seen: int = 0
    sessions: int = 0
    workshops: int = 0
    workshop_attendances: int = 0
    minutes: int = 0
    acts: dict[str, int] = field(default_factory=dict)
    alerts_raised: int = 0
    alerts_acknowledged: int = 0
    alerts_relevant: int = 0
    alerts_not_relevant: int = 0
    adverse_events: int = 0
    refusals: dict[str, int] = field(default_factory=dict)  # reason → count
    exits: dict[str, int] = field(default_factory=dict)
    hba1c_bands: tuple[int, int, int] | None = None
    hba1c_anniversary: Share | None = None
    bp_high_at_enrolment: Share | None = None
    bp_high_after: Share | None = None
    smoking_cessation: Share | None = None  # (quit, smokers at the start)
    spirometry_acts: int | None = None
    spirometry_patients: Share | None = None  # (obstructed, with an FEV1/FVC)
    cognitive: tuple[int, int, int] | None = None  # screened, positive, referred


@dataclass
class YearReport:
    year: int
    pathways: list[PathwayYear]
    adverse_events_unlinked: int  # events of the register linked to no pathway


def bounds(year: int) -> tuple[datetime, datetime]:
    """1 January 00:00 to 1 January of the next year, Paris time, as UTC."""
    low = datetime.combine(date(year, 1, 1), time(0), tzinfo=TIMEZONE).astimezone(UTC)
    high = datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=TIMEZONE).astimezone(UTC)
    return low, high


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def yearly(db: Session, actor: Actor, protocols: ProtocolSet, year: int) -> YearReport:
    if actor.role not in ROLES:
        raise Forbidden()
    builder = _Builder(db, actor.practice_id, protocols, year)
    return YearReport(year, [builder.pathway(p) for p in protocols.all()], builder.unlinked_events())


class _Builder:
    def __init__(self, db: Session, practice_id: int, protocols: ProtocolSet, year: int) -> None:
        self.db, self.practice_id, self.protocols, self.year = db, practice_id, protocols, year
        self.low, self.high = bounds(year)
        self.first_day, self.last_day = date(year, 1, 1), date(year, 12, 31)
        self.sessions = self._sessions()

    # -- rows of the year ----------------------------------------------------------------------------

    def _sessions(self) -> list[tuple[str, str, int, list[str]]]:
        return [
            (session_id, patient_id, minutes, list(pathways))
            for session_id, patient_id, minutes, pathways in self.db.exec(
                select(
                    CareSession.id, CareSession.patient_id, CareSession.duration_minutes, CareSession.pathways
                ).where(
                    CareSession.practice_id == self.practice_id,
                    CareSession.started_at >= self.low,
                    CareSession.started_at < self.high,
                    session_stands(),
                )
            ).all()
        ]

    def _enrolments(self, protocol_id: str) -> list[tuple[str, str, date, datetime | None]]:
        ended = (
            select(
                EnrolmentStatusChange.enrolment_id,
                func.max(EnrolmentStatusChange.changed_at).label("ended_at"),
            )
            .where(EnrolmentStatusChange.status == "ended")
            .group_by(EnrolmentStatusChange.enrolment_id)
            .subquery()
        )
        rows = self.db.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
                Enrolment.id, Enrolment.patient_id, Enrolment.start_date, Enrolment.status, ended.c.ended_at
            )
            .outerjoin(ended, ended.c.enrolment_id == Enrolment.id)
            .where(Enrolment.practice_id == self.practice_id, Enrolment.protocol_id == protocol_id)
        ).all()
        return [
            (row_id, patient_id, start, _as_utc(ended_at) if status == "ended" and ended_at else None)
            for row_id, patient_id, start, status, ended_at in rows
        ]

    def _history(self, patient_ids: Iterable[str], measures: Iterable[str]) -> History:
        """patient → measure → [(time, number, code)] oldest first: values that stand, typed in a session
        or received from a laboratory."""
        ids, wanted = list(patient_ids), list(measures)
        found: History = defaultdict(lambda: defaultdict(list))
        if not ids or not wanted:
            return found
        rows = self.db.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
                Observation.patient_id,
                Observation.measure_id,
                Observation.effective_at,
                Observation.value_num,
                Observation.value_code,
            )
            .outerjoin(CareSession, col(CareSession.id) == Observation.session_id)
            .where(col(Observation.patient_id).in_(ids), col(Observation.measure_id).in_(wanted), *stands())
            .order_by(Observation.effective_at)
        ).all()
        for patient_id, measure_id, when, number, code in rows:
            found[patient_id][measure_id].append((_as_utc(when), number, code))
        return found

    # -- one pathway -----------------------------------------------------------------------------------

    def pathway(self, protocol: Protocol) -> PathwayYear:
        figures = PathwayYear(protocol.id)
        enrolments = self._enrolments(protocol.id)
        in_force = [e for e in enrolments if e[2] <= self.last_day and (e[3] is None or e[3] >= self.low)]
        figures.enrolled = len({patient_id for _, patient_id, _, _ in in_force})
        figures.new_enrolments = sum(1 for e in enrolments if self.first_day <= e[2] <= self.last_day)
        seen: set[str] = set()
        minutes = 0.0
        session_ids = []
        for session_id, patient_id, duration, pathways in self.sessions:
            if protocol.id in pathways:
                figures.sessions += 1
                seen.add(patient_id)
                minutes += duration / len(pathways)
                session_ids.append(session_id)
        for workshop_id, duration in self.db.exec(
            select(Workshop.id, Workshop.duration_minutes).where(
                Workshop.practice_id == self.practice_id,
                Workshop.protocol_id == protocol.id,
                Workshop.held_at >= self.low,
                Workshop.held_at < self.high,
            )
        ).all():
            figures.workshops += 1
            minutes += duration
            present = self.db.exec(
                select(WorkshopAttendance.patient_id).where(
                    WorkshopAttendance.workshop_id == workshop_id, WorkshopAttendance.status == "present"
                )
            ).all()
            figures.workshop_attendances += len(present)
            seen.update(present)
        figures.seen = len(seen)
        figures.minutes = round(minutes)
        figures.acts = self._acts(protocol.id, session_ids)
        self._alerts(protocol.id, figures)
        figures.adverse_events = self.db.exec(
            select(func.count())
            .select_from(AdverseEvent)
            .where(
                AdverseEvent.practice_id == self.practice_id,
                AdverseEvent.protocol_id == protocol.id,
                AdverseEvent.occurred_on >= self.first_day,
                AdverseEvent.occurred_on <= self.last_day,
            )
        ).one()
        figures.refusals = dict(
            Counter(
                self.db.exec(
                    select(EnrolmentRefusal.reason).where(
                        EnrolmentRefusal.practice_id == self.practice_id,
                        EnrolmentRefusal.protocol_id == protocol.id,
                        EnrolmentRefusal.refused_on >= self.first_day,
                        EnrolmentRefusal.refused_on <= self.last_day,
                    )
                ).all()
            )
        )
        figures.exits = self._exits([e[0] for e in enrolments])
        self._clinical(protocol, figures, in_force)
        return figures

    def _acts(self, protocol_id: str, session_ids: list[str]) -> dict[str, int]:
        if not session_ids:
            return {}
        rows = self.db.exec(
            select(SessionItem.item_id).where(
                col(SessionItem.session_id).in_(session_ids),
                SessionItem.kind == "act",
                SessionItem.protocol_id == protocol_id,
            )
        ).all()
        return dict(sorted(Counter(rows).items()))

    def _alerts(self, protocol_id: str, figures: PathwayYear) -> None:
        for status, relevant in self.db.exec(
            select(Alert.status, Alert.relevant).where(
                Alert.practice_id == self.practice_id,
                Alert.protocol_id == protocol_id,
                Alert.raised_at >= self.low,
                Alert.raised_at < self.high,
            )
        ).all():
            figures.alerts_raised += 1
            if status == "acknowledged":
                figures.alerts_acknowledged += 1
                figures.alerts_relevant += relevant is True
                figures.alerts_not_relevant += relevant is False

    def _exits(self, enrolment_ids: list[str]) -> dict[str, int]:
        if not enrolment_ids:
            return {}
        rows = self.db.exec(
            select(EnrolmentStatusChange.reason).where(
                col(EnrolmentStatusChange.enrolment_id).in_(enrolment_ids),
                EnrolmentStatusChange.status == "ended",
                EnrolmentStatusChange.changed_at >= self.low,
                EnrolmentStatusChange.changed_at < self.high,
            )
        ).all()
        return dict(Counter(reason or "—" for reason in rows))

    def unlinked_events(self) -> int:
        return self.db.exec(
            select(func.count())
            .select_from(AdverseEvent)
            .where(
                AdverseEvent.practice_id == self.practice_id,
                col(AdverseEvent.protocol_id).is_(None),
                AdverseEvent.occurred_on >= self.first_day,
                AdverseEvent.occurred_on <= self.last_day,
            )
        ).one()

    # -- clinical results ------------------------------------------------------------------------------

    def _clinical(
        self, protocol: Protocol, figures: PathwayYear, in_force: list[tuple[str, str, date, datetime | None]]
    ) -> None:
        patients = {patient_id: start for _, patient_id, start, _ in in_force}
        measures = [
            m
            for m in ("hba1c", "sbp", "dbp", "smoking", "fev1-fvc", "moca", "mini-cog")
            if protocol.has_measure(m)
        ]
        history = self._history(patients, measures)
        if protocol.has_measure("hba1c"):
            self._hba1c(protocol, figures, patients, history)
        if protocol.has_measure("sbp") and protocol.has_measure("dbp"):
            self._blood_pressure(figures, patients, history)
        if protocol.has_measure("smoking"):
            self._smoking(figures, patients, history)
        if protocol.has_measure("fev1-fvc"):
            self._spirometry(protocol, figures, patients, history)
        if protocol.has_measure("moca") or protocol.has_measure("mini-cog"):
            self._cognitive(protocol, figures, patients, history)

    def _in_year(self, values: list[_Dated]) -> list[_Dated]:
        return [v for v in values if self.low <= v[0] < self.high]

    def _hba1c(
        self, protocol: Protocol, figures: PathwayYear, patients: dict[str, date], history: History
    ) -> None:
        low = middle = high = 0
        for patient_id in patients:
            values = self._in_year(_numbers(history[patient_id]["hba1c"]))
            if not values:
                continue
            latest = values[-1][1]
            if latest < 6.5:
                low += 1
            elif latest <= 8.0:
                middle += 1
            else:
                high += 1
        figures.hba1c_bands = (low, middle, high)
        measure = protocol.measure("hba1c")
        personal = targets.current_for(self.db, list(patients))
        at_target = evaluated = 0
        for patient_id, start in patients.items():
            anniversary = _anniversary(start)
            if not self.first_day <= anniversary <= self.last_day:
                continue
            moment = datetime.combine(anniversary, time(12), tzinfo=TIMEZONE)
            near = [
                v for v in _numbers(history[patient_id]["hba1c"]) if abs(v[0] - moment) <= ANNIVERSARY_WINDOW
            ]
            target = targets.effective(measure, personal.get(patient_id, {}))
            if not near or target is None:
                continue
            nearest = min(near, key=lambda v: abs(v[0] - moment))
            evaluated += 1
            at_target += targets.meets(nearest[1], target)
        figures.hba1c_anniversary = (at_target, evaluated)

    def _blood_pressure(self, figures: PathwayYear, patients: dict[str, date], history: History) -> None:
        at_enrolment = after = population = 0
        for patient_id, start in patients.items():
            pairs = _pairs(history[patient_id]["sbp"], history[patient_id]["dbp"])
            start_moment = datetime.combine(start, time(12), tzinfo=TIMEZONE)
            first = next((p for p in pairs if abs(p[0] - start_moment) <= ENROLMENT_WINDOW), None)
            later = [p for p in self._in_year(pairs) if first is not None and p[0] > first[0]]
            if first is None or not later:
                continue
            population += 1
            at_enrolment += _high(first)
            after += _high(later[-1])
        figures.bp_high_at_enrolment = (at_enrolment, population)
        figures.bp_high_after = (after, population)

    def _smoking(self, figures: PathwayYear, patients: dict[str, date], history: History) -> None:
        smokers = quit = 0
        for patient_id in patients:
            statuses = [v for v in history[patient_id]["smoking"] if v[0] < self.high]
            if not statuses or statuses[0][2] not in SMOKER_CODES:
                continue
            smokers += 1
            quit += statuses[-1][2] == EX_SMOKER
        figures.smoking_cessation = (quit, smokers)

    def _spirometry(
        self, protocol: Protocol, figures: PathwayYear, patients: dict[str, date], history: History
    ) -> None:
        figures.spirometry_acts = sum(
            count
            for act, count in figures.acts.items()
            if any(a.id == act and a.measure == "fev1-fvc" for a in protocol.delegated_acts)
        )
        measured = obstructed = 0
        for patient_id in patients:
            values = self._in_year(_numbers(history[patient_id]["fev1-fvc"]))
            if values:
                measured += 1
                obstructed += values[-1][1] < 70
        figures.spirometry_patients = (obstructed, measured)

    def _cognitive(
        self, protocol: Protocol, figures: PathwayYear, patients: dict[str, date], history: History
    ) -> None:
        screened = {
            p for p in patients if self._in_year(history[p]["moca"]) or self._in_year(history[p]["mini-cog"])
        }
        positive: set[str] = set()
        referred: set[str] = set()
        for patient_id, status, relevant in self.db.exec(
            select(Alert.patient_id, Alert.status, Alert.relevant).where(
                Alert.practice_id == self.practice_id,
                Alert.protocol_id == protocol.id,
                col(Alert.rule_id).in_(SCREENING_RULES),
                Alert.raised_at >= self.low,
                Alert.raised_at < self.high,
            )
        ).all():
            positive.add(patient_id)
            if status == "acknowledged" and relevant is True:
                referred.add(patient_id)
        figures.cognitive = (len(screened), len(positive), len(referred))


def _anniversary(start: date) -> date:
    try:
        return start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def _pairs(systolic: list[Value], diastolic: list[Value]) -> list[tuple[datetime, float, float]]:
    """Office readings taken together (same time): systolic and diastolic of one measurement."""
    by_time = dict(_numbers(diastolic))
    return [(when, number, by_time[when]) for when, number in _numbers(systolic) if when in by_time]


def _numbers(values: list[Value]) -> list[tuple[datetime, float]]:
    """The values that carry a number (every value of a quantity measure does)."""
    return [(when, number) for when, number, _ in values if number is not None]


def _high(pair: tuple[datetime, float, float]) -> bool:
    return pair[1] >= 140 or pair[2] >= 90
