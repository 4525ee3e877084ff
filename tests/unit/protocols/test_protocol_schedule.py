"""Durations with calendar months, and due / overdue / lost with exact boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asalee_track.protocols import Duration, Obs, Protocol, add_duration, due_items, parse_duration
from asalee_track.protocols.durations import DurationError
from asalee_track.protocols.schedule import as_utc, interval_for

TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P3M", Duration(months=3)),
        ("P1Y", Duration(years=1)),
        ("P3D", Duration(days=3)),
        ("P2W", Duration(weeks=2)),
        ("PT12H", Duration(hours=12)),
        ("P1Y2M3W4DT5H6M7S", Duration(1, 2, 3, 4, 5, 6, 7)),
        ("P15D", Duration(days=15)),
    ],
)
def test_parse_duration(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(expected.iso()) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "3M", "p3m", "P1.5M", "P-1M", "PT3D", "P3MT", "P0D", "P 3M", "P3M "]
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(DurationError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (datetime(2026, 1, 31, tzinfo=UTC), "P1M", datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), "P1M", datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), "P1Y", datetime(2029, 2, 28, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), "P3M", datetime(2027, 2, 28, tzinfo=UTC)),
        (datetime(2026, 3, 1, 8, tzinfo=UTC), "P3D", datetime(2026, 3, 4, 8, tzinfo=UTC)),
        (datetime(2026, 1, 31, tzinfo=UTC), "P1M1D", datetime(2026, 3, 1, tzinfo=UTC)),  # months first
    ],
)
def test_add_duration_uses_calendar_months(start: datetime, duration: str, expected: datetime) -> None:
    assert add_duration(start, duration) == expected


def test_subtracting_months_clamps_too() -> None:
    assert add_duration(datetime(2026, 3, 31, tzinfo=UTC), "P1M", sign=-1) == datetime(
        2026, 2, 28, tzinfo=UTC
    )


@given(
    st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
    st.integers(0, 5),
    st.integers(0, 36),
    st.integers(0, 60),
)
def test_add_duration_properties(moment: datetime, years: int, months: int, days: int) -> None:
    duration = Duration(years=years, months=months, days=days)
    shifted = add_duration(moment, duration)
    assert shifted >= moment
    assert shifted.time() == moment.time()
    total = moment.year * 12 + moment.month - 1 + years * 12 + months
    clamped = add_duration(moment, Duration(years=years, months=months))
    assert (clamped.year, clamped.month - 1) == divmod(total, 12)
    assert clamped.day <= moment.day


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        as_utc(datetime(2026, 1, 1))
    assert as_utc(date(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)


def item(items: list, measure: str):  # type: ignore[no-untyped-def]
    return next(entry for entry in items if entry.measure == measure)


LAST = datetime(2026, 1, 15, 10, tzinfo=UTC)
HISTORY = [Obs("hba1c", 6.8, LAST)]


def status_at(t2d: Protocol, now: datetime) -> str:
    return item(due_items(t2d, HISTORY, date(2025, 1, 1), now), "hba1c").status


def test_hba1c_is_due_every_three_months(t2d: Protocol) -> None:
    entry = item(due_items(t2d, HISTORY, date(2025, 1, 1), LAST), "hba1c")
    assert entry.last == LAST
    assert entry.due_at == datetime(2026, 4, 15, 10, tzinfo=UTC)
    assert entry.overdue_at == datetime(2026, 5, 15, 10, tzinfo=UTC)  # grace P1M
    assert entry.lost_at == datetime(2027, 5, 15, 10, tzinfo=UTC)  # + P12M
    assert entry.status == "ok"


def test_status_boundaries_are_exact(t2d: Protocol) -> None:
    due_at = datetime(2026, 4, 15, 10, tzinfo=UTC)
    overdue_at = datetime(2026, 5, 15, 10, tzinfo=UTC)
    lost_at = datetime(2027, 5, 15, 10, tzinfo=UTC)
    assert status_at(t2d, due_at - TICK) == "ok"
    assert status_at(t2d, due_at) == "due"
    assert status_at(t2d, overdue_at - TICK) == "due"
    assert status_at(t2d, overdue_at) == "overdue"
    assert status_at(t2d, lost_at - TICK) == "overdue"
    assert status_at(t2d, lost_at) == "lost"


def test_never_measured_counts_from_the_enrolment(t2d: Protocol) -> None:
    entry = item(due_items(t2d, [], date(2026, 1, 31), datetime(2026, 4, 30, tzinfo=UTC)), "hba1c")
    assert entry.last is None
    assert entry.due_at == datetime(2026, 4, 30, tzinfo=UTC)
    assert entry.status == "due"


def test_only_measures_with_a_schedule_are_listed(t2d: Protocol) -> None:
    measures = {
        entry.measure for entry in due_items(t2d, [], date(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC))
    }
    assert "hba1c" in measures and "foot-exam" in measures
    assert not measures & {"height", "bmi", "heart-rate", "fasting-glucose"}


def test_items_are_sorted_by_due_date(t2d: Protocol) -> None:
    items = due_items(t2d, HISTORY, date(2025, 6, 1), LAST)
    assert [entry.due_at for entry in items] == sorted(entry.due_at for entry in items)


def test_protocol_grace_overrides_the_default(hf: Protocol) -> None:
    last = datetime(2026, 1, 10, tzinfo=UTC)
    entry = item(due_items(hf, [Obs("weight", 80.0, last)], date(2025, 1, 1), last), "weight")
    assert entry.due_at == datetime(2026, 2, 10, tzinfo=UTC)
    assert entry.overdue_at == datetime(2026, 2, 25, tzinfo=UTC)  # grace P15D


def test_snooze_postpones_the_due_date(t2d: Protocol) -> None:
    snooze = datetime(2026, 6, 1, tzinfo=UTC)
    now = datetime(2026, 5, 20, tzinfo=UTC)  # would be overdue without the snooze
    assert status_at(t2d, now) == "overdue"
    entry = item(due_items(t2d, HISTORY, date(2025, 1, 1), now, snoozed_until=snooze), "hba1c")
    assert (entry.status, entry.due_at, entry.overdue_at) == ("ok", snooze, datetime(2026, 7, 1, tzinfo=UTC))
    per_measure = due_items(t2d, HISTORY, date(2025, 1, 1), now, snoozed_until={"ldl": snooze})
    assert item(per_measure, "hba1c").status == "overdue"


@given(st.integers(0, 3 * 365 * 24))
def test_status_never_goes_back_as_time_passes(t2d: Protocol, hours: int) -> None:
    order = ["ok", "due", "overdue", "lost"]
    now = LAST + timedelta(hours=hours)
    later = now + timedelta(days=1)
    assert order.index(status_at(t2d, now)) <= order.index(status_at(t2d, later))


def test_personal_interval_overrides_the_protocol(t2d: Protocol) -> None:
    last = datetime(2026, 1, 10, tzinfo=UTC)
    history = [Obs("foot-exam", "loss-of-sensation", last)]
    default = item(due_items(t2d, history, date(2025, 1, 1), last), "foot-exam")
    grade_2 = item(
        due_items(t2d, history, date(2025, 1, 1), last, intervals={"foot-exam": "P3M"}), "foot-exam"
    )
    assert default.due_at == datetime(2027, 1, 10, tzinfo=UTC)
    assert grade_2.due_at == datetime(2026, 4, 10, tzinfo=UTC)


def test_hba1c_may_be_spaced_to_six_months_in_type_2_diabetes(t2d: Protocol) -> None:
    hba1c = t2d.measure("hba1c")
    assert (hba1c.every.iso(), [d.iso() for d in hba1c.every_range or []]) == ("P3M", ["P3M", "P6M"])
    last = datetime(2026, 1, 10, tzinfo=UTC)
    spaced = item(
        due_items(t2d, [Obs("hba1c", 6.5, last)], date(2025, 1, 1), last, intervals={"hba1c": "P6M"}), "hba1c"
    )
    assert spaced.due_at == datetime(2026, 7, 10, tzinfo=UTC)


def test_a_personal_interval_stays_inside_the_protocols_range(t2d: Protocol) -> None:
    """Stored intervals outlive protocol versions: one the range no longer allows is brought inside it,
    and a measure without a range keeps the protocol's interval."""
    hba1c = t2d.measure("hba1c")
    assert interval_for(hba1c, {"hba1c": "P1Y"}) == parse_duration("P6M")
    assert interval_for(hba1c, {"hba1c": "P1M"}) == parse_duration("P3M")
    assert interval_for(hba1c, {"hba1c": "P4M"}) == parse_duration("P4M")
    assert interval_for(t2d.measure("weight"), {"weight": "P1Y"}) == parse_duration("P3M")
    assert interval_for(hba1c, None) == parse_duration("P3M")
