"""FR Core profiles: each resource that meets one declares it in meta.profile, and meets it — local file
numbers typed PI with one system per practice, DR as a suffix, RPPS for nurses too, one RPPS per practice."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete

from asalee_track.care import accounts
from asalee_track.care.errors import Invalid
from asalee_track.fhir import bundles, mapping
from asalee_track.fhir.catalog import load_catalog
from asalee_track.store.db import transaction
from asalee_track.store.tables import Membership, User
from tests.conftest import PASSWORD
from tests.fhir.conftest import validate

FR = "https://hl7.fr/ig/fhir/core/StructureDefinition/"
CATALOG = load_catalog(None)  # type: ignore[arg-type]


@pytest.fixture
def new_users(engine: Engine, world):  # type: ignore[no-untyped-def]
    """Users a test creates are removed afterwards: the shared world keeps its own team only."""
    yield
    kept = [u.id for u in (world.nurse, world.gp, world.admin, world.other_nurse, world.both_practices_gp)]
    with engine.begin() as connection:
        connection.execute(delete(Membership).where(col(Membership.user_id).not_in(kept)))
        connection.execute(delete(User).where(col(User.id).not_in(kept)))


def record_of(engine: Engine, practice_id: int, patient_id: str) -> list[dict]:
    with Session(engine) as db:
        resources = bundles.patient_record(db.connection(), practice_id, patient_id, CATALOG)
    for resource in resources:
        validate(resource)
    return resources


def test_people_and_the_practice_declare_their_fr_core_profiles(engine, record, world) -> None:
    resources = record_of(engine, world.practice.id, record.patient.id)
    declared = {r["resourceType"]: r.get("meta", {}).get("profile") for r in resources}
    assert declared["Organization"] == [FR + "fr-core-organization"]
    assert declared["Practitioner"] == [FR + "fr-core-practitioner"]
    assert declared["PractitionerRole"] == [FR + "fr-core-practitioner-role"]
    assert declared["Patient"] == [FR + "fr-core-patient", FR + "fr-core-patient-ins"]


def test_vital_signs_declare_fr_core_profiles_and_blood_pressure_does_not(engine, record, world) -> None:
    observations = [
        r
        for r in record_of(engine, world.practice.id, record.patient.id)
        if r["resourceType"] == "Observation"
    ]
    by_code = {o["code"]["coding"][0]["code"]: o for o in observations}
    assert by_code["29463-7"]["meta"]["profile"] == [FR + "fr-core-observation-body-weight"]
    assert (
        "meta" not in by_code["8480-6"] or "profile" not in by_code["8480-6"]["meta"]
    )  # not the 85354-9 panel
    assert "profile" not in by_code["72166-2"].get("meta", {})  # smoking status is not a vital sign


def test_a_gp_title_is_the_fr_core_suffix_dr() -> None:
    name = mapping._human_name("Dr Paul Lefèvre")
    assert name == {
        "use": "usual",
        "text": "Dr Paul Lefèvre",
        "family": "Lefèvre",
        "given": ["Paul"],
        "suffix": ["DR"],
    }
    assert "suffix" not in mapping._human_name("Claire Martin")


def test_the_same_file_number_in_two_practices_names_two_patients(engine, world, make_patient) -> None:
    home = make_patient(local_id="DOS-1001")
    other = make_patient(world.actor(world.other_nurse, world.other_practice), local_id="DOS-1001")
    systems = set()
    for patient in (home, other):
        [resource] = [
            r for r in record_of(engine, patient.practice_id, patient.id) if r["resourceType"] == "Patient"
        ]
        [local] = resource["identifier"]
        assert local["type"]["coding"][0] == {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
            "code": "PI",
            "display": "Patient internal identifier",
        }
        assert local["use"] == "usual" and local["value"] == "DOS-1001"
        systems.add(local["system"])
    assert len(systems) == 2


def test_a_nurse_with_an_rpps_exports_it(engine, world, new_users) -> None:
    with transaction(engine) as db:
        nurse = accounts.create_user(
            db, "ide@lilas.test", "Inès Soin", "nurse", PASSWORD, [world.practice.id], rpps="10101010101"
        )
        resource = mapping.practitioner(nurse)
    validate(resource)
    assert [i["value"] for i in resource["identifier"]] == ["810101010101", "10101010101"]


def test_an_rpps_is_unique_within_a_practice(engine, world, new_users) -> None:
    with transaction(engine) as db:
        accounts.create_user(
            db, "a@lilas.test", "Dr A", "gp", PASSWORD, [world.practice.id], rpps="10000000001"
        )
    with transaction(engine) as db, pytest.raises(Invalid) as refused:
        accounts.create_user(
            db, "b@lilas.test", "Dr B", "gp", PASSWORD, [world.practice.id], rpps="10000000001"
        )
    assert "rpps" in refused.value.errors
    with transaction(engine) as db, pytest.raises(Invalid) as malformed:
        accounts.create_user(db, "c@lilas.test", "Dr C", "gp", PASSWORD, [world.practice.id], rpps="1234")
    assert malformed.value.errors["rpps"][0] == "An RPPS number has 11 digits."
    with transaction(engine) as db:  # another practice may know the same person
        accounts.create_user(
            db, "d@port.test", "Dr A", "gp", PASSWORD, [world.other_practice.id], rpps="10000000001"
        )
