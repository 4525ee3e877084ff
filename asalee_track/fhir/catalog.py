"""What the FHIR mapping needs to know about pathways, measures and acts, as plain frozen values.

The protocol engine (`asalee_track.protocols`) is the source. The mapping reads this small catalogue
instead of the engine's models so that it stays fast (dict look-ups in the export's inner loop) and keeps
working, with less detail, when the protocol files cannot be loaded: a built-in table from domain.md then
gives the condition codes and the common measures' LOINC display and category.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from asalee_track.fhir import codes

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


def from_protocols(protocols: Iterable[Any]) -> Catalog:
    """Build the catalogue from `asalee_track.protocols.Protocol` objects."""
    pathways: dict[str, PathwayInfo] = {}
    for protocol in protocols:
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
    return _index({**FALLBACK_PATHWAYS, **pathways})


def _index(pathways: dict[str, PathwayInfo]) -> Catalog:
    measures: dict[str, MeasureInfo] = dict(FALLBACK_MEASURES)
    for pathway in pathways.values():
        for measure in pathway.measures:
            measures[measure.id] = measure
    by_loinc = {
        m.coding[0]["code"]: m for m in measures.values() if m.coding and m.coding[0]["system"] == codes.LOINC
    }
    return Catalog(pathways=pathways, measures=measures, by_loinc=by_loinc)


def _fallback_measure(
    measure_id: str, loinc: str, display: str, category: str, unit: str | None
) -> MeasureInfo:
    return MeasureInfo(measure_id, (_coding(codes.LOINC, loinc, display),), category, display, unit)


# From domain.md §1: used when a protocol file is missing or unreadable, so that exports still say what
# each value is.
FALLBACK_MEASURES: dict[str, MeasureInfo] = {
    m.id: m
    for m in (
        _fallback_measure("weight", "29463-7", "Body weight", "vital-signs", "kg"),
        _fallback_measure("height", "8302-2", "Body height", "vital-signs", "cm"),
        _fallback_measure("bmi", "39156-5", "Body mass index (BMI) [Ratio]", "vital-signs", "kg/m2"),
        _fallback_measure(
            "waist", "8280-0", "Waist Circumference at umbilicus by Tape measure", "vital-signs", "cm"
        ),
        _fallback_measure("sbp", "8480-6", "Systolic blood pressure", "vital-signs", "mm[Hg]"),
        _fallback_measure("dbp", "8462-4", "Diastolic blood pressure", "vital-signs", "mm[Hg]"),
        _fallback_measure("heart-rate", "8867-4", "Heart rate", "vital-signs", "/min"),
        _fallback_measure("hba1c", "4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "laboratory", "%"),
        _fallback_measure(
            "fasting-glucose",
            "1558-6",
            "Fasting glucose [Mass/volume] in Serum or Plasma",
            "laboratory",
            "g/L",
        ),
        _fallback_measure(
            "ldl",
            "13457-7",
            "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation",
            "laboratory",
            "g/L",
        ),
        _fallback_measure(
            "egfr",
            "98979-8",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, "
            "Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
            "laboratory",
            "mL/min/{1.73_m2}",
        ),
        _fallback_measure("uacr", "32294-1", "Albumin/Creatinine [Ratio] in Urine", "laboratory", "mg/mmol"),
        _fallback_measure(
            "nt-probnp",
            "33762-6",
            "Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma",
            "laboratory",
            "pg/mL",
        ),
        _fallback_measure(
            "bnp", "30934-4", "Natriuretic peptide B [Mass/volume] in Serum or Plasma", "laboratory", "pg/mL"
        ),
        _fallback_measure(
            "spo2", "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "vital-signs", "%"
        ),
        _fallback_measure(
            "pain",
            "72514-3",
            "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
            "survey",
            "{score}",
        ),
        _fallback_measure("ecog", "89247-1", "ECOG Performance Status score", "survey", "{score}"),
        _fallback_measure("smoking", "72166-2", "Tobacco smoking status", "social-history", None),
        _fallback_measure(
            "activity",
            "68516-4",
            "On those days that you engage in moderate to strenuous exercise, how many "
            "minutes, on average, do you exercise",
            "activity",
            "min/d",
        ),
    )
}

FALLBACK_PATHWAYS: dict[str, PathwayInfo] = {
    p.id: p
    for p in (
        PathwayInfo("diabete-type-2", "", "Diabète de type 2", _condition_codings(["44054006"], ["E11"])),
        PathwayInfo("obesite", "", "Obésité", _condition_codings(["414916001"], ["E66"])),
        PathwayInfo(
            "insuffisance-cardiaque", "", "Insuffisance cardiaque", _condition_codings(["84114007"], ["I50"])
        ),
        PathwayInfo(
            "suivi-cancer",
            "",
            "Suivi de cancer",
            _condition_codings(["363346000", "266987004"], ["Z08", "Z85"]),
        ),
    )
}


def fallback() -> Catalog:
    return _index(dict(FALLBACK_PATHWAYS))


@lru_cache(maxsize=4)
def load_catalog(directory: Path) -> Catalog:
    """The catalogue of the protocol files in `directory`, cached per process (protocols change only with a
    deployment). Falls back to the built-in table, with a warning, when they cannot be loaded."""
    try:
        from asalee_track.protocols import load_protocols

        return from_protocols(load_protocols(directory).all())
    except Exception as error:  # noqa: BLE001 - any failure here must not stop an export
        log.warning("FHIR mapping without protocol details (%s): %s", directory, error)
        return fallback()
