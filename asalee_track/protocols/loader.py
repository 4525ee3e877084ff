"""Load protocol files and report every mistake with its file, line and column.

The YAML is composed into nodes (PyYAML's node API keeps marks), turned into plain data while recording
where each key and value sits, then validated in two passes:

1. structure and per-item coherence by the pydantic schema (all errors at once);
2. cross-references on the raw data (duplicate ids, rules naming unknown measures, codes…), so that one
   broken measure does not hide a broken rule.

Every problem becomes a ``ProtocolError(path, line, column, message)``.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeGuard

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from yaml.error import Mark

from .errors import ProtocolError, ProtocolLoadError, SchemaIssue, SchemaIssues
from .schema import CHANGES, FORMULAS, THRESHOLDS, Instrument, Measure, Protocol, _fmt
from .units import UNITS

Loc = tuple[str | int, ...]

# Lists of items with ids, and how messages name one item.
_ITEM_LISTS = {
    "measures": "measure",
    "escalation": "rule",
    "education": "education topic",
    "delegated_acts": "delegated act",
    "instruments": "instrument",
    "indicators": "indicator",
}


# ---------------------------------------------------------------------------------------------------
# YAML → data + positions


@dataclass
class _Document:
    path: str
    data: Any = None
    values: dict[Loc, Mark] = field(default_factory=dict)  # where each value starts
    keys: dict[Loc, Mark] = field(default_factory=dict)  # where each mapping key starts
    scalars: dict[Loc, str] = field(default_factory=dict)  # scalars as written (before YAML typing)
    errors: list[ProtocolError] = field(default_factory=list)

    def error(self, mark: Mark | None, message: str) -> None:
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        self.errors.append(ProtocolError(self.path, line, column, message))

    def mark(self, loc: Loc) -> Mark | None:
        """The key of ``loc`` when it is a mapping entry, else its value; falls back to the parent."""
        for size in range(len(loc), -1, -1):
            prefix = loc[:size]
            if prefix in self.values:
                if prefix and isinstance(prefix[-1], str) and prefix in self.keys:
                    return self.keys[prefix]
                return self.values[prefix]
        return None

    def line_of(self, loc: Loc) -> int:
        mark = self.mark(loc)
        return mark.line + 1 if mark is not None else 1


class _Builder:
    """Turns composed YAML nodes into dicts/lists/scalars, recording marks and duplicate keys."""

    def __init__(self, document: _Document) -> None:
        self.document = document
        self.constructor = yaml.SafeLoader("")  # only its scalar constructors are used

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.document.values[loc] = node.start_mark
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*loc, index)) for index, child in enumerate(node.value)]
        self.document.scalars[loc] = node.value
        return self.constructor.construct_object(node)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                self.constructor.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            )
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                self.document.error(key_node.start_mark, f"key {shown!r} must be text; quote it")
                continue
            child = (*loc, key)
            if key in result:
                first = self.document.keys[child].line + 1
                self.document.error(key_node.start_mark, f"duplicate key '{key}' (first at line {first})")
                continue
            self.document.keys[child] = key_node.start_mark
            result[key] = self.build(value_node, child)
        return result


# libyaml is ~10× faster; its error wording differs, so errors are re-raised by the pure-Python parser,
# which keeps messages identical whether or not libyaml is installed.
_FAST_LOADER: type[Any] | None = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _parse(path: str, text: str) -> _Document:
    document = _Document(path)
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "invalid YAML"
        context = ""
        if error.context and error.problem:
            started = error.context_mark
            where = f" started at {started.line + 1}:{started.column + 1}" if started is not None else ""
            context = f" ({error.context}{where})"
        document.error(mark, f"YAML syntax error: {problem}{context}")
        return document
    except yaml.YAMLError as error:  # e.g. a reader error (control characters)
        document.error(None, f"YAML error: {error}")
        return document
    if node is None:
        document.error(None, "empty file; expected a protocol (id, version, title, condition, measures…)")
        return document
    document.data = _Builder(document).build(node, ())
    return document


# ---------------------------------------------------------------------------------------------------
# Pydantic errors → messages


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        models = [arg for arg in options if isinstance(arg, type) and issubclass(arg, BaseModel)]
        return _unwrap(models[0] if models else options[0])
    return annotation


def _annotation_at(loc: Loc) -> Any:
    """The type expected at ``loc`` of a protocol document (None when the path leaves the schema)."""
    current: Any = Protocol
    for step in loc:
        current = _unwrap(current)
        if isinstance(step, int):
            if typing.get_origin(current) is not list:
                return None
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel) and step in current.model_fields:
            current = current.model_fields[step].annotation
        else:
            return None
    return current


def _is_model(annotation: Any) -> bool:
    model = _unwrap(annotation)
    return isinstance(model, type) and issubclass(model, BaseModel)


def _keys_at(loc: Loc) -> list[str]:
    model = _unwrap(_annotation_at(loc))
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _literals_at(loc: Loc) -> list[str]:
    annotation = _unwrap(_annotation_at(loc))
    if typing.get_origin(annotation) is typing.Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    return []


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        return f"'{value}' (text)"
    if isinstance(value, datetime | date):
        return f"{value.isoformat()} (a date)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return repr(value)


def _path_text(loc: Loc) -> str:
    text = ""
    for step in loc:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    options = list(choices)
    close = get_close_matches(word, options, n=1, cutoff=0.6)
    if not close:  # abbreviations ("lab" for "laboratory") score low on similarity
        close = [option for option in options if len(word) >= 3 and option.startswith(word[:3])][:1]
    return f"; did you mean '{close[0]}'?" if close else ""


def _clean_loc(data: Any, loc: Loc) -> Loc:
    """Drop pydantic's union/validator tags from a loc, keeping steps that exist in the data."""
    cleaned: list[str | int] = []
    current = data
    for index, step in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(current, dict) and isinstance(step, str) and (step in current or last):
            cleaned.append(step)
            current = current.get(step)
        elif isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
            cleaned.append(step)
            current = current[step]
        elif last and isinstance(step, str) and isinstance(current, dict):
            cleaned.append(step)
    return tuple(cleaned)


