"""Charts that cannot be misread: round ticks with French grouping, the unit once in the title, the
target drawn and labelled, every label inside the view box, one chart per measure."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from asalee_track import i18n
from asalee_track.protocols import Target
from asalee_track.web.charts import CHAR, RIGHT, WIDTH, nice_step, trend_chart
from tests.web.test_sessions import session_form

NNBSP = "\u202f"
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def series(*values: float) -> list[tuple[datetime, float]]:
    return [(T0 + timedelta(days=90 * index), value) for index, value in enumerate(values)]


@pytest.fixture(autouse=True)
def french() -> None:
    i18n.set_locale("fr")


def steps(ticks) -> set[float]:  # type: ignore[no-untyped-def]
    positions = [tick.position for tick in ticks]
    return {round(b - a, 6) for a, b in zip(positions, positions[1:], strict=False)}


@pytest.mark.parametrize("span", [0.07, 0.5, 2.16, 7, 38, 140, 1027, 69000])
def test_steps_are_one_two_or_five_times_a_power_of_ten(span: float) -> None:
    step = nice_step(span)
    mantissa = f"{step:.6e}"  # e.g. "5.000000e+02"
    assert mantissa[0] in "125" and mantissa[1:8] == ".000000"
    assert span / 6 <= step and span / step <= 4 + 1e-9  # between 4 and about 6 intervals


def test_hba1c_ticks_are_round_and_even_with_the_target_labelled(protocols) -> None:  # type: ignore[no-untyped-def]
    hba1c = protocols["diabete-type-2"].measure("hba1c")
    chart = trend_chart(hba1c, series(7.8, 8.3, 8.8), hba1c.target, "fr")
    assert chart is not None
    assert [tick.label for tick in chart.y_ticks] == ["6", "7", "8", "9"]  # not 7,8 / 8,3 / 8,8
    assert len(steps(chart.y_ticks)) == 1  # evenly spaced
    assert chart.title == "HbA1c (%)"
    assert chart.target_label is not None and chart.target_label.text == "cible ≤ 7,0 %"
    assert len(chart.target_lines) == 1 and chart.band is not None


def test_large_values_are_grouped_and_the_margin_fits_the_widest_label(protocols) -> None:  # type: ignore[no-untyped-def]
    probnp = protocols["insuffisance-cardiaque"].measure("nt-probnp")
    chart = trend_chart(probnp, series(850, 1250, 2277), None, "fr")
    assert chart is not None
    labels = [tick.label for tick in chart.y_ticks]
    assert labels == ["500", f"1{NNBSP}000", f"1{NNBSP}500", f"2{NNBSP}000", f"2{NNBSP}500"]
    assert all("pg/mL" not in label for label in labels) and chart.title == "NT-proBNP (pg/mL)"
    assert chart.left >= max(len(label) for label in labels) * CHAR
    assert chart.points[-1].label.endswith(f"2{NNBSP}277 pg/mL")
    assert chart.target_label is None


def test_a_range_target_and_a_minimum_are_labelled_inside_the_chart(protocols) -> None:  # type: ignore[no-untyped-def]
    glucose = protocols["diabete-type-2"].measure("fasting-glucose")
    chart = trend_chart(glucose, series(0.95, 1.42), glucose.target, "fr")
    assert chart is not None and chart.target_label is not None
    assert chart.target_label.text == "cible 0,80–1,30 g/L"
    assert len(chart.target_lines) == 2
    egfr = protocols["diabete-type-2"].measure("egfr")
    chart = trend_chart(egfr, series(58, 64), Target(min=60), "fr")
    assert chart is not None and chart.target_label is not None
    assert chart.target_label.text == "cible ≥ 60 mL/min/1,73 m²"
    for candidate in (chart,):
        label = candidate.target_label
        assert label is not None and 10 <= label.y <= candidate.height and label.x <= WIDTH - RIGHT


def test_a_patient_in_two_pathways_gets_one_chart_per_measure(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2", "insuffisance-cardiaque", start="2020-01-01")
    for index, weight in enumerate(["80", "81,5"]):
        as_nurse.post(
            f"/patients/{patient.id}/sessions",
            session_form(
                datetime.now(UTC) - timedelta(days=30 * (2 - index)), **{"m.weight": weight, "m.sbp": "130"}
            ),
        )
    page = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/review").text, "html.parser")
    titles = [h3.text for h3 in page.select(".chart-card h3")]
    assert titles.count("Poids (kg)") == 1 and titles.count("Pression artérielle systolique (mmHg)") == 1
