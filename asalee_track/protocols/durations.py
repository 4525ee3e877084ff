"""ISO 8601 durations with calendar arithmetic.

Durations: ``PnYnMnWnDTnHnMnS`` with integer fields. Years and months are *calendar* units: adding
P1M to 31 January gives 28/29 February (the day is clamped), never "30 days". A follow-up "every 3
months" means the same day three months later, which is what nurses and GPs expect.

A module of its own, importing nothing from the rest of the package: the schema validates durations
with it, and the schedule and the rules count with it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TypeVar

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


@dataclass(frozen=True)
class Duration:
    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    # Cached: the worklist adds durations hundreds of thousands of times per page.
    @cached_property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    @cached_property
    def has_time(self) -> bool:
        """Written with a time part (``PT12H``): counted in elapsed time, not in calendar dates."""
        return bool(self.hours or self.minutes or self.seconds)

    @cached_property
    def fixed(self) -> timedelta:
        """The part with a fixed length (weeks and below)."""
        return timedelta(
            weeks=self.weeks, days=self.days, hours=self.hours, minutes=self.minutes, seconds=self.seconds
        )

    def iso(self) -> str:
        date_part = "".join(
            f"{value}{letter}"
            for value, letter in ((self.years, "Y"), (self.months, "M"), (self.weeks, "W"), (self.days, "D"))
            if value
        )
        time_part = "".join(
            f"{value}{letter}"
            for value, letter in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S"))
            if value
        )
        if not date_part and not time_part:
            return "PT0S"
        return "P" + date_part + (f"T{time_part}" if time_part else "")


class DurationError(ValueError):
    pass


def parse_duration(text: str) -> Duration:
    """Parse ``P3M``, ``P1Y``, ``P3D``, ``PT12H``, ``P1Y2M10DT2H30M``… (integers only).

    Raises ``DurationError`` on anything else (``3M``, ``P``, ``PT``, ``P1.5M``, ``p3m``).
    """
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise DurationError(f"invalid ISO 8601 duration {text!r}; expected e.g. P3M, P1Y, P3D or PT12H")
    fields = {name: int(value) for name, value in match.groupdict().items() if value is not None}
    duration = Duration(**fields)
    if duration.total_months == 0 and duration.fixed == timedelta(0):
        raise DurationError(f"duration {text!r} is zero; a follow-up interval must be positive")
    return duration


def as_duration(value: Duration | str) -> Duration:
    return value if isinstance(value, Duration) else parse_duration(value)


_Moment = TypeVar("_Moment", date, datetime)


def add_months(moment: _Moment, months: int) -> _Moment:
    """Calendar month arithmetic, clamping the day (31 Jan + 1 month → 28/29 Feb)."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = moment.day if moment.day <= 28 else min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def add_duration(moment: datetime, duration: Duration | str, sign: int = 1) -> datetime:
    """``moment + duration`` (``sign=-1``: minus). Months first, then the fixed part, as ISO 8601 says."""
    return shift(moment, as_duration(duration), sign)


def approximate_days(duration: Duration) -> float:
    """A duration's length in days, months at their mean length: to order intervals, never to add them."""
    return duration.total_months * 30.436875 + duration.fixed.total_seconds() / 86400


def in_range(duration: Duration, allowed: Sequence[Duration]) -> bool:
    """Within [shortest, longest], both included (P3M and P6M are in [P3M, P6M]; P90D is not)."""
    shortest, longest = allowed
    return approximate_days(shortest) <= approximate_days(duration) <= approximate_days(longest)


def shift(moment: _Moment, duration: Duration, sign: int = 1) -> _Moment:
    """``moment + duration`` for a date or a datetime (``sign=-1``: minus): months first, then the rest."""
    shifted = add_months(moment, sign * duration.total_months) if duration.total_months else moment
    return shifted + sign * duration.fixed if duration.fixed else shifted
