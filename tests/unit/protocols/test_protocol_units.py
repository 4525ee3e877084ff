"""Units: conversions from domain.md, French number input, refusals with a clear message."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from asalee_track.protocols import (
    InputRefused,
    Protocol,
    ProtocolSet,
    from_canonical,
    parse_number,
    read_input,
    to_canonical,
)
from asalee_track.protocols.units import UNITS, UnitError, convert, format_number, format_quantity


@pytest.mark.parametrize(
    ("value", "source", "target", "substance", "expected"),
    [
        (7.0, "%", "mmol/mol", "hba1c", 10.929 * (7.0 - 2.15)),  # 53.0
        (53.0, "mmol/mol", "%", "hba1c", 53.0 / 10.929 + 2.15),  # 7.0
        (1.0, "g/L", "mmol/L", "glucose", 5.551),
        (5.551, "mmol/L", "g/L", "glucose", 1.0),
        (126.0, "mg/dL", "g/L", None, 1.26),
        (1.0, "g/L", "mmol/L", "ldl-cholesterol", 2.586),
        (100.0, "mg/dL", "mmol/L", "ldl-cholesterol", 2.586),
        (3.0, "mg/mmol", "mg/g", "albumin-creatinine-ratio", 26.52),
        (30.0, "mg/g", "mg/mmol", "albumin-creatinine-ratio", 30.0 / 8.84),
        (1.75, "m", "cm", None, 175.0),
        (80500.0, "g", "kg", None, 80.5),
        (450.0, "ng/L", "pg/mL", None, 450.0),
        (140.0, "min/wk", "min/d", None, 20.0),
    ],
)
def test_conversions_from_domain_md(
    value: float, source: str, target: str, substance: str | None, expected: float
) -> None:
    assert convert(value, source, target, substance) == pytest.approx(expected, rel=1e-12)


def test_no_conversion_without_the_substance() -> None:
    with pytest.raises(UnitError):
        convert(1.0, "g/L", "mmol/L")
    with pytest.raises(UnitError):
        convert(1.0, "%", "kg", "hba1c")


def test_hba1c_53_mmol_per_mol_reads_as_7_percent(t2d: Protocol) -> None:
    reading = read_input(t2d.measure("hba1c"), "53", "mmol/mol")
    assert round(reading.value, 1) == 7.0
    assert (reading.unit, reading.original_value, reading.original_unit) == ("%", 53.0, "mmol/mol")
    assert format_quantity(reading.value, reading.unit, "fr", t2d.measure("hba1c").decimals) == "7,0 %"


def test_glucose_in_any_accepted_unit(t2d: Protocol) -> None:
    glucose = t2d.measure("fasting-glucose")
    assert read_input(glucose, "1,26", "g/L").value == pytest.approx(1.26)
    assert read_input(glucose, "126", "mg/dL").value == pytest.approx(1.26)
    assert read_input(glucose, "7", "mmol/L").value == pytest.approx(7 / 5.551)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7,2", 7.2),
        ("7.2", 7.2),
        (" 82,4 ", 82.4),
        ("1 234,5", 1234.5),
        ("1\u00a0234,5", 1234.5),
        ("12\u202f500", 12500.0),
        ("70 000", 70000.0),
        ("-3", -3.0),
        ("\u22123,5", -3.5),
        ("+4", 4.0),
        ("0", 0.0),
        ("007", 7.0),
    ],
)
def test_parse_number_accepts(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "abc",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "1e3",
        "1E308",
        "7,2,1",
        "7.2.1",
        "1.234,5",
        "1 23",
        "12 3456",
        ",5",
        "5,",
        "0x10",
        "1_000",
        "7 ,2",
        "7,2 %",
        "1" * 40,
    ],
)
def test_parse_number_refuses(text: str) -> None:
    with pytest.raises(InputRefused) as refused:
        parse_number(text)
    assert refused.value.code == "not_a_number"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False), st.integers(0, 4))
def test_parse_number_reads_french_formatted_floats(value: float, decimals: int) -> None:
    plain = f"{value:,.{decimals}f}"  # "1,234.5"
    french = plain.replace(",", "\u202f").replace(".", ",")  # "1 234,5" with narrow no-break spaces
    assert parse_number(french) == pytest.approx(round(value, decimals), abs=10**-decimals)
    assert parse_number(plain.replace(",", "")) == parse_number(french)


@given(st.text(max_size=40))
def test_parse_number_returns_a_finite_number_or_refuses(text: str) -> None:
    try:
        value = parse_number(text)
    except InputRefused as refused:
        assert refused.code == "not_a_number"
    else:
        assert math.isfinite(value)


def _quantity_units(protocol_set: ProtocolSet) -> list[tuple[str, str, str]]:
    return [
        (protocol.id, measure.id, unit)
        for protocol in protocol_set.all()
        for measure in protocol.measures
        for unit in measure.accepted_units
    ]


@given(data=st.data())
def test_round_trip_for_every_accepted_unit_of_every_measure(
    protocol_set: ProtocolSet, data: st.DataObject
) -> None:
    protocol_id, measure_id, unit = data.draw(st.sampled_from(_quantity_units(protocol_set)))
    measure = protocol_set[protocol_id].measure(measure_id)
    assert measure.plausible is not None
    low, high = measure.plausible
    canonical = data.draw(st.floats(min_value=low, max_value=high, allow_nan=False))
    typed = from_canonical(measure, canonical, unit)
    assert to_canonical(measure, typed, unit) == pytest.approx(canonical, rel=1e-9, abs=1e-9)


@given(data=st.data())
def test_read_input_accepts_the_plausible_range_in_every_unit(
    protocol_set: ProtocolSet, data: st.DataObject
) -> None:
    protocol_id, measure_id, unit = data.draw(st.sampled_from(_quantity_units(protocol_set)))
    measure = protocol_set[protocol_id].measure(measure_id)
    assert measure.plausible is not None
    low, high = measure.plausible
    canonical = data.draw(st.floats(min_value=low, max_value=high, allow_nan=False))
    if measure.kind == "score":
        canonical = float(round(canonical))
    typed = round(from_canonical(measure, canonical, unit), 6)
    expected = to_canonical(measure, typed, unit)
    assume(low <= expected <= high)  # rounding to 6 decimals may step over an edge
    reading = read_input(measure, format_number(typed, "fr", 6), unit)
    assert reading.value == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert reading.original_unit == unit


def test_refusals_have_codes_params_and_messages(t2d: Protocol, cancer: Protocol) -> None:
    hba1c = t2d.measure("hba1c")
    cases = [
        (
            lambda: read_input(hba1c, "70", None),
            "outside_plausible",
            "Valeur hors de la plage plausible 3–20 %",
            "Value outside the plausible range 3–20 %",
        ),
        (
            lambda: read_input(hba1c, "sept", None),
            "not_a_number",
            "« sept » n'est pas un nombre",
            "“sept” is not a number",
        ),
        (
            lambda: read_input(hba1c, "7", "g/L"),
            "unit_not_accepted",
            "Unité « g/L » non acceptée (unités possibles : %, mmol/mol)",
            "Unit “g/L” is not accepted (accepted units: %, mmol/mol)",
        ),
        (
            lambda: read_input(cancer.measure("pain"), "4,5", None),
            "not_an_integer",
            "La valeur doit être un nombre entier",
            "The value must be a whole number",
        ),
        (
            lambda: read_input(t2d.measure("foot-exam"), "plaie", None),
            "unknown_code",
            "Réponse « plaie » inconnue (réponses possibles : normal, loss-of-sensation, wound)",
            "Unknown answer “plaie” (possible answers: normal, loss-of-sensation, wound)",
        ),
        (lambda: read_input(hba1c, "  ", None), "empty", "Valeur manquante", "Missing value"),
        (
            lambda: read_input(t2d.measure("fasting-glucose"), "0,1", None),
            "outside_plausible",
            "Valeur hors de la plage plausible 0,2–6 g/L",
            "Value outside the plausible range 0.2–6 g/L",
        ),
    ]
    for action, code, french, english in cases:
        with pytest.raises(InputRefused) as refused:
            action()
        assert refused.value.code == code
        assert refused.value.message("fr") == french
        assert refused.value.message("en-GB") == english
        assert isinstance(refused.value, ValueError)


def test_outside_plausible_is_checked_on_the_canonical_value(t2d: Protocol) -> None:
    hba1c = t2d.measure("hba1c")
    assert read_input(hba1c, "195", "mmol/mol").value == pytest.approx(195 / 10.929 + 2.15)
    with pytest.raises(InputRefused) as refused:
        read_input(hba1c, "250", "mmol/mol")
    assert refused.value.params["max"] == 20


def test_plausible_bounds_are_inclusive_even_after_conversion(t2d: Protocol) -> None:
    glucose = t2d.measure("fasting-glucose")
    assert read_input(glucose, "20", "mg/dL").value == pytest.approx(0.2)
    assert read_input(glucose, "600", "mg/dL").value == pytest.approx(6.0)


def test_coded_answers_by_code_or_label(t2d: Protocol) -> None:
    feet = t2d.measure("foot-exam")
    assert read_input(feet, "wound", None).value == "wound"
    assert read_input(feet, "Plaie ou ulcération", None).value == "wound"
    assert read_input(feet, "normal", None).unit is None


def test_display_formatting() -> None:
    assert format_number(7.25, "fr") == "7,25"
    assert format_number(7.0, "fr") == "7"
    assert format_number(82.4, "en", 1) == "82.4"
    assert format_quantity(120, "mm[Hg]", "fr") == "120 mmHg"
    assert format_quantity(3, "{score}", "fr") == "3"
    assert format_quantity(55, "mL/min/{1.73_m2}", "fr") == "55 mL/min/1,73 m²"


def test_every_unit_used_by_the_shipped_protocols_is_known(protocol_set: ProtocolSet) -> None:
    for protocol in protocol_set.values():
        for measure in protocol.measures:
            for unit in measure.accepted_units:
                assert unit in UNITS


def test_values_are_shown_at_the_measures_precision_with_french_grouping(protocol_set) -> None:  # type: ignore[no-untyped-def]
    from asalee_track.protocols.units import format_value

    hf, t2d = protocol_set["insuffisance-cardiaque"], protocol_set["diabete-type-2"]
    nnbsp = "\u202f"
    assert format_value(1250.0, hf.measure("nt-probnp")) == f"1{nnbsp}250 pg/mL"
    assert format_value(2277.4, hf.measure("nt-probnp")) == f"2{nnbsp}277 pg/mL"
    assert format_value(2277.4, hf.measure("nt-probnp"), "en") == "2,277 pg/mL"
    assert format_value(0.63, t2d.measure("ldl")) == "0,63 g/L"
    assert format_value(1.3, t2d.measure("fasting-glucose")) == "1,30 g/L"
    assert format_value(9.012475981334065, t2d.measure("hba1c")) == "9,0 %"
    assert format_value(128.0, t2d.measure("sbp")) == "128 mmHg"
    assert format_value(72.0, t2d.measure("heart-rate")) == "72 bpm"
    assert format_value(58.0, t2d.measure("egfr")) == "58 mL/min/1,73 m²"
    assert format_value(24.03, t2d.measure("bmi")) == "24,0 kg/m²"
