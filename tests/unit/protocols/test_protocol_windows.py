"""Rule windows count calendar days in Paris: every rule kind on both sides of its boundary, across the
clock changes of 2026 and 2027, with sessions at 23:30 and 00:30 Paris time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from asalee_track.protocols import Obs, Protocol, add_duration, check_text, evaluate
from asalee_track.protocols.schedule import TIMEZONE as PARIS
from asalee_track.protocols.schedule import compare_span

# The days the clocks change in France: summer time starts (last Sunday of March) and ends (October).
CLOCK_CHANGES = [date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31)]
LATE, EARLY = time(23, 30), time(0, 30)
HOURS = [LATE, EARLY]


def paris(day: date, at: time) -> datetime:
    """A session's time as it is stored: in UTC, typed in Paris."""
    return datetime.combine(day, at, tzinfo=PARIS).astimezone(UTC)


WINDOWS = """
id: windows-under-test
version: "2026.1"
title: {fr: Fenêtres, en: Windows}
condition: {snomed: ["44054006"], icd10: [E11]}
measures:
  - {id: weight, loinc: 29463-7, label: {fr: Poids, en: Weight}, category: vital-signs, unit: kg,
     plausible: [20, 350], decimals: 1}
  - {id: hba1c, loinc: 4548-4, label: {fr: HbA1c, en: HbA1c}, category: laboratory, unit: "%",
     plausible: [3, 20], decimals: 1, target: {max: 7.0}}
  - id: feet
    snomed: "134388005"
    label: {fr: Pieds, en: Feet}
    category: exam
    kind: coded
    codes:
      - {system: local, code: normal, label: {fr: Normal, en: Normal}}
      - {system: local, code: wound, label: {fr: Plaie, en: Wound}}
escalation:
  - {id: rise, when: {measure: weight, rises_by: 2, within: P3D}, severity: high, message: {fr: a, en: a}}
  - {id: rise-pct, when: {measure: weight, rises_by: 5, percent: true, within: P3D}, severity: high,
     message: {fr: b, en: b}}
  - {id: fall, when: {measure: weight, falls_by: 2, within: P1W}, severity: high, message: {fr: c, en: c}}
  - {id: fall-pct, when: {measure: weight, falls_by: 5, percent: true, within: P1M}, severity: high,
     message: {fr: d, en: d}}
  - {id: rise-hours, when: {measure: weight, rises_by: 2, within: PT72H}, severity: high,
     message: {fr: e, en: e}}
  - {id: missing-days, when: {measure: hba1c, missing_for: P3D}, severity: low, message: {fr: f, en: f}}
  - {id: missing-months, when: {measure: hba1c, missing_for: P6M}, severity: low, message: {fr: g, en: g}}
  - {id: above, when: {measure: hba1c, above: 10}, severity: high, message: {fr: h, en: h}}
  - {id: below, when: {measure: hba1c, below: 4}, severity: low, message: {fr: i, en: i}}
  - {id: at-least, when: {measure: hba1c, at_least: 9}, severity: low, message: {fr: j, en: j}}
  - {id: at-most, when: {measure: hba1c, at_most: 5}, severity: low, message: {fr: k, en: k}}
  - {id: target, when: {measure: hba1c, outside_target: true}, severity: low, message: {fr: l, en: l}}
  - {id: twice, when: {measure: hba1c, above: 8, last: 2}, severity: low, message: {fr: m, en: m}}
  - {id: wound, when: {measure: feet, one_of: [wound]}, severity: high, message: {fr: n, en: n}}
  - id: any
    when: {any: [{measure: weight, rises_by: 2, within: P3D}, {measure: hba1c, above: 12}]}
    severity: high
    message: {fr: o, en: o}
  - id: all
    when: {all: [{measure: weight, rises_by: 2, within: P3D}, {measure: weight, at_least: 100}]}
    severity: high
    message: {fr: p, en: p}
"""


@pytest.fixture(scope="module")
def windows() -> Protocol:
    protocol, errors = check_text(WINDOWS, "windows.yaml")
    assert errors == [], errors
    assert protocol is not None
    return protocol