def _type_message(
    kind: str, value: Any, where: str, loc: Loc, error: Mapping[str, Any], written: str | None
) -> str:
    prefix = f"{where}: " if where else ""
    if kind == "string_type":
        # YAML 1.1 reads 2026.1 as a number, No/yes/on as booleans, 2026-01-01 as a date
        typed = isinstance(value, int | float | bool | date)
        shown = written if written is not None else value
        quote = f'; quote it: "{shown}"' if typed else ""
        return f"{prefix}expected text, got {_describe(value)}{quote}"
    if kind in ("float_type", "int_type", "float_parsing", "int_parsing"):
        return f"{prefix}expected a number, got {_describe(value)}"
    if kind == "int_from_float":
        return f"{prefix}expected a whole number, got {_describe(value)}"
    if kind == "bool_type":
        return f"{prefix}expected true or false, got {_describe(value)}"
    if kind == "list_type":
        return f"{prefix}expected a list, got {_describe(value)}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{prefix}expected a mapping (key: value), got {_describe(value)}"
    if kind == "literal_error":
        allowed = _literals_at(loc)
        hint = _did_you_mean(str(value), allowed) if isinstance(value, str) else ""
        return f"{prefix}{_describe(value)} is not one of: {', '.join(allowed)}{hint}"
    if kind == "string_pattern_mismatch":
        if loc and loc[-1] == "version":
            return f"version '{value}' must look like 2026.1 (year, dot, number)"
        return (
            f"{prefix}'{value}' is not a valid id: use lowercase letters, digits and hyphens (e.g. 'hba1c')"
        )
    if kind == "string_too_short":
        return f"{prefix}must not be empty"
    if kind == "too_short":
        return f"{prefix}needs at least {error.get('ctx', {}).get('min_length', 1)} item(s)"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = error.get("ctx", {})
        limit = bound.get("ge", bound.get("le"))
        word = "at least" if kind == "greater_than_equal" else "at most"
        return f"{prefix}must be {word} {limit}, got {_describe(value)}"
    return f"{prefix}{error.get('msg', kind)}"


