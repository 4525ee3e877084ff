"""Units (a small UCUM subset), unit conversion, number parsing and user-input validation.

Values are stored in the measure's canonical UCUM unit; what the nurse typed is converted on entry and
the original kept (``Reading``). Conversions between units of the same dimension are plain scale
factors (g/L ↔ mg/dL). Conversions across dimensions need a substance-specific bridge (glucose g/L ↔
mmol/L needs its molar mass; HbA1c % ↔ mmol/mol is the NGSP/IFCC master equation), named by the
measure's ``substance`` key in the protocol.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any, Protocol

from .wording import N_, wording


@dataclass(frozen=True)
class Unit:
    code: str  # UCUM case-sensitive code
    dimension: str  # our own coarse dimension name; same dimension ⇒ convertible by scale
    factor: float  # value in the dimension's base unit = value × factor


_UNIT_LIST: tuple[Unit, ...] = (
    Unit("g", "mass", 1.0),
    Unit("kg", "mass", 1000.0),
    Unit("mg", "mass", 1e-3),
    Unit("m", "length", 1.0),
    Unit("cm", "length", 0.01),
    Unit("kg/m2", "mass-per-area", 1.0),
    Unit("mm[Hg]", "pressure", 1.0),
    Unit("/min", "rate", 1.0),
    Unit("{beats}/min", "rate", 1.0),
    Unit("%", "percent", 1.0),
    Unit("mmol/mol", "amount-ratio", 1.0),
    Unit("g/L", "mass-concentration", 1.0),
    Unit("mg/dL", "mass-concentration", 0.01),
    Unit("mg/L", "mass-concentration", 1e-3),
    Unit("ng/mL", "mass-concentration", 1e-6),
    Unit("pg/mL", "mass-concentration", 1e-9),
    Unit("ng/L", "mass-concentration", 1e-9),
    Unit("mol/L", "amount-concentration", 1000.0),
    Unit("mmol/L", "amount-concentration", 1.0),
    Unit("umol/L", "amount-concentration", 1e-3),
    Unit("pmol/L", "amount-concentration", 1e-9),
    Unit("mg/g", "mass-ratio", 1.0),
    Unit("mg/mmol", "mass-per-amount", 1.0),
    Unit("mL/min/{1.73_m2}", "filtration-rate", 1.0),
    Unit("{score}", "score", 1.0),
    Unit("1", "score", 1.0),
    Unit("min/d", "activity-duration", 1.0),
    Unit("h/d", "activity-duration", 60.0),
    Unit("min/wk", "activity-duration", 1.0 / 7.0),
    Unit("d/wk", "days-per-week", 1.0),
    Unit("{steps}/d", "steps-per-day", 1.0),
    Unit("L", "volume", 1.0),
    Unit("mL", "volume", 1e-3),
    Unit("[ppm]", "parts-per-million", 1.0),
    Unit("{pack-years}", "pack-years", 1.0),
)

UNITS: Mapping[str, Unit] = {unit.code: unit for unit in _UNIT_LIST}


@dataclass(frozen=True)
class Bridge:
    """``to = from × scale + offset`` between two units of different dimensions, for one substance."""

    from_unit: str
    to_unit: str
    scale: float
    offset: float = 0.0


# Factors from domain.md §1 (the figures French labs print), not recomputed from molar masses.
SUBSTANCES: Mapping[str, tuple[Bridge, ...]] = {
    # glucose 1 g/L = 5.551 mmol/L (M = 180.16 g/mol)
    "glucose": (Bridge("g/L", "mmol/L", 5.551),),
    # LDL-cholesterol 1 g/L = 2.586 mmol/L (cholesterol M = 386.65 g/mol)
    "ldl-cholesterol": (Bridge("g/L", "mmol/L", 2.586),),
    "hdl-cholesterol": (Bridge("g/L", "mmol/L", 2.586),),
    # urinary albumin/creatinine ratio: 1 mg/mmol = 8.84 mg/g (creatinine M = 113.12 g/mol)
    "albumin-creatinine-ratio": (Bridge("mg/mmol", "mg/g", 8.84),),
    # creatinine 1 mg/L = 8.84 µmol/L
    "creatinine": (Bridge("mg/L", "umol/L", 8.84),),
    # HbA1c IFCC (mmol/mol) = 10.929 × (NGSP % − 2.15)  (IFCC/NGSP master equation)
    "hba1c": (Bridge("%", "mmol/mol", 10.929, -10.929 * 2.15),),
}


class UnitError(ValueError):
    """A unit is unknown, or two units cannot be converted into each other."""


def suggest_unit(code: str) -> str | None:
    """Closest supported UCUM code, for "did you mean" hints (case slips are the usual mistake)."""
    lowered = {unit.lower(): unit for unit in UNITS}
    if code.lower() in lowered:
        return lowered[code.lower()]
    matches = get_close_matches(code, list(UNITS), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _scale(value: float, source: str, target: str) -> float:
    return value * UNITS[source].factor / UNITS[target].factor


def convert(value: float, source: str, target: str, substance: str | None = None) -> float:
    """Convert ``value`` from ``source`` to ``target`` unit; raises ``UnitError`` when impossible."""
    if source == target:
        return value
    for code in (source, target):
        if code not in UNITS:
            raise UnitError(f"unknown unit {code!r}")
    source_dim, target_dim = UNITS[source].dimension, UNITS[target].dimension
    if source_dim == target_dim:
        return _scale(value, source, target)
    for bridge in SUBSTANCES.get(substance or "", ()):
        from_dim, to_dim = UNITS[bridge.from_unit].dimension, UNITS[bridge.to_unit].dimension
        if (source_dim, target_dim) == (from_dim, to_dim):
            bridged = _scale(value, source, bridge.from_unit) * bridge.scale + bridge.offset
            return _scale(bridged, bridge.to_unit, target)
        if (source_dim, target_dim) == (to_dim, from_dim):
            bridged = (_scale(value, source, bridge.to_unit) - bridge.offset) / bridge.scale
            return _scale(bridged, bridge.from_unit, target)
    raise UnitError(f"no conversion from {source!r} to {target!r}")


def can_convert(source: str, target: str, substance: str | None = None) -> bool:
    try:
        convert(1.0, source, target, substance)
    except UnitError:
        return False
    return True


# ---------------------------------------------------------------------------------------------------
# Numbers typed by people (French first: "7,2", "1 234,5")

_SEPARATORS = " \u00a0\u202f\u2009"  # space, no-break space, narrow no-break space, thin space
_GROUPED = re.compile(rf"^[+-]?\d{{1,3}}(?:[{_SEPARATORS}]\d{{3}})+(?:[.,]\d+)?$")
_PLAIN = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_MAX_LENGTH = 32  # a clinical value is never longer; keeps pathological inputs cheap to refuse


def parse_number(text: str) -> float:
    """Parse a decimal number as typed in France or elsewhere.

    Accepts a decimal comma or point, and space-like thousands separators in groups of three. Refuses
    exponents, NaN/infinity, several decimal separators and anything else: a clinical form should not
    guess. Raises ``InputRefused("not_a_number")``.
    """
    cleaned = text.strip().replace("\u2212", "-")  # U+2212 MINUS SIGN from copy-pasted documents
    if len(cleaned) > _MAX_LENGTH or not (_PLAIN.match(cleaned) or _GROUPED.match(cleaned)):
        raise InputRefused("not_a_number", {"text": text.strip()[:_MAX_LENGTH]})
    for separator in _SEPARATORS:
        cleaned = cleaned.replace(separator, "")
    value = float(cleaned.replace(",", "."))
    if not math.isfinite(value):  # unreachable with the patterns above; kept as a guard
        raise InputRefused("not_a_number", {"text": text.strip()})
    return value


def format_number(value: float, locale: str = "fr", decimals: int | None = None) -> str:
    """``7.25 → "7,25"``, ``1250 → "1 250"`` in French (``1,250`` in English): thousands grouped, as
    every page and alert shows numbers. ``decimals=None`` keeps up to two decimals and trims zeros.
    Rounded here, as Python rounds the float; the installed wording gives the locale's signs."""
    if decimals is None:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # never "-0,0"
    return wording().number(text, locale)


