"""valueQuantity carries each measure's value at a stated precision: the protocol's decimals as typed,
one more when converted from the typed unit; the typed value stays in the note."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.observation import Observation as FhirObservation

from asalee_track import PROJECT_ROOT
from asalee_track.fhir import catalog, mapping
from asalee_track.protocols import load_protocols, to_canonical
from asalee_track.store.tables import Observation

PROTOCOLS = load_protocols(PROJECT_ROOT / "protocols")
CATALOG = catalog.load_catalog(PROJECT_ROOT / "protocols")
QUANTITIES = {
    measure.id: measure for p in PROTOCOLS.all() for measure in p.measures if measure.kind != "coded"
}


def exported(
    measure_id: str, value: float, unit: str, typed: str | None = None, typed_unit: str | None = None
):  # type: ignore[no-untyped-def]
    row = Observation(
        id="obs-1",
        session_id="s-1",
        patient_id="p-1",
        measure_id=measure_id,
        loinc=QUANTITIES[measure_id].loinc,
        effective_at=datetime(2026, 11, 2, 9, tzinfo=UTC),
        value_num=value,
        unit=unit,
        original_value=typed,
        original_unit=typed_unit,
    )
    resource = mapping.observation(row, CATALOG, nurse_id=1, practice_id=1)
    FhirObservation.model_validate(resource)  # still a valid R4 Observation
    return resource


def places(value: float | int) -> int:
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


@pytest.mark.parametrize("measure_id", sorted(QUANTITIES))
def test_every_measure_goes_out_at_its_precision(measure_id: str) -> None:
    measure = QUANTITIES[measure_id]
    assert measure.decimals is not None
    low, high = measure.plausible or (0, 100)
    raw = low + (high - low) / 3 + 0.0123456789  # a value with more decimals than any protocol states
    quantity = exported(measure_id, raw, measure.unit or "1")["valueQuantity"]
    assert quantity["value"] == round(raw, measure.decimals)
    assert places(quantity["value"]) <= measure.decimals
    if measure.decimals == 0:
        assert isinstance(quantity["value"], int)  # 128 mm[Hg], not 128.0
    assert quantity["code"] == measure.unit


@pytest.mark.parametrize(
    ("measure_id", "typed_unit"),
    sorted({(m.id, unit) for m in QUANTITIES.values() for unit in m.accepted_units if unit != m.unit}),
)
def test_a_converted_value_keeps_one_more_decimal_and_the_typed_value(
    measure_id: str, typed_unit: str
) -> None:
    measure = QUANTITIES[measure_id]
    low, high = measure.plausible or (0, 100)
    typed = {"mmol/mol": 75.0, "mmol/L": 5.5, "mg/dL": 99.0, "mg/g": 27.0, "g": 80350.0, "m": 1.72}.get(
        typed_unit, 17.0
    )
    # Values a lab or a spirometer prints in these units (creatinine 1.1 mg/dL, FEV1 2,850 mL).
    typed = {("creatinine", "mg/dL"): 1.1, ("fev1", "mL"): 2850.0, ("fvc", "mL"): 3600.0}.get(
        (measure_id, typed_unit), typed
    )
    value = to_canonical(measure, typed, typed_unit)
    assert low <= value <= high or typed_unit in ("h/d", "min/wk", "ng/L")
    resource = exported(measure_id, value, measure.unit or "1", str(typed), typed_unit)
    assert resource["valueQuantity"]["value"] == round(value, (measure.decimals or 0) + 1)
    assert places(resource["valueQuantity"]["value"]) <= (measure.decimals or 0) + 1
    assert resource["note"] == [{"text": f"Entered as {typed} {typed_unit}"}]


def test_ifcc_hba1c_no_longer_goes_out_with_fifteen_decimals() -> None:
    value = to_canonical(QUANTITIES["hba1c"], 75.0, "mmol/mol")
    assert value == pytest.approx(9.012475981334065)
    assert exported("hba1c", value, "%", "75", "mmol/mol")["valueQuantity"]["value"] == 9.01