class _Validator:
    def __init__(self, document: _Document) -> None:
        self.document = document
        self.data: dict[str, Any] = document.data

    def report(self, loc: Loc, message: str) -> None:
        context = self.context(loc)
        self.document.error(self.document.mark(loc), f"{context}: {message}" if context else message)

    def context(self, loc: Loc) -> str:
        """``measure 'hba1c'`` for anything inside a measure (or rule, topic, act)."""
        if len(loc) < 2 or loc[0] not in _ITEM_LISTS or not isinstance(loc[1], int):
            return ""
        items = self.data.get(str(loc[0]))
        item = items[loc[1]] if isinstance(items, list) and loc[1] < len(items) else None
        item_id = item.get("id") if isinstance(item, dict) else None
        label = _ITEM_LISTS[str(loc[0])]
        return f"{label} '{item_id}'" if isinstance(item_id, str) else f"{label} #{loc[1] + 1}"

    # -- pass 1: schema -------------------------------------------------------------------------------

    def schema(self) -> Protocol | None:
        try:
            return Protocol.model_validate(self.data)
        except ValidationError as failure:
            for error in failure.errors(include_url=False):
                self._pydantic_error(error)
            return None

    def _pydantic_error(self, error: Mapping[str, Any]) -> None:
        loc = _clean_loc(self.data, tuple(error["loc"]))
        cause = error.get("ctx", {}).get("error") if error["type"] == "value_error" else None
        inner = loc[2:] if self.context(loc) else loc
        where = _path_text(inner)
        if isinstance(cause, SchemaIssues | SchemaIssue):
            for issue in cause.issues if isinstance(cause, SchemaIssues) else [cause]:
                # a field validator's message gets the key path; a model validator names things itself
                field_level = where and not issue.loc and not _is_model(_annotation_at(loc))
                self.report((*loc, *issue.loc), f"{where}: {issue.message}" if field_level else issue.message)
            return
        if error["type"] == "missing":
            parent = _path_text(inner[:-1])
            self.report(loc, f"missing required key '{loc[-1]}'" + (f" in '{parent}'" if parent else ""))
        elif error["type"] == "extra_forbidden":
            allowed = _keys_at(loc[:-1])
            hint = _did_you_mean(str(loc[-1]), allowed) or f"; expected one of: {', '.join(allowed)}"
            parent = _path_text(inner[:-1])
            self.report(loc, f"unknown key '{loc[-1]}'" + (f" in '{parent}'" if parent else "") + hint)
        else:
            written = self.document.scalars.get(loc)
            self.report(loc, _type_message(error["type"], error.get("input"), where, loc, error, written))

    # -- pass 2: cross-references ------------------------------------------------------------------------

    def items(self, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
        values = self.data.get(key)
        if isinstance(values, list):
            for index, item in enumerate(values):
                if isinstance(item, dict):
                    yield index, item

    def cross_references(self) -> None:
        for key, label in _ITEM_LISTS.items():
            self._duplicates(key, label)
        measure_ids = {item["id"] for _, item in self.items("measures") if isinstance(item.get("id"), str)}
        measures = self._valid_measures()
        self._computed(measure_ids, measures)
        for index, rule in self.items("escalation"):
            when = rule.get("when")
            if isinstance(when, dict):
                for condition, loc in _raw_conditions(when, ("escalation", index, "when")):
                    self._condition(condition, loc, measure_ids, measures)
        for index, act in self.items("delegated_acts"):
            self._reference(act.get("measure"), ("delegated_acts", index, "measure"), measure_ids)
        for index, item in self.items("instruments"):
            self._instrument(index, item, measure_ids, measures)
        for index, item in self.items("indicators"):
            self._indicator(index, item, measure_ids, measures)
        home_bp = self.data.get("home_bp")
        if isinstance(home_bp, dict):
            for key in ("sbp", "dbp"):
                if self._reference(home_bp.get(key), ("home_bp", key), measure_ids):
                    unit = getattr(measures.get(home_bp[key]), "unit", "mm[Hg]")
                    if unit != "mm[Hg]":
                        self.report(
                            ("home_bp", key),
                            f"home_bp.{key}: measure '{home_bp[key]}' is in {unit!r}; "
                            "a blood-pressure average needs 'mm[Hg]'",
                        )

    def _indicator(
        self, index: int, item: dict[str, Any], measure_ids: set[str], measures: Mapping[str, Measure]
    ) -> None:
        """Each measure exists, is numeric and has a target (a control rate needs one); several
        measures need a label of their own."""
        names = item.get("measures")
        if not isinstance(names, list):
            return
        for position, name in enumerate(names):
            loc: Loc = ("indicators", index, "measures", position)
            if not self._reference(name, loc, measure_ids) or name not in measures:
                continue
            measure = measures[name]
            if measure.kind == "coded":
                self.report(loc, f"measure '{name}' is coded; a control rate needs a numeric value")
            elif measure.target is None:
                self.report(loc, f"measure '{name}' has no target; a control rate needs one")
        if len(names) > 1 and "label" not in item:
            self.report(
                ("indicators", index, "measures"),
                "several measures: give the indicator a label, e.g. {fr: Tension, en: Blood pressure}",
            )

    def _instrument(
        self, index: int, item: dict[str, Any], measure_ids: set[str], measures: Mapping[str, Measure]
    ) -> None:
        """The score measure exists, is a score, and its plausible range holds every possible total."""
        loc: Loc = ("instruments", index, "score")
        if not self._reference(item.get("score"), loc, measure_ids):
            return
        measure = measures.get(item["score"])
        if measure is None:
            return
        if measure.kind != "score":
            self.report(loc, f"score measure '{measure.id}' must be 'kind: score', not {measure.kind}")
            return
        try:
            instrument = Instrument.model_validate(item)
        except ValidationError:
            return  # its own errors are reported by pass 1
        low, high = instrument.score_range
        if measure.plausible and not measure.plausible[0] <= low <= high <= measure.plausible[1]:
            self.report(
                loc,
                f"possible totals {_fmt(low)}–{_fmt(high)} do not fit the plausible range "
                f"{_fmt(measure.plausible[0])}–{_fmt(measure.plausible[1])} of measure '{measure.id}'",
            )

    def _duplicates(self, key: str, label: str) -> None:
        first: dict[str, Loc] = {}
        for index, item in self.items(key):
            item_id = item.get("id")
            if not isinstance(item_id, str):
                continue
            loc = (key, index, "id")
            if item_id in first:
                line = self.document.line_of(first[item_id])
                self.document.error(
                    self.document.mark(loc),
                    f"duplicate {label} id '{item_id}' (first defined at line {line})",
                )
            else:
                first[item_id] = loc

    def _valid_measures(self) -> dict[str, Measure]:
        """Measures that validate on their own, so that rules can be checked against them.

        A measure with an invalid field skips its cross-field validator in pass 1; its other fields
        are checked here on a partial model, so that one typo does not hide a wrong target.
        """
        valid: dict[str, Measure] = {}
        for index, item in self.items("measures"):
            try:
                measure = Measure.model_validate(item)
            except ValidationError:
                self._partial_measure(index, item)
                continue
            valid.setdefault(measure.id, measure)
        return valid

    def _partial_measure(self, index: int, item: dict[str, Any]) -> None:
        fields: dict[str, Any] = {}
        broken: set[str] = set()
        for key, value in item.items():
            adapter = _field_adapter(key)
            if adapter is None:
                continue
            try:
                fields[key] = adapter.validate_python(value)
            except ValidationError:
                broken.add(key)
        partial = Measure.model_construct(**fields)
        for issue in partial.issues(broken):
            self.report(("measures", index, *issue.loc), issue.message)

    def _reference(self, value: Any, loc: Loc, measure_ids: set[str]) -> TypeGuard[str]:
        if not isinstance(value, str) or value in measure_ids:
            return isinstance(value, str)
        self.report(loc, f"unknown measure '{value}'{_did_you_mean(value, measure_ids)}")
        return False

    def _computed(self, measure_ids: set[str], measures: Mapping[str, Measure]) -> None:
        for index, item in self.items("measures"):
            computed = item.get("computed")
            if not isinstance(computed, dict) or not isinstance(computed.get("inputs"), list):
                continue
            loc: Loc = ("measures", index, "computed", "inputs")
            inputs = computed["inputs"]
            known = all([self._reference(name, (*loc, i), measure_ids) for i, name in enumerate(inputs)])
            formula = computed.get("formula")
            if formula not in FORMULAS:
                continue
            arity = FORMULAS[formula][0]
            if len(inputs) != arity:
                self.report(loc, f"formula '{formula}' takes {arity} inputs, got {len(inputs)}")
            elif known and formula == "bmi":
                self._bmi_inputs(loc, inputs, measures)

    def _bmi_inputs(self, loc: Loc, inputs: list[str], measures: Mapping[str, Measure]) -> None:
        units = [getattr(measures.get(name), "unit", None) for name in inputs]
        dimensions = [
            UNITS[unit].dimension if isinstance(unit, str) and unit in UNITS else None for unit in units
        ]
        if None in dimensions:
            return
        if dimensions != ["mass", "length"]:
            swapped = " (swapped?)" if dimensions == ["length", "mass"] else ""
            self.report(loc, f"formula 'bmi' needs [weight, height] (a mass then a length){swapped}")

    def _condition(
        self, condition: dict[str, Any], loc: Loc, measure_ids: set[str], measures: Mapping[str, Measure]
    ) -> None:
        name = condition.get("measure")
        if not self._reference(name, (*loc, "measure"), measure_ids):
            return
        measure = measures.get(name)
        if measure is None:
            return  # the measure itself is broken; its own errors are reported
        coded = measure.kind == "coded"
        for key in THRESHOLDS + CHANGES + ("outside_target",):
            if key in condition and coded:
                self.report((*loc, key), f"'{key}' needs a numeric measure; '{name}' is coded (use one_of)")
        for key in THRESHOLDS:
            value = condition.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and measure.plausible:
                low, high = measure.plausible
                if not low <= value <= high:
                    self.report(
                        (*loc, key),
                        f"threshold {_fmt(value)} of measure '{name}' lies outside its plausible range "
                        f"{_fmt(low)}–{_fmt(high)} {measure.unit}: the rule could never fire",
                    )
        if condition.get("outside_target") is True and not coded and measure.target is None:
            self.report((*loc, "outside_target"), f"measure '{name}' has no target to be outside of")
        self._one_of(condition, loc, measure)

    def _one_of(self, condition: dict[str, Any], loc: Loc, measure: Measure) -> None:
        codes = condition.get("one_of")
        if not isinstance(codes, list):
            return
        if measure.kind != "coded":
            self.report(
                (*loc, "one_of"), f"'one_of' needs a coded measure; '{measure.id}' is a {measure.kind}"
            )
            return
        allowed = [coded.code for coded in measure.codes]
        for index, code in enumerate(codes):
            if isinstance(code, str) and code not in allowed:
                self.report(
                    (*loc, "one_of", index),
                    f"'{code}' is not a code of measure '{measure.id}'{_did_you_mean(code, allowed)}",
                )


@cache
def _field_adapter(key: str) -> TypeAdapter[Any] | None:
    """Validator of one field of ``Measure`` (metadata such as constraints included)."""
    info = Measure.model_fields.get(key)
    if info is None or info.annotation is None:
        return None
    annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(annotation)


def _raw_conditions(condition: dict[str, Any], loc: Loc) -> Iterator[tuple[dict[str, Any], Loc]]:
    yield condition, loc
    for key in ("any", "all"):
        children = condition.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                if isinstance(child, dict):
                    yield from _raw_conditions(child, (*loc, key, index))


def _validate(document: _Document) -> Protocol | None:
    if document.errors and document.data is None:
        return None
    if not isinstance(document.data, dict):
        document.error(
            document.mark(()), f"expected a protocol mapping (id: …), got {_describe(document.data)}"
        )
        return None
    validator = _Validator(document)
    protocol = validator.schema()
    validator.cross_references()
    return protocol if not document.errors else None


# ---------------------------------------------------------------------------------------------------
# Public API


def display_path(path: Path) -> str:
    """Path as shown in errors: relative to the working directory when inside it (``protocols/x.yaml``)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


def check_text(text: str, path: str = "<text>") -> tuple[Protocol | None, list[ProtocolError]]:
    """Validate one protocol given as text (tests, editors)."""
    document = _parse(path, text)
    protocol = _validate(document)
    return protocol, sorted(set(document.errors))


def _read(path: Path) -> tuple[str | None, ProtocolError | None]:
    try:
        return path.read_text(encoding="utf-8"), None
    except (OSError, UnicodeDecodeError) as error:
        return None, ProtocolError(display_path(path), 1, 1, f"cannot read the file: {error}")


def _check_document(path: Path) -> tuple[_Document, Protocol | None]:
    text, failure = _read(path)
    document = _Document(display_path(path))
    if failure is not None or text is None:
        document.errors.append(failure or ProtocolError(document.path, 1, 1, "cannot read the file"))
        return document, None
    document = _parse(document.path, text)
    protocol = _validate(document)
    document.errors = sorted(set(document.errors))
    return document, protocol


def check_file(path: Path) -> tuple[Protocol | None, list[ProtocolError]]:
    document, protocol = _check_document(path)
    return protocol, document.errors


def _expand(paths: Iterable[Path]) -> tuple[list[Path], list[ProtocolError]]:
    files: list[Path] = []
    errors: list[ProtocolError] = []
    for path in paths:
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                errors.append(ProtocolError(display_path(path), 1, 1, "no protocol files (*.yaml) here"))
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            errors.append(ProtocolError(display_path(path), 1, 1, "no such file or directory"))
    return files, errors


def check_paths(paths: list[Path]) -> tuple[list[Protocol], list[ProtocolError]]:
    """Validate files and directories (their ``*.yaml``); every error of every file, and the valid ones.

    Two files declaring the same protocol id is an error reported on the second file's ``id``.
    """
    files, errors = _expand(paths)
    protocols: list[Protocol] = []
    first_file: dict[str, str] = {}
    for path in files:
        document, protocol = _check_document(path)
        errors.extend(document.errors)
        declared = document.data.get("id") if isinstance(document.data, dict) else None
        if isinstance(declared, str) and declared in first_file:
            mark = document.mark(("id",))
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            message = f"protocol id '{declared}' is already defined in {first_file[declared]}"
            errors.append(ProtocolError(document.path, line, column, message))
            continue
        if isinstance(declared, str):
            first_file[declared] = document.path
        if protocol is not None:
            protocols.append(protocol)
    return protocols, errors


class ProtocolSet(Mapping[str, Protocol]):
    """Protocols by id. Iterating yields ids, like a dict; ``.all()`` gives the protocols sorted by id."""

    def __init__(self, protocols: Iterable[Protocol]) -> None:
        self._by_id = {protocol.id: protocol for protocol in sorted(protocols, key=lambda p: p.id)}

    def __getitem__(self, protocol_id: str) -> Protocol:
        return self._by_id[protocol_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def all(self) -> list[Protocol]:
        return list(self._by_id.values())

    def __repr__(self) -> str:
        return f"ProtocolSet({', '.join(p.label for p in self._by_id.values())})"


def load_protocols(directory: Path) -> ProtocolSet:
    """Load every ``*.yaml`` of ``directory``; raises ``ProtocolLoadError`` listing all errors."""
    protocols, errors = check_paths([Path(directory)])
    if errors:
        raise ProtocolLoadError(errors)
    return ProtocolSet(protocols)


def summary(protocols: Iterable[Protocol]) -> str:
    """One line for ``asalee-track protocols check``: ``4 protocols valid: diabete-type-2 2026.1, …``."""
    items = sorted(protocols, key=lambda protocol: protocol.id)
    if not items:
        return "no protocols"
    noun = "protocol" if len(items) == 1 else "protocols"
    return f"{len(items)} {noun} valid: " + ", ".join(protocol.label for protocol in items)
