"""FR Core identity: the INS-NIR leaves the practice only with a qualified identity; every Patient says
its identity status (fr-core-identity-reliability)."""

from sqlalchemy.engine import Engine
from sqlmodel import Session

from asalee_track.care import identity_status
from asalee_track.fhir import codes, sources
from asalee_track.store.db import transaction
from tests.fhir.conftest import auth, qualify, validate

FR = "https://hl7.fr/ig/fhir/core"


def exported(engine: Engine, practice_id: int, patient_id: str) -> dict:
    with Session(engine) as db:
        scope = sources.Scope(practice_id, patient_id=patient_id)
        [resource] = sources.patients(db.connection(), scope, None)  # type: ignore[arg-type]
    validate(resource)
    return resource


def reliability(resource: dict) -> dict[str, object]:
    [extension] = [
        e
        for e in resource["extension"]
        if e["url"] == f"{FR}/StructureDefinition/fr-core-identity-reliability"
    ]
    return {part["url"]: part for part in extension["extension"]}


def test_a_provisional_identity_exports_its_status_without_the_ins(engine, world, make_patient) -> None:
    patient = make_patient(local_id="DOS-1")
    resource = exported(engine, world.practice.id, patient.id)
    assert all(i["system"] != codes.INS_NIR_OID for i in resource["identifier"])
    assert "257077512345669" not in str(resource)
    assert resource["meta"]["profile"] == [f"{FR}/StructureDefinition/fr-core-patient"]
    status = reliability(resource)["identityStatus"]["valueCoding"]
    assert (status["system"], status["code"]) == (f"{FR}/CodeSystem/fr-core-cs-identity-status", "PROV")


def test_a_validated_identity_without_insi_keeps_its_ins_at_home(engine, world, make_patient) -> None:
    patient = make_patient()
    with transaction(engine) as db:
        identity_status.validate_on_document(
            db,
            world.actor(world.nurse),
            patient.id,
            {"document": "PA", "birth_place_insee": "86194", "confirm": "yes"},
        )
    resource = exported(engine, world.practice.id, patient.id)
    parts = reliability(resource)
    assert parts["identityStatus"]["valueCoding"]["code"] == "VALI"
    assert parts["validationMode"]["valueCoding"] == {
        "system": f"{FR}/CodeSystem/fr-core-cs-mode-validation-identity",
        "code": "PA",
    }
    assert "identifier" not in resource


def test_a_qualified_identity_exports_the_ins_nir_as_fr_core_patient_ins(engine, world, make_patient) -> None:
    patient = qualify(engine, world, make_patient(given_names="Hélène Marie"), birth_place="2A004")
    resource = exported(engine, world.practice.id, patient.id)
    assert resource["meta"]["profile"] == [
        f"{FR}/StructureDefinition/fr-core-patient",
        f"{FR}/StructureDefinition/fr-core-patient-ins",
    ]
    assert resource["identifier"][0] == {
        "use": "official",
        "type": {
            "coding": [
                {
                    "system": f"{FR}/CodeSystem/fr-core-cs-v2-0203",
                    "code": "INS-NIR",
                    "display": "NIR définitif",
                }
            ]
        },
        "system": "urn:oid:1.2.250.1.213.1.4.8",
        "value": "257077512345669",
    }
    parts = reliability(resource)
    assert parts["identityStatus"]["valueCoding"]["code"] == "QUAL"
    assert parts["validationMode"]["valueCoding"]["code"] == "CN"
    assert "valueDate" in parts["validationDate"]
    [birth_place] = [
        e
        for e in resource["extension"]
        if e["url"] == "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
    ]
    assert birth_place["valueAddress"]["extension"] == [
        {
            "url": f"{FR}/StructureDefinition/fr-core-address-insee-code",
            "valueCoding": {
                "system": "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM",
                "code": "2A004",
            },
        }
    ]
    [official] = resource["name"]
    assert official["given"] == ["Hélène"]  # FR Core INS: the first birth given name; the list apart
    assert official["extension"] == [
        {
            "url": f"{FR}/StructureDefinition/fr-core-patient-birth-list-given-name",
            "valueString": "Hélène Marie",
        }
    ]


def test_the_used_name_travels_apart_from_the_birth_name(engine, world, make_patient) -> None:
    patient = make_patient(used_name="Martin", used_given_name="Lena")
    names = exported(engine, world.practice.id, patient.id)["name"]
    assert [(n["use"], n["family"], n["given"]) for n in names] == [
        ("official", "Lefèvre", ["Hélène"]),
        ("usual", "Martin", ["Lena"]),
    ]


def test_the_api_read_follows_the_same_rule(client, token, make_patient) -> None:
    patient = make_patient()
    body = client.get(f"/fhir/Patient/{patient.id}", headers=auth(token)).json()
    assert "257077512345669" not in str(body)


def test_mapping_knows_only_the_four_statuses() -> None:
    assert set(codes.IDENTITY_STATUS_CODES) == set(identity_status.STATUSES)
    assert [code for code, _ in codes.IDENTITY_STATUS_CODES.values()] == ["PROV", "RECUP", "VALI", "QUAL"]
