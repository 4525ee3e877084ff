"""Long histories are thinned for drawing without losing a peak; dates are formatted as Babel does."""

from datetime import UTC, date, datetime, timedelta

from asalee_track import i18n
from asalee_track.web.charts import MAX_POINTS, thin, trend_chart


def _weights(count: int) -> list[tuple[datetime, float]]:
    start = datetime(2016, 1, 1, 8, tzinfo=UTC)
    return [(start + timedelta(days=2 * i), 70.0 + (i % 5) * 0.3) for i in range(count)]


def test_ten_years_of_weighings_are_drawn_with_at_most_the_plot_s_points(protocols) -> None:
    series = _weights(1800)
    series[900] = (series[900][0], 95.0)  # one weight gain the GP must see
    series[1201] = (series[1201][0], 51.0)  # and one loss
    weight = protocols["insuffisance-cardiaque"].measure("weight")
    chart = trend_chart(weight, series, weight.target, "fr")
    assert chart is not None and len(chart.points) <= MAX_POINTS + 2
    drawn = {point.label for point in chart.points}
    assert any("95,0 kg" in label for label in drawn) and any("51,0 kg" in label for label in drawn)
    assert chart.points[-1].label.startswith(i18n.format_date(series[-1][0]))  # the latest, always


def test_short_histories_are_drawn_whole() -> None:
    series = _weights(30)
    assert thin(series) == series


def test_the_prepared_date_formatter_says_what_babel_says() -> None:
    for locale in ("fr", "en"):
        i18n.set_locale(locale)
        for fmt in ("medium", "MMM y", "short"):
            prepared = i18n.date_formatter(fmt)
            for day in (date(2026, 12, 1), datetime(2026, 3, 29, 23, 30, tzinfo=UTC)):
                assert prepared(day) == i18n.format_date(day, fmt)
    i18n.set_locale("fr")