_DISPLAY_UNITS: Mapping[str, str] = {  # UCUM code → as printed on screen (worded where languages differ)
    "mm[Hg]": "mmHg",
    "/min": "bpm",  # heart rate, the only per-minute measure of the protocols
    "kg/m2": "kg/m²",
    "mL/min/{1.73_m2}": N_("mL/min/1.73 m²"),
    "{score}": "",
    "1": "",
    "{beats}/min": "bpm",
    "umol/L": "µmol/L",
    "min/d": N_("min/day"),
    "h/d": N_("h/day"),
    "min/wk": N_("min/week"),
    "d/wk": N_("days/week"),
    "{steps}/d": N_("steps/day"),
    "[ppm]": "ppm",
    "{pack-years}": N_("pack-years"),
}


def display_unit(code: str | None, locale: str = "fr") -> str:
    if not code:
        return ""
    shown = _DISPLAY_UNITS.get(code, code)
    return wording().gettext(shown, locale) if shown else ""


def format_quantity(value: float, unit: str | None, locale: str = "fr", decimals: int | None = None) -> str:
    number = format_number(value, locale, decimals)
    shown = display_unit(unit, locale)
    return f"{number} {shown}" if shown else number


def format_value(value: float, measure: MeasureLike, locale: str = "fr") -> str:
    """A measure's value as every page shows it: at the protocol's precision (``decimals``), thousands
    grouped, with the unit as clinicians write it (``1 250 pg/mL``, ``0,63 g/L``, ``128 mmHg``)."""
    return format_quantity(value, measure.unit, locale, measure.decimals)


