"""Pydantic models of a protocol file (``protocols/*.yaml``) and of the engine's plain inputs.

Every model forbids unknown keys: a typo in a protocol must fail loudly, not silently drop a rule.
Validators raise ``SchemaIssue`` with a location relative to the model, so that the loader can point
at the offending key (``target.max``) rather than at the whole measure.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from difflib import get_close_matches
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from stdnum import luhn, verhoeff

from .durations import Duration, DurationError, approximate_days, in_range, parse_duration
from .errors import SchemaIssue, SchemaIssues
from .units import SUBSTANCES, UNITS, can_convert, convert, suggest_unit

# ---------------------------------------------------------------------------------------------------
# Code systems and their check digits


def check_loinc(code: str) -> str:
    body, _, check = code.partition("-")
    if not (body.isdigit() and check.isdigit() and len(check) == 1 and 1 <= len(body) <= 7):
        raise SchemaIssue(f"LOINC code {code!r} is malformed; expected digits, a hyphen and a check digit")
    expected = int(luhn.calc_check_digit(body))  # LOINC's mod-10 check digit is Luhn's
    if int(check) != expected:
        raise SchemaIssue(
            f"LOINC code {code!r} has check digit {check}, expected {expected}; "
            f"did you mean '{body}-{expected}'? (or a digit of the code is wrong)"
        )
    return code


def check_snomed(code: str) -> str:
    if not (code.isdigit() and 6 <= len(code) <= 18):
        raise SchemaIssue(f"SNOMED CT code {code!r} is malformed; expected 6 to 18 digits (quote it)")
    if not verhoeff.is_valid(code):  # SNOMED CT identifiers end with a Verhoeff check digit
        raise SchemaIssue(f"SNOMED CT code {code!r} fails its Verhoeff check digit; a digit is wrong")
    return code


def check_icd10(code: str) -> str:
    single = r"[A-Z]\d{2}(?:\.\d{1,2})?"
    if not re.fullmatch(rf"{single}(?:-{single})?", code):
        raise SchemaIssue(f"ICD-10 code {code!r} is malformed; expected e.g. E11, E11.9 or C00-C97")
    return code


def check_unit(code: str) -> str:
    if code not in UNITS:
        hint = suggest_unit(code)
        suffix = f"; did you mean {hint!r}?" if hint else f"; supported: {', '.join(UNITS)}"
        raise SchemaIssue(f"unknown or unsupported UCUM unit {code!r}{suffix}")
    return code


def _check_duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise SchemaIssue(f"expected an ISO 8601 duration such as P3M, got {value!r}")
    try:
        return parse_duration(value)
    except DurationError as error:
        raise SchemaIssue(str(error)) from None


# ---------------------------------------------------------------------------------------------------
# Field types

Str = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[StrictStr, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
Num = StrictFloat  # YAML numbers only; "7,2" in a protocol file is an error, not a conversion
Loinc = Annotated[StrictStr, AfterValidator(check_loinc)]
Snomed = Annotated[StrictStr, AfterValidator(check_snomed)]
Icd10 = Annotated[StrictStr, AfterValidator(check_icd10)]
UcumUnit = Annotated[StrictStr, AfterValidator(check_unit)]
IsoDuration = Annotated[
    Duration,
    PlainValidator(_check_duration),
    PlainSerializer(lambda duration: duration.iso(), return_type=str),
    WithJsonSchema({"type": "string", "format": "duration"}),
]

Category = Literal["vital-signs", "laboratory", "exam", "social-history", "activity", "survey"]
Kind = Literal["quantity", "score", "coded"]
Severity = Literal["low", "moderate", "high"]  # as FHIR DetectedIssue.severity
# The one list of the words a rule may use, least urgent first: the worklist ranks by it, pages style
# each word (``.severity-<word>`` in app.css).
SEVERITIES: tuple[str, ...] = get_args(Severity)
CodeSystem = Literal["snomed", "loinc", "local"]

# Where the FHIR layer finds each short system name. "local" codes are this application's own answers
# (e.g. foot exam results) for which no verified standard code was available.
SYSTEM_URIS: dict[str, str] = {
    "snomed": "http://snomed.info/sct",
    "loinc": "http://loinc.org",
    "local": "urn:asalee-track:codes",
}


def _fmt(value: float) -> str:
    """Numbers in messages for protocol authors: ``7``, ``7.5``, ``0.55``."""
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.0f}"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Model):
    """A bilingual text; French is the reference language and the fallback."""

    fr: Str
    en: Str

    def get(self, locale: str | None = "fr") -> str:
        if locale and locale.lower().startswith("en"):
            return self.en or self.fr
        return self.fr

    def __str__(self) -> str:
        return self.fr


class Target(Model):
    """Inclusive bounds: ``max: 7.0`` means "≤ 7.0 %" is at target."""

    min: Num | None = None
    max: Num | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Target:
        if self.min is None and self.max is None:
            raise SchemaIssue("a target needs 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SchemaIssue(f"target min {_fmt(self.min)} is above target max {_fmt(self.max)}", ("min",))
        return self

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


def _check_code_in_system(system: str, code: str) -> None:
    if system == "snomed":
        check_snomed(code)
    elif system == "loinc":
        check_loinc(code)


class CodedValue(Model):
    """One allowed answer of a coded measure."""

    system: CodeSystem
    code: Str
    label: Text

    @model_validator(mode="after")
    def _code(self) -> CodedValue:
        try:
            _check_code_in_system(self.system, self.code)
        except SchemaIssue as issue:
            raise SchemaIssue(issue.message, ("code",)) from None
        return self

    @property
    def system_uri(self) -> str:
        return SYSTEM_URIS[self.system]


class CodeRef(Model):
    system: CodeSystem
    code: Str
    display: Str | None = None

    @model_validator(mode="after")
    def _code(self) -> CodeRef:
        try:
            _check_code_in_system(self.system, self.code)
        except SchemaIssue as issue:
            raise SchemaIssue(issue.message, ("code",)) from None
        return self

    @property
    def system_uri(self) -> str:
        return SYSTEM_URIS[self.system]


# Formulas the engine knows (no eval): name → (input count, unit of the result).
FORMULAS: dict[str, tuple[int, str]] = {"bmi": (2, "kg/m2")}


class Computed(Model):
    formula: Literal["bmi"]
    inputs: list[Slug]


class Measure(Model):
    id: Slug
    loinc: Loinc | None = None
    also_loinc: list[Loinc] = Field(default_factory=list)  # extra codings (e.g. SpO2 2708-6 for R4)
    snomed: Snomed | None = None  # when no LOINC code exists (e.g. diabetic foot examination)
    display: Str | None = None  # the code's display name, for FHIR
    label: Text
    description: Text | None = None
    category: Category
    kind: Kind = "quantity"
    unit: UcumUnit | None = None  # canonical UCUM unit: values are stored in it
    accepts: list[UcumUnit] = Field(default_factory=list)  # input units converted to the canonical one
    substance: Str | None = None  # names a conversion bridge in units.SUBSTANCES
    plausible: list[Num] | None = None  # [min, max] inclusive, canonical unit; outside ⇒ input refused
    target: Target | None = None
    every: IsoDuration | None = None
    # [shortest, longest] interval a GP may set for one patient instead of ``every`` (HbA1c: P3M–P6M)
    every_range: list[IsoDuration] | None = None
    grace: IsoDuration | None = None
    decimals: Annotated[StrictInt, Field(ge=0, le=4)] | None = None
    codes: list[CodedValue] = Field(default_factory=list)
    computed: Computed | None = None
    # No standard code could be verified: FHIR codes the measure in the application's own namespace.
    local: StrictBool = False

    @property
    def accepted_units(self) -> list[str]:
        if self.unit is None:
            return []
        return [self.unit, *(unit for unit in self.accepts if unit != self.unit)]

    def code(self, code: str) -> CodedValue | None:
        return next((coded for coded in self.codes if coded.code == code), None)

    @model_validator(mode="after")
    def _coherent(self) -> Measure:
        issues = self.issues()
        if issues:
            raise issues[0] if len(issues) == 1 else SchemaIssues(issues)
        return self

    def issues(self, broken: Collection[str] = ()) -> list[SchemaIssue]:
        """Cross-field problems. ``broken`` names keys present in the file but invalid (already
        reported): checks that need them are skipped, so that one typo does not hide the others
        (the loader calls this on a partially valid measure built with ``model_construct``).
        """
        checks = _MeasureChecks(self, set(broken))
        return list(checks.run())


class _MeasureChecks:
    def __init__(self, measure: Measure, broken: set[str]) -> None:
        self.measure = measure
        self.broken = broken

    def get(self, key: str) -> Any:
        return getattr(self.measure, key, None)

    def lacks(self, key: str) -> bool:
        """Absent from the file (a present-but-invalid key was already reported)."""
        return self.get(key) is None and key not in self.broken

    def run(self) -> Iterator[SchemaIssue]:
        if self.lacks("loinc") and self.lacks("snomed") and not self.get("local"):
            yield SchemaIssue(
                "needs a 'loinc' code (or 'snomed' when no LOINC code exists, "
                "or 'local: true' when no standard code could be verified)"
            )
        kind = None if "kind" in self.broken else self.get("kind") or "quantity"
        if kind == "coded":
            yield from self.coded()
        elif kind is not None:
            yield from self.quantity(kind)
        if self.get("grace") is not None and self.lacks("every"):
            yield SchemaIssue("'grace' without 'every' means nothing; add 'every'", ("grace",))
        yield from self.every_range()

    def every_range(self) -> Iterator[SchemaIssue]:
        allowed = self.get("every_range")
        if allowed is None:
            return
        if self.lacks("every"):
            yield SchemaIssue("'every_range' without 'every' means nothing; add 'every'", ("every_range",))
            return
        if len(allowed) != 2:
            message = f"every_range must be [shortest, longest], got {len(allowed)} durations"
            yield SchemaIssue(message, ("every_range",))
            return
        shortest, longest = allowed
        if approximate_days(shortest) > approximate_days(longest):
            yield SchemaIssue(
                f"every_range shortest {shortest.iso()} is longer than longest {longest.iso()}; "
                f"did you mean [{longest.iso()}, {shortest.iso()}]?",
                ("every_range",),
            )
            return
        every = self.get("every")
        if every is not None and not in_range(every, allowed):
            yield SchemaIssue(
                f"every {every.iso()} lies outside every_range {shortest.iso()}–{longest.iso()}; "
                "the protocol's own interval must be one a GP may choose",
                ("every_range",),
            )

    def coded(self) -> Iterator[SchemaIssue]:
        for key in ("unit", "accepts", "substance", "plausible", "target", "decimals", "computed"):
            if self.get(key) not in (None, []):
                yield SchemaIssue(f"'{key}' does not apply to a coded measure (kind: coded)", (key,))
        codes = self.get("codes") or []
        if not codes and "codes" not in self.broken:
            yield SchemaIssue("a coded measure needs 'codes', the list of allowed answers", ("kind",))
        seen: set[str] = set()
        for index, coded in enumerate(codes):
            if coded.code in seen:
                yield SchemaIssue(f"duplicate code {coded.code!r}", ("codes", index, "code"))
            seen.add(coded.code)

    def quantity(self, kind: str) -> Iterator[SchemaIssue]:
        if self.get("codes"):
            yield SchemaIssue(f"'codes' only applies to coded measures, not kind {kind}", ("codes",))
        unit = self.get("unit")
        if unit is None:
            if self.lacks("unit"):
                yield SchemaIssue("needs 'unit', the canonical UCUM unit (e.g. kg, %, mm[Hg], {score})")
        else:
            yield from self.units(unit)
        plausible = self.get("plausible")
        if plausible is None:
            if self.lacks("plausible"):
                yield SchemaIssue("needs 'plausible: [min, max]', the range outside which input is refused")
            return
        if len(plausible) != 2:
            yield SchemaIssue(f"plausible must be [min, max], got {len(plausible)} numbers", ("plausible",))
            return
        low, high = plausible
        if low >= high:
            yield SchemaIssue(
                f"plausible min {_fmt(low)} must be below max {_fmt(high)}; "
                f"did you mean [{_fmt(high)}, {_fmt(low)}]?",
                ("plausible",),
            )
            return
        yield from self.target(low, high, unit)
        computed = self.get("computed")
        if computed is not None and unit is not None:
            expected_unit = FORMULAS[computed.formula][1]
            if unit != expected_unit:
                message = f"formula {computed.formula!r} gives {expected_unit}, but the unit is {unit!r}"
                yield SchemaIssue(message, ("unit",))

    def units(self, unit: str) -> Iterator[SchemaIssue]:
        substance = self.get("substance")
        if substance is not None and substance not in SUBSTANCES:
            close = get_close_matches(substance, list(SUBSTANCES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(SUBSTANCES)}"
            yield SchemaIssue(f"unknown substance {substance!r}{hint}", ("substance",))
            return
        for index, accepted in enumerate(self.get("accepts") or []):
            if not can_convert(accepted, unit, substance):
                yield SchemaIssue(
                    f"accepted unit {accepted!r} has no conversion to the canonical unit {unit!r}"
                    + _substance_hint(accepted, unit),
                    ("accepts", index),
                )

    def target(self, low: float, high: float, unit: str | None) -> Iterator[SchemaIssue]:
        target = self.get("target")
        if target is None:
            return
        for bound in ("min", "max"):
            value = getattr(target, bound)
            if value is None or low <= value <= high:
                continue
            hint = self.suggest(value, low, high, unit)
            yield SchemaIssue(
                f"target {bound} {_fmt(value)} lies outside the plausible range "
                f"{_fmt(low)}–{_fmt(high)} {unit or ''}".rstrip()
                + (f"; did you mean {hint}?" if hint else ""),
                ("target", bound),
            )

    def suggest(self, value: float, low: float, high: float, unit: str | None) -> str | None:
        """A slipped decimal point is the usual mistake (70 for 7.0); then a value in another unit."""
        for candidate in (value / 10, value * 10, value / 100, value * 100):
            if low <= candidate <= high:
                return f"{candidate:.1f}" if float(candidate).is_integer() else _fmt(round(candidate, 3))
        substance = self.get("substance")
        for accepted in self.get("accepts") or []:
            if unit is None or accepted == unit or not can_convert(accepted, unit, substance):
                continue
            converted = convert(value, accepted, unit, substance)
            if low <= converted <= high:
                return f"{_fmt(round(converted, 2))} ({_fmt(value)} {accepted} in {unit})"
        return None


def _substance_hint(unit: str, canonical: str) -> str:
    fits = [name for name in SUBSTANCES if can_convert(unit, canonical, name)]
    if fits:
        return "; add 'substance: " + "' or 'substance: ".join(fits) + "'"
    return ""


# ---------------------------------------------------------------------------------------------------
# Escalation rules: conditions are data, evaluated by rules.py, never code.

# Keys that say what a condition tests; exactly one per condition.
COMPARATORS = (
    "above",
    "below",
    "at_least",
    "at_most",
    "outside_target",
    "one_of",
    "rises_by",
    "falls_by",
    "missing_for",
    "any",
    "all",
)
THRESHOLDS = ("above", "below", "at_least", "at_most")
CHANGES = ("rises_by", "falls_by")


class Condition(Model):
    measure: Slug | None = None
    above: Num | None = None  # latest value > x
    below: Num | None = None  # latest value < x
    at_least: Num | None = None  # latest value ≥ x
    at_most: Num | None = None  # latest value ≤ x
    outside_target: StrictBool | None = None  # latest value outside the (personal) target
    one_of: list[Str] | None = None  # coded measure: latest answer is one of these codes
    rises_by: Num | None = None  # latest − an earlier value within the window ≥ x
    falls_by: Num | None = None  # an earlier value within the window − latest ≥ x
    percent: StrictBool = False  # rises_by/falls_by in % of the earlier value
    within: IsoDuration | None = None  # window of rises_by/falls_by, counted back from the latest value
    missing_for: IsoDuration | None = None  # no value for this long (from enrolment at the earliest)
    last: Annotated[StrictInt, Field(ge=1, le=10)] = 1  # thresholds: true of each of the last n values
    any: list[Condition] | None = None
    all: list[Condition] | None = None

    @property
    def comparator(self) -> str:
        return next(key for key in COMPARATORS if getattr(self, key) is not None)

    @model_validator(mode="after")
    def _one_comparator(self) -> Condition:
        present = [key for key in COMPARATORS if getattr(self, key) is not None]
        if not present:
            raise SchemaIssue("condition needs one of: " + ", ".join(COMPARATORS))
        if len(present) > 1:
            raise SchemaIssue(
                f"condition has both {present[0]!r} and {present[1]!r}; "
                "use one per condition and combine them with 'any' or 'all'",
                (present[1],),
            )
        issues = list(self._issues(present[0]))
        if issues:
            raise issues[0] if len(issues) == 1 else SchemaIssues(issues)
        return self

    def _issues(self, key: str) -> Iterator[SchemaIssue]:
        combined = key in ("any", "all")
        if combined and self.measure is not None:
            yield SchemaIssue(f"{key!r} combines conditions; put 'measure' inside each of them", ("measure",))
        if not combined and self.measure is None:
            yield SchemaIssue(f"{key!r} needs 'measure', the measure id it tests", (key,))
        if combined and not getattr(self, key):
            yield SchemaIssue(f"{key!r} needs at least one condition", (key,))
        if key in CHANGES:
            if self.within is None:
                yield SchemaIssue(f"{key!r} needs 'within', an ISO 8601 duration such as P3D", (key,))
            if getattr(self, key) <= 0:
                yield SchemaIssue(f"{key!r} must be positive", (key,))
        else:
            if self.within is not None:
                yield SchemaIssue("'within' only goes with 'rises_by' or 'falls_by'", ("within",))
            if self.percent:
                yield SchemaIssue("'percent' only goes with 'rises_by' or 'falls_by'", ("percent",))
        if self.last != 1 and key not in (*THRESHOLDS, "outside_target", "one_of"):
            yield SchemaIssue(f"'last' does not apply to {key!r}", ("last",))
        if key == "outside_target" and self.outside_target is not True:
            yield SchemaIssue("'outside_target: false' tests nothing; write 'outside_target: true'", (key,))
        if key == "one_of" and not self.one_of:
            yield SchemaIssue("'one_of' needs at least one code", (key,))

    def walk(self, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[Condition, tuple[str | int, ...]]]:
        """This condition and every nested one, with their location relative to this one."""
        yield self, loc
        for key in ("any", "all"):
            for index, child in enumerate(getattr(self, key) or []):
                yield from child.walk((*loc, key, index))


class Rule(Model):
    id: Slug
    when: Condition
    severity: Severity
    message: Text


class EducationTopic(Model):
    id: Slug
    label: Text
    description: Text | None = None


class DelegatedAct(Model):
    """An act the GP delegates to the nurse (art. 51 HPST): a prescription or a procedure she performs.

    ``measure`` links the act to the measure it prescribes or whose result it records.
    """

    id: Slug
    label: Text
    kind: Literal["prescription", "procedure"]
    code: CodeRef | None = None
    measure: Slug | None = None
    requires: Text | None = None  # prerequisite shown to the nurse (training, GP's signed protocol…)


class Indicator(Model):
    """A control rate the dashboard charts month by month: the share of patients under care whose
    latest value of each of ``measures`` (blood pressure: systolic and diastolic) meets its target.
    The list of indicators is in clinical order: the first is the pathway's headline."""

    measures: Annotated[list[Slug], Field(min_length=1, max_length=3)]
    label: Text | None = None  # needed when there are several measures; else the measure's label


