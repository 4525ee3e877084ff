"""Control-rate charts as inline SVG, computed on the server like the trend charts (`web/charts.py`):
one bar a month, its height the patients under care, stacked by group from the bottom: controlled,
uncontrolled, no recent value, missed visits. Geometry only: `fragments/control_chart.html` draws it.

Each group keeps one colour wherever it appears (bars, legend): green only ever means controlled, so a
month with no patient controlled shows no green at all. Every segment carries its month, group, count
and share as text, for screen readers and for a pointer that rests on it.
"""

from dataclasses import dataclass

from asalee_track import i18n
from asalee_track.care.control_trend import CATEGORIES, IndicatorTrend, MonthControl
from asalee_track.i18n import N_, date_formatter
from asalee_track.web.charts import CHAR, GAP, RIGHT, Tick

WIDTH, HEIGHT = 420, 170
TOP, BOTTOM = 12, 26
LABEL_EVERY = 4  # months between two month labels ("sept. 2026"): closer, they would touch

CATEGORY_LABELS = {
    "controlled": N_("Controlled"),
    "uncontrolled": N_("Uncontrolled"),
    "no_recent_value": N_("No recent value"),
    "missed_visits": N_("Missed visits"),
}


@dataclass(frozen=True)
class Segment:
    category: str  # its CSS class says its colour
    x: float
    y: float
    width: float
    height: float
    label: str  # "mars 2026 – Contrôlés : 12 sur 40 (30 %)"


@dataclass(frozen=True)
class ControlChart:
    title: str
    segments: list[Segment]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    left: float
    width: int = WIDTH
    height: int = HEIGHT


def percent(share: float | None) -> str:
    return "—" if share is None else f"{round(share * 100)} %"


def category_text(month: MonthControl, category: str, month_label: str) -> str:
    return i18n.gettext("%(month)s – %(group)s: %(count)s of %(total)s (%(share)s)") % {
        "month": month_label,
        "group": i18n.gettext(CATEGORY_LABELS[category]),
        "count": month.count(category),
        "total": month.under_care,
        "share": percent(month.share(category)),
    }


def control_chart(trend: IndicatorTrend, title: str) -> ControlChart:
    tick_labels = [f"{value} %" for value in (0, 25, 50, 75, 100)]
    left = float(max(len(label) for label in tick_labels) * CHAR + 2 * GAP)
    plot_w, plot_h = WIDTH - left - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(trend.months)
    bar = slot * 0.7
    long_month = date_formatter("MMMM y")
    short_month = date_formatter("MMM y")
    segments: list[Segment] = []
    for index, month in enumerate(trend.months):
        x = left + index * slot + (slot - bar) / 2
        bottom: float = TOP + plot_h
        for category in CATEGORIES:
            share = month.share(category)
            if not share:
                continue
            height = plot_h * share
            label = category_text(month, category, long_month(month.month))
            segments.append(Segment(category, x, bottom - height, bar, height, label))
            bottom -= height
    y_ticks = [
        Tick(TOP + plot_h * (1 - value / 100), text)
        for value, text in zip((0, 25, 50, 75, 100), tick_labels, strict=True)
    ]
    # Labelled back from the latest month, whose label ends at its bar's right edge (drawn end-anchored):
    # centred, it would overflow the view box.
    last = len(trend.months) - 1
    x_ticks = [
        Tick(
            left + index * slot + (slot + bar) / 2 if index == last else left + index * slot + slot / 2,
            short_month(month.month),
        )
        for index, month in enumerate(trend.months)
        if (last - index) % LABEL_EVERY == 0
    ]
    return ControlChart(title, segments, y_ticks, x_ticks, left)
