"""Computed measures (no eval): a formula name from a fixed list, applied to other measures' values.

BMI = weight (kg) / height (m)². Height is usually measured once: the latest value in the history is
used when the session does not carry one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .schema import Measure, Obs, Protocol
from .units import convert


def _bmi(protocol: Protocol, weight: float, height: float, inputs: Sequence[str]) -> float:
    weight_measure, height_measure = (protocol.measure(name) for name in inputs)
    kilograms = convert(weight, weight_measure.unit or "kg", "kg")
    metres = convert(height, height_measure.unit or "m", "m")
    return kilograms / (metres * metres)


_FORMULAS: Mapping[str, Callable[[Protocol, float, float, Sequence[str]], float]] = {"bmi": _bmi}


def compute(protocol: Protocol, measure: Measure, values: Mapping[str, float]) -> float | None:
    """Value of a computed ``measure`` from its inputs' canonical values; None if an input is missing."""
    if measure.computed is None:
        return None
    inputs = measure.computed.inputs
    if any(not isinstance(values.get(name), int | float) for name in inputs):
        return None
    first, second = (float(values[name]) for name in inputs)
    if second == 0:
        return None
    result = _FORMULAS[measure.computed.formula](protocol, first, second, inputs)
    return round(result, measure.decimals) if measure.decimals is not None else result


def latest_values(history: Sequence[Obs]) -> dict[str, float | str]:
    latest: dict[str, Obs] = {}
    for obs in history:
        seen = latest.get(obs.measure)
        if seen is None or obs.effective >= seen.effective:
            latest[obs.measure] = obs
    return {name: obs.value for name, obs in latest.items()}


def computed_values(
    protocol: Protocol, entered: Mapping[str, float | str], history: Sequence[Obs] = ()
) -> dict[str, float]:
    """Computed measures for a session being saved.

    A computed measure is produced only when at least one of its inputs was entered in this session
    (a BMI is not re-emitted at every session from old values); the other inputs may come from the
    history (height). Values outside the measure's plausible range are left out: they mean a wrong
    input that the form already refused, or an odd combination the nurse should re-check.
    """
    known: dict[str, float | str] = {**latest_values(history), **entered}
    numbers = {name: float(value) for name, value in known.items() if isinstance(value, int | float)}
    results: dict[str, float] = {}
    for measure in protocol.measures:
        if measure.computed is None or not any(name in entered for name in measure.computed.inputs):
            continue
        value = compute(protocol, measure, numbers)
        if value is None:
            continue
        if measure.plausible is not None and not measure.plausible[0] <= value <= measure.plausible[1]:
            continue
        results[measure.id] = value
    return results
