"""Every type an export emits can be read by id and searched by patient, within the caller's practice."""

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from asalee_track.fhir import reads
from asalee_track.store.tables import AuditEvent
from tests.fhir.conftest import auth, new_token, validate
from tests.fhir.test_api import assert_outcome


def everything(client, record, token) -> list[dict]:  # type: ignore[no-untyped-def]
    body = client.get(f"/fhir/Patient/{record.patient.id}/$everything", headers=auth(token)).json()
    return [e["resource"] for e in body["entry"]]


def test_every_resource_of_a_record_reads_back_as_exported(client, record, token, engine: Engine) -> None:
    resources = everything(client, record, token)
    assert {r["resourceType"] for r in resources} >= set(reads.COMPARTMENT) | set(reads.PRACTICE_LEVEL)
    for resource in resources:
        response = client.get(f"/fhir/{resource['resourceType']}/{resource['id']}", headers=auth(token))
        assert response.status_code == 200, (resource["resourceType"], response.text)
        assert response.json() == resource
        validate(response.json())
    with Session(engine) as db:
        reads_audited = db.exec(select(AuditEvent).where(AuditEvent.detail.like("%FHIR read"))).all()
    assert len(reads_audited) == len(resources)
    assert {e.patient_id for e in reads_audited if e.object_type == "Observation"} == {record.patient.id}


def test_another_practice_reads_none_of_them(client, record, token, engine: Engine, world) -> None:
    other = new_token(engine, world, practice="other")
    for resource in everything(client, record, token):
        response = client.get(f"/fhir/{resource['resourceType']}/{resource['id']}", headers=auth(other))
        assert_outcome(response, 404)
    with Session(engine) as db:
        denied = db.exec(select(AuditEvent).where(AuditEvent.action == "denied")).all()
    assert len(denied) >= len(reads.COMPARTMENT)


@pytest.mark.parametrize("resource_type", reads.COMPARTMENT)
def test_search_by_patient_finds_the_patients_resources(
    client, record, token, resource_type, make_patient
) -> None:
    expected = sorted(
        r["id"] for r in everything(client, record, token) if r["resourceType"] == resource_type
    )
    make_patient(family_name="Autre", ins="")  # another patient of the same practice has nothing to add
    response = client.get(
        f"/fhir/{resource_type}?patient=Patient/{record.patient.id}&_count=100", headers=auth(token)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    Bundle.model_validate(body)
    assert body["total"] == len(expected)
    assert sorted(e["resource"]["id"] for e in body.get("entry", [])) == expected


def test_practice_level_types_search_by_id(client, record, token, world) -> None:
    body = client.get(f"/fhir/Organization?_id=org-{world.practice.id}", headers=auth(token)).json()
    assert body["total"] == 1
    assert (
        client.get(f"/fhir/Organization?_id=org-{world.other_practice.id}", headers=auth(token)).json()[
            "total"
        ]
        == 0
    )
    assert client.get("/fhir/Practitioner", headers=auth(token)).json()["total"] >= 2


def test_the_audit_trail_is_for_admins_and_clients(client, record, token, as_nurse, world, engine) -> None:
    with Session(engine) as db:
        event = db.exec(select(AuditEvent).where(AuditEvent.practice_id == world.practice.id)).first()
    assert_outcome(as_nurse.get(f"/fhir/AuditEvent/audit-{event.id}"), 403)
    assert client.get(f"/fhir/AuditEvent/audit-{event.id}", headers=auth(token)).status_code == 200
    found = client.get(f"/fhir/AuditEvent?patient={record.patient.id}", headers=auth(token)).json()
    assert found["total"] >= 1


def test_an_admin_reads_the_audit_trail(as_admin, engine, world, make_patient) -> None:
    make_patient()
    with Session(engine) as db:
        event = db.exec(select(AuditEvent).where(AuditEvent.practice_id == world.practice.id)).first()
    response = as_admin.get(f"/fhir/AuditEvent/audit-{event.id}")
    assert response.status_code == 200
    assert validate(response.json()).id == f"audit-{event.id}"


@pytest.mark.parametrize(
    "path",
    [
        "Goal/not-a-uuid",
        "Condition/cond-x",
        "Consent/abc",
        "Practitioner/prac-99999999999999",
        "PractitionerRole/role-1-999",
        "Organization/org-0",
        "AuditEvent/audit-x",
        "Observation/00000000-0000-0000-0000-000000000000",
    ],
)
def test_made_up_ids_are_404_outcomes(client, token, path) -> None:
    assert_outcome(client.get(f"/fhir/{path}", headers=auth(token)), 404)


def test_a_type_not_served_is_404_not_supported(client, token) -> None:
    body = assert_outcome(client.get("/fhir/Medication/x", headers=auth(token)), 404)
    assert body["issue"][0]["code"] == "not-supported"


def test_a_lab_value_reads_by_id_with_its_version(
    client, token, engine, world, protocols, make_patient, enrol
) -> None:
    from tests.fhir.test_labs import _import

    patient = enrol(make_patient(family_name="Lefèvre", given_names="Hélène"), "diabete-type-2")
    _import(engine, world, protocols, "hl7-oru-utf8-bom-cr.hl7")
    found = client.get(f"/fhir/Observation?patient={patient.id}&code=4548-4", headers=auth(token)).json()
    [entry] = found["entry"]
    value = entry["resource"]
    assert value["meta"]["versionId"] and value["meta"]["lastUpdated"]
    read = client.get(f"/fhir/Observation/{value['id']}", headers=auth(token))
    assert read.status_code == 200 and read.json() == value
    recent = client.get(
        f"/fhir/Observation?patient={patient.id}&_lastUpdated=ge2020-01-01", headers=auth(token)
    )
    assert value["id"] in [e["resource"]["id"] for e in recent.json()["entry"]]
