"""Units as labs print them ("g/l", "µmol/l", "mL/min/1,73m²") in UCUM, the protocols' notation."""

from asalee_track.protocols.units import UNITS

_ALIASES = {
    "%": "%",
    "mmol/mol": "mmol/mol",
    "g/l": "g/L",
    "mg/dl": "mg/dL",
    "mg/l": "mg/L",
    "mmol/l": "mmol/L",
    "umol/l": "umol/L",
    "pmol/l": "pmol/L",
    "pg/ml": "pg/mL",
    "ng/l": "ng/L",
    "ng/ml": "ng/mL",
    "mg/mmol": "mg/mmol",
    "mg/g": "mg/g",
    "ml/min/1.73m2": "mL/min/{1.73_m2}",
    "ml/mn/1.73m2": "mL/min/{1.73_m2}",
    "ml/min/1.73": "mL/min/{1.73_m2}",
    "ml/min/{1.73_m2}": "mL/min/{1.73_m2}",
    "ml/min/1.73m": "mL/min/{1.73_m2}",
    "ml/min/1.73m^2": "mL/min/{1.73_m2}",
}


def fold_unit(text: str | None) -> str:
    """The key a unit is looked up by: lower case, µ as u, ² as 2, decimal comma as point, no spaces."""
    if not text:
        return ""
    folded = text.strip().lower().replace("µ", "u").replace("μ", "u").replace("²", "2").replace(",", ".")
    return "".join(folded.split())


def to_ucum(text: str | None) -> str | None:
    """The UCUM code for a lab's unit, or None when we do not know it (never a guess)."""
    folded = fold_unit(text)
    if not folded:
        return None
    if folded in _ALIASES:
        return _ALIASES[folded]
    exact = {code.lower(): code for code in UNITS}
    return exact.get(folded)
