"""Trend charts as inline SVG, computed on the server: values over time against the target band.

Geometry only: the template draws it (`fragments/chart.html`). No script, readable in print, and every
point carries its date and value as text for screen readers.
"""

from dataclasses import dataclass
from datetime import datetime

from asalee_track.i18n import format_date
from asalee_track.protocols import Measure, Target
from asalee_track.protocols.units import format_quantity

WIDTH, HEIGHT = 560, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 10, 26


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # "12 mars 2025 : 7,2 %"
    at_target: bool | None


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    points: list[Point]
    band: tuple[float, float] | None  # y of the target band's top and bottom edges
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def _value_range(
    values: list[float], target: Target | None, plausible: list[float] | None
) -> tuple[float, float]:
    bounds = list(values) + [b for b in ((target.min, target.max) if target else ()) if b is not None]
    low, high = min(bounds), max(bounds)
    pad = (high - low) * 0.1 or max(abs(high) * 0.05, 1.0)
    low, high = low - pad, high + pad
    if plausible:  # never draw an axis past what can be measured
        low, high = max(low, plausible[0]), min(high, plausible[1])
    return low, high


def trend_chart(
    measure: Measure, series: list[tuple[datetime, float]], target: Target | None, locale: str
) -> Chart | None:
    if not series:
        return None
    series = sorted(series)
    values = [value for _, value in series]
    low, high = _value_range(values, target, measure.plausible)
    start, end = series[0][0], series[-1][0]
    span = (end - start).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(moment: datetime) -> float:
        return LEFT + plot_w * ((moment - start).total_seconds() / span if len(series) > 1 else 0.5)

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return TOP + plot_h * (1 - (clamped - low) / (high - low))

    def quantity(value: float) -> str:
        return format_quantity(value, measure.unit, locale, decimals=measure.decimals)

    points = [
        Point(x_of(moment), y_of(value), f"{format_date(moment)} : {quantity(value)}", _meets(value, target))
        for moment, value in series
    ]
    band = None
    if target is not None:
        band = (
            y_of(target.max if target.max is not None else high),
            y_of(target.min if target.min is not None else low),
        )
    y_ticks = [Tick(y_of(low + (high - low) * i / 3), quantity(low + (high - low) * i / 3)) for i in range(4)]
    x_ticks = [Tick(x_of(moment), format_date(moment, "MMM y")) for moment in _date_ticks(series)]
    return Chart(measure.label.get(locale), points, band, y_ticks, x_ticks)


def _meets(value: float, target: Target | None) -> bool | None:
    if target is None:
        return None
    return (target.min is None or value >= target.min) and (target.max is None or value <= target.max)


def _date_ticks(series: list[tuple[datetime, float]], count: int = 4) -> list[datetime]:
    if len(series) == 1:
        return [series[0][0]]
    start, end = series[0][0], series[-1][0]
    return [start + (end - start) * i / (count - 1) for i in range(count)]