# ---------------------------------------------------------------------------------------------------
# Scored instruments (questionnaires) and home blood-pressure series

# How an instrument's total is computed from the points of its answers (no eval): a fixed list.
TOTALS = ("sum",)


class AnswerOption(Model):
    code: Slug
    label: Text
    points: Num


class InstrumentItem(Model):
    """One question. ``label`` says what it is about in the protocol's own words: an instrument's
    item wording may be copyrighted and is never shipped; the nurse reads the licensed form."""

    id: Slug
    label: Text
    options: list[AnswerOption] = Field(default_factory=list)  # empty: the instrument's shared options


class Band(Model):
    """Inclusive score range and what it means (``0–2: dépendance faible``)."""

    min: Num
    max: Num
    label: Text

    @model_validator(mode="after")
    def _range(self) -> Band:
        if self.min > self.max:
            raise SchemaIssue(f"band min {_fmt(self.min)} is above its max {_fmt(self.max)}", ("min",))
        return self


class Instrument(Model):
    """A scored questionnaire: answers with points, a total recorded as the ``score`` measure's value
    (an observation like any other, which rules test and charts show), bands that say what it means."""

    id: Slug
    label: Text
    licence: Literal["public-domain", "free-clinical-use"]
    source: Str  # the reference that defines items, points and bands
    score: Slug  # id of the measure (kind: score) the total is recorded as
    total: Literal["sum"] = "sum"
    options: list[AnswerOption] = Field(default_factory=list)  # shared by items that list none
    items: Annotated[list[InstrumentItem], Field(min_length=1)]
    bands: list[Band] = Field(default_factory=list)

    @model_validator(mode="after")
    def _coherent(self) -> Instrument:
        issues = list(self._issues())
        if issues:
            raise issues[0] if len(issues) == 1 else SchemaIssues(issues)
        return self

    def _issues(self) -> Iterator[SchemaIssue]:
        yield from _duplicate_codes(self.options, ("options",))
        seen: set[str] = set()
        for index, item in enumerate(self.items):
            if item.id in seen:
                yield SchemaIssue(f"duplicate item id '{item.id}'", ("items", index, "id"))
            seen.add(item.id)
            if not item.options and not self.options:
                yield SchemaIssue(
                    f"item '{item.id}' has no answer options; give it 'options' "
                    "or give the instrument shared 'options'",
                    ("items", index),
                )
            elif len(self.item_options(item)) < 2:
                yield SchemaIssue(f"item '{item.id}' needs at least 2 answer options", ("items", index))
            yield from _duplicate_codes(item.options, ("items", index, "options"))
        low, high = self.score_range
        previous: Band | None = None
        for index, band in enumerate(self.bands):
            if band.min < low or band.max > high:
                yield SchemaIssue(
                    f"band {_fmt(band.min)}–{_fmt(band.max)} lies outside the possible scores "
                    f"{_fmt(low)}–{_fmt(high)}",
                    ("bands", index),
                )
            if previous is not None and band.min <= previous.max:
                yield SchemaIssue(
                    f"band {_fmt(band.min)}–{_fmt(band.max)} overlaps the previous one "
                    f"({_fmt(previous.min)}–{_fmt(previous.max)}); list bands in order, without overlap",
                    ("bands", index),
                )
            previous = band

    def item_options(self, item: InstrumentItem) -> list[AnswerOption]:
        return item.options or self.options

    @property
    def score_range(self) -> tuple[float, float]:
        """Lowest and highest possible totals."""
        low = sum(min((o.points for o in self.item_options(i)), default=0.0) for i in self.items)
        high = sum(max((o.points for o in self.item_options(i)), default=0.0) for i in self.items)
        return low, high

    def band(self, score: float) -> Band | None:
        return next((band for band in self.bands if band.min <= score <= band.max), None)