def fired(protocol: Protocol, history: list[Obs], now: datetime, **kwargs: object) -> set[str]:
    return {firing.rule_id for firing in evaluate(protocol, history, now, **kwargs)}  # type: ignore[arg-type]


# Every pair of session hours (23:30, 00:30) around every clock change, in both directions: the
# change falls inside the span whether the clock day is the first or the last day of it.
SPANS = [
    pytest.param(anchor, first, second, direction, id=f"{anchor}-{first:%H%M}-{second:%H%M}-{direction}")
    for anchor in CLOCK_CHANGES
    for first in HOURS
    for second in HOURS
    for direction in ("from", "to")
]


def days_apart(
    anchor: date, first: time, second: time, direction: str, days: int
) -> tuple[datetime, datetime]:
    """Two sessions ``days`` calendar days apart, the clock-change day being the first or the last."""
    if direction == "from":
        return paris(anchor, first), paris(anchor + timedelta(days=days), second)
    return paris(anchor - timedelta(days=days), first), paris(anchor, second)


# --- the two scenarios --------------------------------------------------------------------------


def test_monday_8h_to_thursday_8h30_is_within_three_days(hf: Protocol) -> None:
    monday, thursday = paris(date(2026, 11, 2), time(8)), paris(date(2026, 11, 5), time(8, 30))
    history = [Obs("weight", 78.0, monday), Obs("weight", 80.1, thursday)]
    [firing] = evaluate(hf, history, thursday)
    assert firing.rule_id == "prise-de-poids-rapide"
    assert firing.explanation.fr == "Poids +2,1 kg en 3 jours (78,0 → 80,1 kg)"


def test_friday_to_monday_across_the_end_of_summer_time_is_within_three_days(hf: Protocol) -> None:
    friday, monday = paris(date(2026, 10, 23), time(8)), paris(date(2026, 10, 26), time(8))
    assert monday - friday == timedelta(hours=73)  # the night of 25 October has 25 hours
    history = [Obs("weight", 78.0, friday), Obs("weight", 80.1, monday)]
    assert [f.rule_id for f in evaluate(hf, history, monday)] == ["prise-de-poids-rapide"]
    tuesday = paris(date(2026, 10, 27), time(0, 30))  # day D+4: outside, however few hours later
    assert evaluate(hf, [Obs("weight", 78.0, friday), Obs("weight", 80.1, tuesday)], tuesday) == []


# --- changes within a window ------------------------------------------------------------------------------


@pytest.mark.parametrize(("anchor", "first", "second", "direction"), SPANS)
def test_rises_by_within_days(
    windows: Protocol, anchor: date, first: time, second: time, direction: str
) -> None:
    inside = days_apart(anchor, first, second, direction, 3)
    outside = days_apart(anchor, first, second, direction, 4)
    for (before, after), expected in ((inside, True), (outside, False)):
        history = [Obs("weight", 80.0, before), Obs("weight", 82.0, after)]
        assert ("rise" in fired(windows, history, after)) is expected, (before, after)
        below = [Obs("weight", 80.0, before), Obs("weight", 81.9, after)]  # the amount's own boundary
        assert "rise" not in fired(windows, below, after)


@pytest.mark.parametrize(("anchor", "first", "second", "direction"), SPANS)
def test_rises_by_percent_within_days(
    windows: Protocol, anchor: date, first: time, second: time, direction: str
) -> None:
    inside = days_apart(anchor, first, second, direction, 3)
    outside = days_apart(anchor, first, second, direction, 4)
    for (before, after), expected in ((inside, True), (outside, False)):
        history = [Obs("weight", 100.0, before), Obs("weight", 105.0, after)]
        assert ("rise-pct" in fired(windows, history, after)) is expected
        assert "rise-pct" not in fired(
            windows, [Obs("weight", 100.0, before), Obs("weight", 104.9, after)], after
        )


