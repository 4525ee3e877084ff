"""What is due for a patient, and spans between clinical times (durations: ``durations``).

Schedule: for every measure with ``every``, relative to its latest value (or to the enrolment when it
was never measured)::

    due_at     = last + every
    overdue_at = due_at + grace            (grace defaults to P1M, design)
    lost_at    = overdue_at + P12M         (lost to follow-up, design)

Each boundary instant belongs to the later status: at exactly ``due_at`` the item is "due", at exactly
``overdue_at`` it is "overdue", at exactly ``lost_at`` it is "lost".

Spans between two clinical times (rule windows ``within``, ``missing_for``): ``compare_span`` is the one
definition the rules use. A duration written in days, weeks, months or years counts *calendar dates in
Europe/Paris*, whatever the hour and whatever the clock change: a weighing on day D and one on day D+3,
at 07:55 or 23:30, are 3 days apart (so ``within: P3D`` holds), even across the night summer time ends.
Months and years are calendar months (a window counted back from its latest value: 31 March − P1M =
28 February; an absence counted on from its reference: 31 January + P1M = 28/29 February).
Only a duration with a time part (``PT12H``, ``P1DT6H``) is counted in elapsed time, to the second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .durations import Duration, add_duration, approximate_days, as_duration, shift
from .schema import Obs, Protocol

try:
    # The practices' time zone, the one definition: days are counted in it, times are shown in it.
    TIMEZONE: tzinfo = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # pragma: no cover - no tz database: days counted in UTC
    TIMEZONE = UTC


def local_date(moment: datetime) -> date:
    """The calendar date of a clinical time in France."""
    return moment.astimezone(TIMEZONE).date()


def compare_span(
    start: datetime, end: datetime, duration: Duration | str, counted_from: Literal["start", "end"] = "start"
) -> int:
    """How the span from ``start`` to ``end`` stands against ``duration``: -1 shorter, 0 equal, 1 longer.

    Days, weeks, months and years compare calendar dates in Europe/Paris; a duration with a time part
    compares instants. ``counted_from`` says which end the months are counted from, which matters only
    at month ends (31 March back one month is 28 February; 28 February on one month is 28 March): an
    absence (``missing_for``) counts on from its reference, a window (``within``) back from the latest
    value. ``compare_span(a, b, "P3D", "end") <= 0`` reads "a is within 3 days before b".
    """
    parsed = as_duration(duration)
    sign = 1 if counted_from == "start" else -1
    if parsed.has_time:  # in UTC: elapsed time, whatever zone the times were given in
        first: date | datetime = start.astimezone(UTC)
        last: date | datetime = end.astimezone(UTC)
    else:
        first, last = local_date(start), local_date(end)
    if counted_from == "start":
        edge = shift(first, parsed, sign)
        return (last > edge) - (last < edge)
    edge = shift(last, parsed, sign)
    return (first < edge) - (first > edge)


def as_utc(moment: date | datetime) -> datetime:
    """A date means its midnight UTC; naive datetimes are refused (every clinical time carries a zone)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetime: clinical times must be timezone-aware (UTC)")
        return moment
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------

DEFAULT_GRACE = Duration(months=1)  # design: a month's leeway before "overdue"
LOST_AFTER = Duration(months=12)  # design: overdue for 12 months ⇒ lost to follow-up

Status = Literal["ok", "due", "overdue", "lost"]


@dataclass(frozen=True)
class DueItem:
    measure: str
    last: datetime | None
    due_at: datetime
    overdue_at: datetime
    status: Status
    lost_at: datetime


def latest_times(history: Iterable[Obs]) -> dict[str, datetime]:
    """Latest effective time per measure id, in one pass."""
    latest: dict[str, datetime] = {}
    for obs in history:
        seen = latest.get(obs.measure)
        if seen is None or obs.effective > seen:
            latest[obs.measure] = obs.effective
    return latest


def _status(now: datetime, due_at: datetime, overdue_at: datetime, lost_at: datetime) -> Status:
    if now >= lost_at:
        return "lost"
    if now >= overdue_at:
        return "overdue"
    if now >= due_at:
        return "due"
    return "ok"


def interval_for(measure: object, intervals: Mapping[str, Duration | str] | None) -> Duration | None:
    """The follow-up interval of ``measure`` for one patient: the GP's personal interval where the
    protocol allows one (``every_range``), brought inside that range should the protocol have narrowed
    it since; else the protocol's ``every``. A measure without ``every_range`` keeps its ``every``."""
    every: Duration | None = getattr(measure, "every", None)
    allowed: Sequence[Duration] | None = getattr(measure, "every_range", None)
    personal = (intervals or {}).get(getattr(measure, "id", "")) if allowed else None
    if every is None or personal is None or allowed is None:
        return every
    chosen = as_duration(personal)
    shortest, longest = allowed
    if approximate_days(chosen) < approximate_days(shortest):
        return shortest
    if approximate_days(chosen) > approximate_days(longest):
        return longest
    return chosen


def due_items(
    protocol: Protocol,
    history: Sequence[Obs],
    enrolled_since: date | datetime,
    now: datetime,
    snoozed_until: datetime | Mapping[str, datetime] | None = None,
    intervals: Mapping[str, Duration | str] | None = None,
) -> list[DueItem]:
    """What is due for one patient in one pathway, sorted by due date.

    Only measures with ``every`` appear. ``snoozed_until`` (one time for the whole pathway, or a map
    measure id → time) postpones ``due_at`` to the snooze end; grace and "lost" count from there.
    ``intervals`` overrides ``every`` per measure for this patient (e.g. foot exam every P3M for an
    IWGDF grade 2 foot), as personal targets override targets, where the protocol allows it
    (``interval_for``).
    """
    start = as_utc(enrolled_since)
    latest = latest_times(history)
    items: list[DueItem] = []
    for measure in protocol.measures:
        every = interval_for(measure, intervals)
        if every is None:
            continue
        last = latest.get(measure.id)
        due_at = add_duration(last or start, every)
        snooze = snoozed_until.get(measure.id) if isinstance(snoozed_until, Mapping) else snoozed_until
        if snooze is not None and snooze > due_at:
            due_at = snooze
        overdue_at = add_duration(due_at, measure.grace or DEFAULT_GRACE)
        lost_at = add_duration(overdue_at, LOST_AFTER)
        status = _status(now, due_at, overdue_at, lost_at)
        items.append(DueItem(measure.id, last, due_at, overdue_at, status, lost_at))
    items.sort(key=lambda item: (item.due_at, item.measure))
    return items