def _duplicate_codes(options: list[AnswerOption], loc: tuple[str | int, ...]) -> Iterator[SchemaIssue]:
    seen: set[str] = set()
    for index, option in enumerate(options):
        if option.code in seen:
            yield SchemaIssue(f"duplicate answer code '{option.code}'", (*loc, index, "code"))
        seen.add(option.code)


class HomeBloodPressure(Model):
    """A home blood-pressure series ("rule of 3": 3 readings each morning and evening over 3 days).
    Every reading is kept; the averages are recorded as the ``sbp`` and ``dbp`` measures, and only when
    the series has at least ``min_readings`` complete readings."""

    days: Annotated[StrictInt, Field(ge=1, le=14)]
    per_period: Annotated[StrictInt, Field(ge=1, le=6)]  # readings each morning and each evening
    min_readings: Annotated[StrictInt, Field(ge=1)]
    sbp: Slug
    dbp: Slug

    @model_validator(mode="after")
    def _enough_cells(self) -> HomeBloodPressure:
        if self.min_readings > self.cells:
            raise SchemaIssue(
                f"home_bp.min_readings {self.min_readings} is more than the grid holds "
                f"({self.days} days × 2 periods × {self.per_period} = {self.cells})",
                ("min_readings",),
            )
        return self

    @property
    def cells(self) -> int:
        return self.days * 2 * self.per_period