@pytest.mark.parametrize(("anchor", "first", "second", "direction"), SPANS)
def test_falls_by_within_weeks(
    windows: Protocol, anchor: date, first: time, second: time, direction: str
) -> None:
    inside = days_apart(anchor, first, second, direction, 7)
    outside = days_apart(anchor, first, second, direction, 8)
    for (before, after), expected in ((inside, True), (outside, False)):
        history = [Obs("weight", 80.0, before), Obs("weight", 78.0, after)]
        assert ("fall" in fired(windows, history, after)) is expected


@pytest.mark.parametrize(
    ("anchor", "first", "second"), [(a, f, s) for a in CLOCK_CHANGES for f in HOURS for s in HOURS]
)
def test_falls_by_percent_within_a_calendar_month(
    windows: Protocol, anchor: date, first: time, second: time
) -> None:
    latest = paris(anchor, second)
    month_before = add_duration(datetime.combine(anchor, time(12)), "P1M", sign=-1).date()
    inside = paris(month_before, first)
    outside = paris(month_before - timedelta(days=1), first)
    assert "fall-pct" in fired(windows, [Obs("weight", 80.0, inside), Obs("weight", 76.0, latest)], latest)
    assert "fall-pct" not in fired(
        windows, [Obs("weight", 80.0, outside), Obs("weight", 76.0, latest)], latest
    )
    assert "fall-pct" not in fired(
        windows, [Obs("weight", 80.0, inside), Obs("weight", 76.1, latest)], latest
    )


def test_a_window_written_in_hours_counts_elapsed_hours(windows: Protocol) -> None:
    friday = paris(date(2026, 10, 23), time(8))
    for hours, expected in ((72, True), (73, False)):
        later = friday + timedelta(hours=hours)  # 72 h later it is 07:00 on Monday: winter time
        history = [Obs("weight", 80.0, friday), Obs("weight", 82.0, later)]
        assert ("rise-hours" in fired(windows, history, later)) is expected
        assert "rise" in fired(windows, history, later)  # in days: Friday to Monday is 3 days


def test_the_explanation_counts_calendar_days(windows: Protocol) -> None:
    before, after = paris(date(2026, 3, 28), LATE), paris(date(2026, 3, 31), EARLY)
    [rise] = [
        f
        for f in evaluate(windows, [Obs("weight", 80.0, before), Obs("weight", 82.0, after)], after)
        if f.rule_id == "rise"
    ]
    assert rise.explanation.fr == "Poids +2,0 kg en 3 jours (80,0 → 82,0 kg)"
    same_day = [
        Obs("weight", 80.0, paris(date(2026, 3, 29), EARLY)),
        Obs("weight", 82.0, paris(date(2026, 3, 29), LATE)),
    ]
    [rise] = [f for f in evaluate(windows, same_day, same_day[1].effective) if f.rule_id == "rise"]
    assert (
        rise.explanation.fr == "Poids +2,0 kg en 22 heures (80,0 → 82,0 kg)"
    )  # 23 h on the clock, 22 elapsed


# --- absence ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("anchor", "first", "second", "direction"), SPANS)
def test_missing_for_days(windows: Protocol, anchor: date, first: time, second: time, direction: str) -> None:
    reference, due = days_apart(anchor, first, second, direction, 3)
    history = [Obs("hba1c", 6.5, reference)]
    assert "missing-days" in fired(windows, history, due)
    day_before = paris(due.astimezone(PARIS).date() - timedelta(days=1), time(23, 59, 59))
    assert "missing-days" not in fired(windows, history, day_before)


@pytest.mark.parametrize(
    ("anchor", "first", "second"), [(a, f, s) for a in CLOCK_CHANGES for f in HOURS for s in HOURS]
)
def test_missing_for_months(windows: Protocol, anchor: date, first: time, second: time) -> None:
    reference = paris(anchor, first)
    six_months_on = add_duration(datetime.combine(anchor, time(12)), "P6M").date()
    history = [Obs("hba1c", 6.5, reference)]
    assert "missing-months" in fired(windows, history, paris(six_months_on, second))
    assert "missing-months" not in fired(windows, history, paris(six_months_on - timedelta(days=1), LATE))
    # From the enrolment date, when no value was ever taken:
    assert "missing-months" in fired(windows, [], paris(six_months_on, second), since=anchor)
    assert "missing-months" not in fired(
        windows, [], paris(six_months_on - timedelta(days=1), LATE), since=anchor
    )


