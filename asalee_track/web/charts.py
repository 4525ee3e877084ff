"""Trend charts as inline SVG, computed on the server: values over time against the target.

Geometry only: the template draws it (`fragments/chart.html`). No script, readable in print, and every
point carries its date and value as text for screen readers.

What keeps a chart from being misread:
* the y axis has round ticks (steps of 1, 2 or 5 times a power of ten), numbers grouped as in French,
  without the unit, which the title carries once (``NT-proBNP (pg/mL)``);
* the left margin is as wide as the longest tick label: everything is drawn inside the view box, and
  the SVG scales as a whole, so no label is cut at any page width (2 277 never reads "77");
* the target is drawn (band and line) and labelled with its value (``cible ≤ 7,0 %``).

A long history is thinned for drawing (``thin``): at most ``MAX_POINTS`` points, keeping each stretch's
lowest and highest values and the latest one, so no peak disappears. Every value stays in the tables,
the history and FHIR.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime

from asalee_track import i18n
from asalee_track.i18n import date_formatter
from asalee_track.protocols import Measure, Target
from asalee_track.protocols.units import display_unit, format_number, format_value

WIDTH, HEIGHT = 420, 170  # about the size a card shows it: labels stay legible on a phone
RIGHT, TOP, BOTTOM = 12, 12, 26
FONT = 10  # px, in view box units (svg.trend .axis)
CHAR = 6.2  # a generous mean glyph width at FONT for digits, spaces and commas: margins never fall short
GAP = 6  # between a tick label and the plot
MAX_POINTS = 240  # a 420-unit-wide plot shows no more: more points only cost time to draw


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
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str  # the measure and its unit, once: "HbA1c (%)"
    points: list[Point]
    band: tuple[float, float] | None  # y of the target band's top and bottom edges
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    left: float = 48.0  # x where the plot starts: right of the widest tick label
    target_lines: list[float] = field(default_factory=list)  # y of each target bound
    target_label: Label | None = None
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def plot_width(self) -> float:
        return self.width - RIGHT - self.left


def nice_step(span: float, intervals: int = 4) -> float:
    """The round step (1, 2 or 5 × 10ⁿ) that cuts ``span`` into at most about ``intervals`` parts."""
    raw = span / intervals if span > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw * (1 - 1e-9):
            return multiple * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _decimals_of(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9))


def y_axis(
    values: list[float], target: Target | None, plausible: list[float] | None
) -> tuple[float, float, float]:
    """Axis bounds and step: the values and the target, a little room, round ends, within plausible."""
    bounds = list(values) + [b for b in ((target.min, target.max) if target else ()) if b is not None]
    low, high = min(bounds), max(bounds)
    pad = (high - low) * 0.1 or max(abs(high) * 0.05, 1.0)
    low, high = low - pad, high + pad
    if plausible:  # never draw an axis past what can be measured
        low, high = max(low, plausible[0]), min(high, plausible[1])
    step = nice_step(high - low)
    return math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step, step


def chart_title(measure: Measure, locale: str) -> str:
    unit = display_unit(measure.unit, locale)
    label = measure.label.get(locale)
    return f"{label} ({unit})" if unit else label


def target_text(measure: Measure, target: Target, locale: str) -> str:
    """``cible ≤ 7,0 %``, ``cible ≥ 60 mL/min/1,73 m²``, ``cible 0,80–1,30 g/L``."""
    if target.min is not None and target.max is not None:
        low = format_number(target.min, locale, measure.decimals)
        bounds = f"{low}–{format_value(target.max, measure, locale)}"
    elif target.max is not None:
        bounds = f"≤ {format_value(target.max, measure, locale)}"
    else:
        assert target.min is not None
        bounds = f"≥ {format_value(target.min, measure, locale)}"
    return i18n.gettext("target %(bounds)s") % {"bounds": bounds}


def trend_chart(
    measure: Measure, series: list[tuple[datetime, float]], target: Target | None, locale: str
) -> Chart | None:
    if not series:
        return None
    series = thin(sorted(series))
    values = [value for _, value in series]
    low, high, step = y_axis(values, target, measure.plausible)
    decimals = _decimals_of(step)
    count = round((high - low) / step)
    tick_values = [low + step * index for index in range(count + 1)]
    tick_labels = [format_number(value, locale, decimals) for value in tick_values]
    left = math.ceil(max(len(label) for label in tick_labels) * CHAR + 2 * GAP)
    start, end = series[0][0], series[-1][0]
    span = (end - start).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(moment: datetime) -> float:
        return left + plot_w * ((moment - start).total_seconds() / span if len(series) > 1 else 0.5)

    def y_of(value: float) -> float:
        clamped = min(max(value, low), high)
        return TOP + plot_h * (1 - (clamped - low) / (high - low))

    day = date_formatter(locale_name=locale)
    points = [
        Point(
            x_of(moment),
            y_of(value),
            f"{day(moment)} : {format_value(value, measure, locale)}",
            _meets(value, target),
        )
        for moment, value in series
    ]
    band, lines, label = None, [], None
    if target is not None:
        band = (
            y_of(target.max if target.max is not None else high),
            y_of(target.min if target.min is not None else low),
        )
        lines = [
            y_of(bound) for bound in (target.max, target.min) if bound is not None and low <= bound <= high
        ]
        anchor = lines[0] if lines else band[0]
        above = anchor - 4
        label_y = above if above - FONT >= 0 else anchor + FONT + 3  # inside the view box either way
        # Right-aligned, a little short of the edge: clear of the latest point.
        label = Label(WIDTH - RIGHT - 10, label_y, target_text(measure, target, locale))
    y_ticks = [Tick(y_of(value), text) for value, text in zip(tick_values, tick_labels, strict=True)]
    month = date_formatter("MMM y", locale)
    x_ticks = [Tick(x_of(moment), month(moment)) for moment in _date_ticks(series)]
    return Chart(chart_title(measure, locale), points, band, y_ticks, x_ticks, left, lines, label)


def thin(series: list[tuple[datetime, float]], limit: int = MAX_POINTS) -> list[tuple[datetime, float]]:
    """At most ``limit`` points of a time-sorted series: in each of ``limit / 2`` stretches, its lowest
    and highest values, in time order; the first and latest points always."""
    if len(series) <= limit:
        return series
    buckets = limit // 2
    size = len(series) / buckets
    kept: list[tuple[datetime, float]] = []
    for index in range(buckets):
        stretch = series[int(index * size) : int((index + 1) * size)]
        if stretch:
            low = min(stretch, key=lambda point: point[1])
            high = max(stretch, key=lambda point: point[1])
            kept.extend(sorted({low, high}))
    return sorted({series[0], *kept, series[-1]})


def _meets(value: float, target: Target | None) -> bool | None:
    if target is None:
        return None
    return (target.min is None or value >= target.min) and (target.max is None or value <= target.max)


def _date_ticks(series: list[tuple[datetime, float]], count: int = 4) -> list[datetime]:
    if len(series) == 1:
        return [series[0][0]]
    start, end = series[0][0], series[-1][0]
    return [start + (end - start) * i / (count - 1) for i in range(count)]
