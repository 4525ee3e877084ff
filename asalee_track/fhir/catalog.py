"""What the FHIR mapping needs to know about pathways, measures and acts, as plain frozen values.

The protocol engine (`asalee_track.protocols`) is the only source of codes: each pathway's condition, its
measures' LOINC and SNOMED codes, its acts' codes. The mapping reads this small catalogue instead of the
engine's models so that it stays fast (dict look-ups in the export's inner loop). A process builds it once
from the protocols it has loaded; an export whose protocol files cannot be loaded uses the protocols shipped
with the application, so that it still says what each value is.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asalee_track import PROJECT_ROOT
from asalee_track.fhir import codes
from asalee_track.protocols import ProtocolSet, load_protocols

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MeasureInfo:
    id: str
    coding: tuple[dict[str, str], ...]  # the first is the main code (LOINC when there is one)
    category: str
    label: str
    unit: str | None = None
    kind: str = "quantity"  # quantity, score, coded
    answers: dict[str, dict[str, str]] = field(default_factory=dict)  # code → Coding
    target_min: float | None = None
    target_max: float | None = None
    every: str | None = None  # ISO 8601 duration
    decimals: int | None = None  # the protocol's display precision


@dataclass(frozen=True, slots=True)
class ActInfo:
    id: str
    kind: str  # prescription, procedure
    label: str
    coding: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class InstrumentInfo:
    """A questionnaire: items (id, label, options (code, label, points)) and the measure of its total."""

    id: str
    label: str
    score_measure: str
    licence: str
    source: str
    items: tuple[tuple[str, str, tuple[tuple[str, str, float], ...]], ...]


@dataclass(frozen=True, slots=True)
class PathwayInfo:
    id: str
    version: str
    title: str
    condition: tuple[dict[str, str], ...]  # SNOMED then ICD-10 codings
    measures: tuple[MeasureInfo, ...] = ()
    acts: dict[str, ActInfo] = field(default_factory=dict)
    education: dict[str, str] = field(default_factory=dict)
    instruments: dict[str, InstrumentInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    pathways: dict[str, PathwayInfo]
    measures: dict[str, MeasureInfo]  # by measure id, across pathways (ids mean the same everywhere)
    by_loinc: dict[str, MeasureInfo]

    def pathway(self, protocol_id: str) -> PathwayInfo:
        known = self.pathways.get(protocol_id)
        if known is not None:
            return known
        return PathwayInfo(protocol_id, "", protocol_id, ())

    def measure(self, measure_id: str, loinc: str | None = None) -> MeasureInfo | None:
        return self.measures.get(measure_id) or (self.by_loinc.get(loinc) if loinc else None)

    def act(self, protocol_id: str, act_id: str) -> ActInfo | None:
        pathway = self.pathways.get(protocol_id)
        return pathway.acts.get(act_id) if pathway else None


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return (
        {"system": system, "code": code, "display": display} if display else {"system": system, "code": code}
    )


def _condition_codings(snomed: Iterable[str], icd10: Iterable[str]) -> tuple[dict[str, str], ...]:
    # An ICD-10 range (C00-C97) names a chapter, not a code: it cannot be a Coding.
    return tuple(_coding(codes.SNOMED, code) for code in snomed) + tuple(
        _coding(codes.ICD10, code) for code in icd10 if "-" not in code
    )


def _measure_info(measure: Any) -> MeasureInfo:
    coding: list[dict[str, str]] = []
    if measure.loinc:
        coding.append(_coding(codes.LOINC, measure.loinc, measure.display))
        coding.extend(_coding(codes.LOINC, extra) for extra in measure.also_loinc)
    if measure.snomed:
        coding.append(_coding(codes.SNOMED, measure.snomed, None if measure.loinc else measure.display))
    if not coding:  # no verified standard code (protocol says `local: true`)
        coding.append(_coding(codes.LOCAL_MEASURE, measure.id, measure.label.en))
    answers = {
        answer.code: _coding(codes.SHORT_SYSTEMS[answer.system], answer.code, answer.label.en)
        for answer in measure.codes
    }
    target = measure.target
    return MeasureInfo(
        id=measure.id,
        coding=tuple(coding),
        category=measure.category,
        label=measure.label.fr,
        unit=measure.unit,
        kind=measure.kind,
        answers=answers,
        target_min=target.min if target else None,
        target_max=target.max if target else None,
        every=measure.every.iso() if measure.every else None,
        decimals=measure.decimals,
    )


def _act_info(act: Any) -> ActInfo:
    coding = None
    if act.code is not None:
        coding = _coding(codes.SHORT_SYSTEMS[act.code.system], act.code.code, act.code.display)
    return ActInfo(id=act.id, kind=act.kind, label=act.label.fr, coding=coding)


def _instrument_info(instrument: Any) -> InstrumentInfo:
    items = tuple(
        (
            item.id,
            item.label.fr,
            tuple((o.code, o.label.fr, float(o.points)) for o in instrument.item_options(item)),
        )
        for item in instrument.items
    )
    return InstrumentInfo(
        id=instrument.id,
        label=instrument.label.fr,
        score_measure=instrument.score,
        licence=instrument.licence,
        source=instrument.source,
        items=items,
    )


def from_protocols(protocols: ProtocolSet) -> Catalog:
    """Build the catalogue from a loaded protocol set."""
    pathways: dict[str, PathwayInfo] = {}
    for protocol in protocols.all():
        pathways[protocol.id] = PathwayInfo(
            id=protocol.id,
            version=protocol.version,
            title=protocol.title.fr,
            condition=_condition_codings(protocol.condition.snomed, protocol.condition.icd10),
            measures=tuple(_measure_info(measure) for measure in protocol.measures),
            acts={act.id: _act_info(act) for act in protocol.delegated_acts},
            education={topic.id: topic.label.fr for topic in protocol.education},
            instruments={i.id: _instrument_info(i) for i in protocol.instruments},
        )
    return _index(pathways)


def _index(pathways: dict[str, PathwayInfo]) -> Catalog:
    measures: dict[str, MeasureInfo] = {}
    for pathway in pathways.values():
        for measure in pathway.measures:
            measures[measure.id] = measure
    by_loinc = {
        m.coding[0]["code"]: m for m in measures.values() if m.coding and m.coding[0]["system"] == codes.LOINC
    }
    return Catalog(pathways=pathways, measures=measures, by_loinc=by_loinc)


SHIPPED_PROTOCOLS = PROJECT_ROOT / "protocols"

# Built catalogues by protocol directory: the app registers the one of the protocols it loaded at start-up,
# so the FHIR routes and the export worker of that process read it without parsing the files again.
_built: dict[Path | None, Catalog] = {}


def build_catalog(directory: Path, protocols: ProtocolSet) -> Catalog:
    """The catalogue of `protocols`, loaded from `directory`, kept for every later `load_catalog`."""
    catalog = _built[directory] = from_protocols(protocols)
    return catalog


def load_catalog(directory: Path | None) -> Catalog:
    """The catalogue of the protocol files in `directory`, built once per process (protocols change only
    with a deployment). When they cannot be loaded, the shipped protocols stand in, with a warning."""
    known = _built.get(directory)
    if known is None:
        known = _built[directory] = _load(directory)
    return known


def _load(directory: Path | None) -> Catalog:
    for source in (directory, SHIPPED_PROTOCOLS):
        try:
            return from_protocols(load_protocols(source))  # type: ignore[arg-type]
        except Exception as error:  # noqa: BLE001 - any failure here must not stop an export
            log.warning("FHIR mapping without the protocols of %s: %s", source, error)
    return _index({})