class ConditionCodes(Model):
    snomed: Annotated[list[Snomed], Field(min_length=1)]
    icd10: Annotated[list[Icd10], Field(min_length=1)]


class Protocol(Model):
    id: Slug
    version: Annotated[StrictStr, StringConstraints(pattern=r"^\d{4}\.\d+$")]
    title: Text
    description: Text | None = None
    condition: ConditionCodes
    measures: Annotated[list[Measure], Field(min_length=1)]
    escalation: list[Rule] = Field(default_factory=list)
    education: list[EducationTopic] = Field(default_factory=list)
    delegated_acts: list[DelegatedAct] = Field(default_factory=list)
    instruments: list[Instrument] = Field(default_factory=list)
    home_bp: HomeBloodPressure | None = None
    indicators: list[Indicator] = Field(default_factory=list)

    _by_id: dict[str, Measure] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._by_id.update({measure.id: measure for measure in self.measures})

    def measure(self, measure_id: str) -> Measure:
        """The measure with this id; ``KeyError`` if the protocol has none."""
        return self._by_id[measure_id]

    def has_measure(self, measure_id: str) -> bool:
        return measure_id in self._by_id

    def instrument(self, instrument_id: str) -> Instrument | None:
        return next((item for item in self.instruments if item.id == instrument_id), None)

    @property
    def scored_measures(self) -> set[str]:
        """Measures whose value the app derives (instrument totals, home-BP averages): never asked."""
        derived = {instrument.score for instrument in self.instruments}
        if self.home_bp is not None:
            derived.update((self.home_bp.sbp, self.home_bp.dbp))
        return derived

    def rule(self, rule_id: str) -> Rule:
        return next(rule for rule in self.escalation if rule.id == rule_id)

    @property
    def label(self) -> str:
        return f"{self.id} {self.version}"


# ---------------------------------------------------------------------------------------------------
# Plain inputs of the evaluator and scheduler (the care layer builds them from stored observations).


@dataclass(frozen=True, slots=True)
class Obs:
    """One observation: canonical value (number) or code (str), at a timezone-aware time."""

    measure: str
    value: float | str
    effective: datetime