# ---------------------------------------------------------------------------------------------------
# Measures (duck-typed so that this module does not depend on the schema)


class MeasureLike(Protocol):
    # Read-only: a protocol's measures are frozen models.
    @property
    def id(self) -> str: ...

    @property
    def unit(self) -> str | None: ...

    @property
    def substance(self) -> str | None: ...

    @property
    def kind(self) -> str: ...

    @property
    def plausible(self) -> Sequence[float] | None: ...

    @property
    def decimals(self) -> int | None: ...

    @property
    def accepted_units(self) -> list[str]: ...

    @property
    def codes(self) -> Sequence[Any]: ...


def to_canonical(measure: MeasureLike, value: float, unit: str | None) -> float:
    """Value in the measure's canonical unit; ``unit=None`` means already canonical."""
    if unit is None or measure.unit is None:
        return value
    return convert(value, unit, measure.unit, measure.substance)


def from_canonical(measure: MeasureLike, value: float, unit: str | None) -> float:
    if unit is None or measure.unit is None:
        return value
    return convert(value, measure.unit, unit, measure.substance)


_REFUSALS: Mapping[str, str] = {
    "empty": N_("Missing value"),
    "not_a_number": N_("“{text}” is not a number"),
    "not_an_integer": N_("The value must be a whole number"),
    "outside_plausible": N_("Value outside the plausible range {range}"),
    "unit_not_accepted": N_("Unit “{unit}” is not accepted (accepted units: {accepted})"),
    "unknown_code": N_("Unknown answer “{text}” (possible answers: {accepted})"),
}


@dataclass
class InputRefused(ValueError):
    """A typed value cannot be recorded. ``code`` is stable; ``params`` hold raw values.

    ``message(locale)`` renders the sentence shown next to the field, numbers in the locale's style.
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.code)

    def message(self, locale: str = "fr") -> str:
        template = wording().gettext(_REFUSALS.get(self.code, self.code), locale)
        values: dict[str, Any] = {key: value for key, value in self.params.items()}
        if "min" in self.params and "max" in self.params:
            unit = display_unit(self.params.get("unit"), locale)
            low = format_number(self.params["min"], locale)
            high = format_number(self.params["max"], locale)
            values["range"] = f"{low}–{high} {unit}".rstrip()
        if "accepted" in self.params:
            values["accepted"] = ", ".join(str(item) for item in self.params["accepted"])
        return template.format_map(_Missing(values))

    def __str__(self) -> str:
        return f"{self.code}: {self.message('en')}"


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Reading:
    """An accepted input: ``value`` in the canonical unit (or a code), and what was typed."""

    value: float | str
    unit: str | None
    original_value: float | str
    original_unit: str | None


def _read_code(measure: MeasureLike, text: str) -> Reading:
    wanted = text.strip()
    for coded in measure.codes:
        labels = {str(getattr(coded.label, "fr", "")).lower(), str(getattr(coded.label, "en", "")).lower()}
        if wanted == coded.code or wanted.lower() in labels:
            return Reading(coded.code, None, wanted, None)
    raise InputRefused("unknown_code", {"text": wanted, "accepted": [c.code for c in measure.codes]})


def read_input(measure: MeasureLike, text: str, unit: str | None = None) -> Reading:
    """Validate what a user typed for ``measure`` (in ``unit``, canonical when None).

    Checks, in order: empty, coded answer, accepted unit, number, integer (scores), plausible range
    (on the canonical value, so that one range serves every input unit).
    """
    if not text or not text.strip():
        raise InputRefused("empty")
    if measure.kind == "coded":
        return _read_code(measure, text)
    unit = unit or measure.unit
    accepted = measure.accepted_units
    if unit not in accepted:
        raise InputRefused("unit_not_accepted", {"unit": unit, "accepted": list(accepted)})
    number = parse_number(text)
    if measure.kind == "score" and not number.is_integer():
        raise InputRefused("not_an_integer", {"value": number})
    canonical = to_canonical(measure, number, unit)
    if measure.plausible is not None:
        low, high = measure.plausible
        slack = 1e-9 * max(abs(low), abs(high), 1.0)  # conversions must not refuse a boundary value
        if not low - slack <= canonical <= high + slack:
            params = {"value": canonical, "min": low, "max": high, "unit": measure.unit}
            raise InputRefused("outside_plausible", params)
    return Reading(canonical, measure.unit, number, unit)
