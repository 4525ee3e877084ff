"""Scoring a questionnaire and averaging a home blood-pressure series: pure functions over plain values.

A questionnaire with every item answered gets a total (the sum of the answers' points) and the band it
falls in. One with an item left blank is *incomplete*: no total, because a partial sum would read as a
better score than the patient's. A home series gets averages only when it holds enough complete
readings; every reading is kept either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .schema import Band, HomeBloodPressure, Instrument

PERIODS = ("morning", "evening")


@dataclass(frozen=True)
class Scored:
    answers: dict[str, tuple[str, float]]  # item id → (answer code, points)
    missing: list[str]  # item ids left blank
    total: float | None  # None when incomplete
    band: Band | None

    @property
    def complete(self) -> bool:
        return not self.missing


class UnknownAnswer(ValueError):
    """An answer code the item does not offer (a forged or stale form)."""

    def __init__(self, item_id: str, code: str) -> None:
        super().__init__(f"{code!r} is not an answer of item {item_id!r}")
        self.item_id = item_id
        self.code = code


def score(instrument: Instrument, answers: Mapping[str, str]) -> Scored:
    """Total and band of ``answers`` (item id → answer code); raises ``UnknownAnswer``."""
    chosen: dict[str, tuple[str, float]] = {}
    missing: list[str] = []
    for item in instrument.items:
        code = answers.get(item.id)
        if not code:
            missing.append(item.id)
            continue
        option = next((o for o in instrument.item_options(item) if o.code == code), None)
        if option is None:
            raise UnknownAnswer(item.id, code)
        chosen[item.id] = (option.code, option.points)
    if missing:
        return Scored(chosen, missing, None, None)
    total = sum(points for _, points in chosen.values())
    return Scored(chosen, [], total, instrument.band(total))


@dataclass(frozen=True)
class HomeReading:
    day: int  # 1-based
    period: str  # morning, evening
    rank: int  # 1-based, within the period
    sbp: float
    dbp: float


@dataclass(frozen=True)
class HomeAverage:
    sbp: float
    dbp: float
    count: int


def home_average(series: HomeBloodPressure, readings: Sequence[HomeReading]) -> HomeAverage | None:
    """Mean systolic and diastolic over every reading, or None below ``min_readings``.

    Plain means over all readings, as the rule of 3 prescribes (not a mean of daily means): a missing
    reading then weighs on nothing but the count.
    """
    if len(readings) < series.min_readings:
        return None
    count = len(readings)
    return HomeAverage(
        sbp=round(sum(r.sbp for r in readings) / count, 1),
        dbp=round(sum(r.dbp for r in readings) / count, 1),
        count=count,
    )
