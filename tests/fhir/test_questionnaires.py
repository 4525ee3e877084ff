"""Questionnaires in FHIR: the protocol's instrument as a Questionnaire (themes and points, no
copyrighted wording), each filled one as a QuestionnaireResponse, its total an Observation derived
from it; an incomplete one is in-progress and has no total."""

from datetime import UTC, datetime, timedelta

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy.engine import Engine
from sqlmodel import Session

from asalee_track import PROJECT_ROOT
from asalee_track.care import sessions
from asalee_track.fhir import bundles, catalog, sources
from asalee_track.i18n import TIMEZONE
from asalee_track.store.db import transaction
from tests.fhir.conftest import validate, validate_all

CATALOG = catalog.load_catalog(PROJECT_ROOT / "protocols")
BASE = "https://fhir.example.test/fhir"
ANSWERS = {
    "premiere-cigarette": "6-30-min",  # 2
    "lieux-interdits": "non",  # 0
    "cigarette-preferee": "premiere-du-matin",  # 1
    "cigarettes-par-jour": "11-20",  # 1
    "fume-plus-le-matin": "oui",  # 1
    "fume-malade": "non",  # 0
}


def save(engine: Engine, world, protocols, patient_id: str, answers: dict[str, str], hours: int) -> str:  # type: ignore[no-untyped-def]
    started = (datetime.now(UTC) - timedelta(hours=hours)).astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")
    raw = {"started_at": started, "duration_minutes": "30", "kind": "follow-up"}
    raw.update({f"q.bpco-tabac.fagerstrom.{item}": code for item, code in answers.items()})
    with transaction(engine) as db:
        return sessions.save(db, world.actor(world.nurse), protocols, patient_id, raw).session.id


def test_questionnaire_responses_and_their_score(
    engine: Engine, world, protocols, make_patient, enrol
) -> None:  # type: ignore[no-untyped-def]
    patient = enrol(make_patient(), "bpco-tabac")
    save(engine, world, protocols, patient.id, ANSWERS, hours=30)
    partial = {k: v for k, v in ANSWERS.items() if k != "fume-malade"}
    save(engine, world, protocols, patient.id, partial, hours=2)
    with Session(engine) as db:
        bundle = bundles.patient_collection(db.connection(), world.practice.id, patient.id, CATALOG, BASE)
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    complete, incomplete = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]
    assert complete["status"] == "completed" and incomplete["status"] == "in-progress"
    assert complete["questionnaire"] == "urn:asalee-track:questionnaire:bpco-tabac/fagerstrom"
    assert len(complete["item"]) == 6 and len(incomplete["item"]) == 5
    first = complete["item"][0]
    assert first["linkId"] == "premiere-cigarette"
    assert first["answer"][0]["valueCoding"]["code"] == "6-30-min"
    [score] = [r for r in resources if r["resourceType"] == "Observation"]  # the incomplete one has none
    assert score["valueQuantity"]["value"] == 5
    assert score["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{complete['id']}"}]
    assert score["category"][0]["coding"][0]["code"] == "survey"
    assert score["code"]["coding"][0]["system"] == "urn:asalee-track:measure"  # no verified LOINC code


def test_every_instrument_is_a_questionnaire_of_the_practice_export(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as db:
        conn = db.connection()
        scope = sources.Scope(world.practice.id)
        found = list(sources.stream(conn, "Questionnaire", scope, CATALOG))
        assert validate_all(found) == 4
        assert (
            list(sources.stream(conn, "Questionnaire", sources.Scope(world.practice.id, "x"), CATALOG)) == []
        )
    by_id = {q["id"]: q for q in found}
    phq9 = validate(by_id["troubles-cognitifs-phq9"])
    assert phq9.status == "active" and len(phq9.item) == 9
    option = by_id["bpco-tabac-fagerstrom"]["item"][0]["answerOption"][0]
    assert option["valueCoding"]["code"] == "5-min-ou-moins"
    assert option["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 3.0}
    ]
