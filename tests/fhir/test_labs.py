"""Lab values leave as FHIR Observations of category laboratory, the lab as performer, no encounter;
a corrected value leaves once, as amended; $everything, search and Bulk export carry them."""

from pathlib import Path

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy.engine import Engine

from asalee_track.care import labs
from asalee_track.fhir import bundles
from asalee_track.store.db import transaction
from tests.fhir.conftest import auth, validate

SAMPLES = Path(__file__).parent.parent / "labs" / "samples"


def _import(engine: Engine, world, protocols, *names: str) -> None:  # type: ignore[no-untyped-def]
    for name in names:
        with transaction(engine) as db:
            labs.import_file(
                db,
                protocols,
                world.practice.id,
                name,
                (SAMPLES / name).read_bytes(),
                world.actor(world.nurse),
            )


def test_lab_observations_in_everything_and_search(
    client, token, engine, world, protocols, make_patient, enrol
) -> None:  # type: ignore[no-untyped-def]
    patient = enrol(make_patient(family_name="Lefèvre", given_names="Hélène"), "diabete-type-2")
    _import(engine, world, protocols, "hl7-oru-utf8-bom-cr.hl7", "hl7-oru-correction.hl7")
    body = client.get(f"/fhir/Patient/{patient.id}/$everything", headers=auth(token)).json()
    Bundle.model_validate(body)
    observations = [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == "Observation"]
    hba1c = [o for o in observations if o["code"]["coding"][0]["code"] == "4548-4"]
    assert len(hba1c) == 1  # the corrected value only
    (value,) = hba1c
    validate(value)
    assert value["category"][0]["coding"][0]["code"] == "laboratory"
    assert value["performer"] == [{"type": "Organization", "display": "LABO01"}]
    assert value["status"] == "amended" and value["valueQuantity"]["value"] == 6.8
    assert "encounter" not in value
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"]}
    assert {ref for e in body["entry"] for ref in bundles.references(e["resource"])} <= present
    found = client.get(
        f"/fhir/Observation?patient=Patient/{patient.id}&code=4548-4", headers=auth(token)
    ).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [value["id"]]


def test_another_practice_does_not_see_lab_values(
    client, engine, world, protocols, make_patient, enrol
) -> None:  # type: ignore[no-untyped-def]
    from tests.fhir.conftest import new_token

    enrol(make_patient(family_name="Lefèvre", given_names="Hélène"), "diabete-type-2")
    _import(engine, world, protocols, "hl7-oru-utf8-bom-cr.hl7")
    other = new_token(engine, world, practice="other")
    found = client.get("/fhir/Observation?code=4548-4", headers=auth(other)).json()
    assert found["total"] == 0