# --- latest values: the day a session belongs to is its Paris date ----------------------------------------


THRESHOLDS = [
    ("above", 10.0, 10.1),
    ("below", 4.0, 3.9),
    ("at-least", 8.9, 9.0),
    ("at-most", 5.1, 5.0),
    ("target", 7.0, 7.1),
]


@pytest.mark.parametrize("moment", [paris(day, at) for day in CLOCK_CHANGES for at in HOURS], ids=str)
@pytest.mark.parametrize(("rule", "quiet", "firing"), THRESHOLDS)
def test_thresholds_on_both_sides_at_any_hour(
    windows: Protocol, moment: datetime, rule: str, quiet: float, firing: float
) -> None:
    assert rule not in fired(windows, [Obs("hba1c", quiet, moment)], moment)
    [hit] = [f for f in evaluate(windows, [Obs("hba1c", firing, moment)], moment) if f.rule_id == rule]
    day = moment.astimezone(PARIS).date()
    months = (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    )
    assert f"le {day.day} {months[day.month - 1]} {day.year}" in hit.explanation.fr  # the Paris date
    # A session typed for later in the day is not seen before it happens.
    assert rule not in fired(windows, [Obs("hba1c", firing, moment)], moment - timedelta(seconds=1))


@pytest.mark.parametrize("anchor", CLOCK_CHANGES, ids=str)
def test_last_two_values_at_23h30_and_00h30_are_two_sessions(windows: Protocol, anchor: date) -> None:
    evening, night = paris(anchor, LATE), paris(anchor + timedelta(days=1), EARLY)
    assert "twice" in fired(windows, [Obs("hba1c", 8.1, evening), Obs("hba1c", 8.2, night)], night)
    assert "twice" not in fired(windows, [Obs("hba1c", 8.0, evening), Obs("hba1c", 8.2, night)], night)


@pytest.mark.parametrize("moment", [paris(day, at) for day in CLOCK_CHANGES for at in HOURS], ids=str)
def test_one_of_at_any_hour(windows: Protocol, moment: datetime) -> None:
    assert "wound" in fired(windows, [Obs("feet", "wound", moment)], moment)
    assert "wound" not in fired(
        windows, [Obs("feet", "wound", moment), Obs("feet", "normal", moment)], moment
    )


@pytest.mark.parametrize(("anchor", "first", "second", "direction"), SPANS)
def test_any_and_all_carry_the_day_window(
    windows: Protocol, anchor: date, first: time, second: time, direction: str
) -> None:
    for days, expected in ((3, True), (4, False)):
        before, after = days_apart(anchor, first, second, direction, days)
        history = [Obs("weight", 100.0, before), Obs("weight", 102.0, after)]
        rules = fired(windows, history, after)
        assert ("any" in rules) is expected
        assert ("all" in rules) is expected


# --- the definition itself ------------------------------------------------------------------------


def test_compare_span_counts_paris_dates_or_exact_hours() -> None:
    friday, monday = paris(date(2026, 10, 23), time(8)), paris(date(2026, 10, 26), time(8))
    assert compare_span(friday, monday, "P3D") == 0
    assert compare_span(friday, monday, "PT72H") == 1
    assert compare_span(paris(date(2026, 10, 24), LATE), paris(date(2026, 10, 25), EARLY), "P1D") == 0
    assert compare_span(paris(date(2026, 3, 31), EARLY), paris(date(2026, 2, 28), EARLY), "P1M") == -1
    back = compare_span(paris(date(2026, 2, 28), EARLY), paris(date(2026, 3, 31), LATE), "P1M", "end")
    on = compare_span(paris(date(2026, 2, 28), EARLY), paris(date(2026, 3, 31), LATE), "P1M", "start")
    assert (back, on) == (0, 1)  # 31 March back one month is 28 February; 28 February on one is 28 March
