"""The /fhir endpoints: metadata, read, $everything, search; authentication, scoping, audit, errors."""

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from asalee_track.fhir import bundles
from asalee_track.store.db import transaction
from asalee_track.store.tables import ApiToken, AuditEvent
from tests.fhir.conftest import auth, new_token, qualify, validate


def assert_outcome(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    OperationOutcome.model_validate(body)
    return body


def test_metadata_is_a_valid_capability_statement_without_auth(client) -> None:
    response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    resources = {r.type: r for r in statement.rest[0].resource}
    assert {p.name for p in resources["Patient"].searchParam} == {
        "_id",
        "name",
        "birthdate",
        "identifier",
        "_lastUpdated",
    }
    assert {p.name for p in resources["Observation"].searchParam} == {
        "patient",
        "subject",
        "code",
        "date",
        "_lastUpdated",
    }
    assert [o.name for o in statement.rest[0].operation] == ["export"]


def test_without_credentials_the_answer_is_a_401_outcome(client, record) -> None:
    response = client.get(f"/fhir/Patient/{record.patient.id}")
    assert_outcome(response, 401)
    assert "Bearer" in response.headers["www-authenticate"]


def test_read_a_patient_with_a_token_is_audited(client, record, token, engine: Engine) -> None:
    response = client.get(f"/fhir/Patient/{record.patient.id}", headers=auth(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    patient = validate(response.json())
    assert patient.identifier[0].system == "urn:oid:1.2.250.1.213.1.4.8"
    with Session(engine) as db:
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "read")).one()
        used = db.exec(select(ApiToken)).one()
    assert event.patient_id == record.patient.id and event.detail.startswith("api token")
    assert used.last_used_at is not None


def test_another_practices_patient_is_not_found(client, record, engine: Engine, world) -> None:
    other = new_token(engine, world, practice="other")
    assert_outcome(client.get(f"/fhir/Patient/{record.patient.id}", headers=auth(other)), 404)
    assert_outcome(client.get(f"/fhir/Patient/{record.patient.id}/$everything", headers=auth(other)), 404)
    with Session(engine) as db:
        denied = db.exec(select(AuditEvent).where(AuditEvent.action == "denied")).all()
    assert len(denied) == 2


def test_a_revoked_token_is_refused(client, record, token, engine: Engine, world) -> None:
    with transaction(engine) as db:
        from asalee_track.care import api_tokens

        row = db.exec(select(ApiToken)).one()
        api_tokens.revoke(db, world.actor(world.admin), row.id)
    assert_outcome(client.get(f"/fhir/Patient/{record.patient.id}", headers=auth(token)), 401)
    assert_outcome(client.get(f"/fhir/Patient/{record.patient.id}", headers=auth("asl_made-up")), 401)


def test_everything_returns_a_self_contained_searchset(client, record, token) -> None:
    response = client.get(f"/fhir/Patient/{record.patient.id}/$everything", headers=auth(token))
    assert response.status_code == 200
    body = response.json()
    Bundle.model_validate(body)
    assert body["type"] == "searchset" and body["total"] == len(body["entry"])
    assert body["entry"][0]["resource"]["resourceType"] == "Patient"
    assert body["entry"][0]["search"]["mode"] == "match"
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"]}
    assert {ref for e in body["entry"] for ref in bundles.references(e["resource"])} <= present
    assert all(e["fullUrl"].startswith("http://testserver/fhir/") for e in body["entry"])


def test_patient_search_by_name_birthdate_and_identifier(client, make_patient, token, world, engine) -> None:
    helene = qualify(engine, world, make_patient())
    make_patient(
        family_name="Moreau",
        given_names="Jérôme",
        birth_date="1960-03-02",
        sex="male",
        ins="",
        local_id="DOS-7",
    )
    make_patient(world.actor(world.other_nurse, world.other_practice))  # another practice's Hélène

    def ids(query: str) -> list[str]:
        response = client.get(f"/fhir/Patient?{query}", headers=auth(token))
        assert response.status_code == 200, response.text
        Bundle.model_validate(response.json())
        return [e["resource"]["id"] for e in response.json().get("entry", [])]

    assert ids("name=helene") == [helene.id]
    assert ids("name=LEFEVRE") == [helene.id]
    assert ids("birthdate=1957-07-01") == [helene.id]
    assert ids("birthdate=1957") == [helene.id]
    assert len(ids("birthdate=ge1950-01-01")) == 2
    assert ids("birthdate=gt1957-07-01&name=moreau") != [helene.id]
    assert ids("identifier=urn:oid:1.2.250.1.213.1.4.8|257077512345669") == [helene.id]
    local_system = f"urn:asalee-track:patient-local-id:practice-{world.practice.id}"
    assert ids(f"identifier={local_system}|DOS-7") != [helene.id]
    assert len(ids(f"identifier={local_system}|DOS-7")) == 1
    assert ids("identifier=http://other.system|257077512345669") == []


def test_an_ins_finds_a_qualified_identity_only(client, make_patient, token) -> None:
    """A match would tell the caller whose INS it is: a provisional identity keeps its INS in the practice."""
    make_patient()
    assert client.get("/fhir/Patient?identifier=257077512345669", headers=auth(token)).json()["total"] == 0


def test_search_pages_with_total_and_next(client, make_patient, token) -> None:
    for index in range(5):
        make_patient(given_names=f"Marie{'abcde'[index]}", ins="")
    first = client.get("/fhir/Patient?name=lefevre&_count=2", headers=auth(token)).json()
    assert first["total"] == 5 and len(first["entry"]) == 2
    links = {link["relation"]: link["url"] for link in first["link"]}
    seen = [e["resource"]["id"] for e in first["entry"]]
    url = links["next"]
    while url:
        page = client.get(url.removeprefix("http://testserver"), headers=auth(token)).json()
        seen += [e["resource"]["id"] for e in page["entry"]]
        url = {link["relation"]: link["url"] for link in page["link"]}.get("next")
    assert len(seen) == len(set(seen)) == 5


def test_observation_search_by_patient_code_and_date(client, record, token, engine: Engine) -> None:
    base = f"/fhir/Observation?patient=Patient/{record.patient.id}"

    def get(query: str) -> dict:
        response = client.get(base + query, headers=auth(token))
        assert response.status_code == 200, response.text
        Bundle.model_validate(response.json())
        return response.json()

    assert get("")["total"] == 12
    weights = get("&code=http://loinc.org|29463-7")
    assert weights["total"] == 2
    assert [e["resource"]["valueQuantity"]["value"] for e in weights["entry"]] == [83.5, 82.5]  # newest first
    assert get("&code=29463-7,4548-4")["total"] == 4
    assert get("&code=http://snomed.info/sct|134388005")["total"] == 2  # the foot exam has no LOINC code
    assert get("&code=29463-7&date=ge2025-02-01")["total"] == 1
    assert get("&code=29463-7&date=lt2025-01-15")["total"] == 0
    assert get("&code=29463-7&date=2025-01-15")["total"] == 1
    assert get("&code=29463-7&date=ge2025-01&date=le2025-04-16")["total"] == 2
    assert get("&date=gt2025-04-16")["total"] == 0
    with Session(engine) as db:
        reads = db.exec(
            select(AuditEvent).where(AuditEvent.action == "read", AuditEvent.object_type == "Observation")
        ).all()
    assert reads and all(e.patient_id == record.patient.id for e in reads)


def test_malformed_searches_answer_400_outcomes(client, token) -> None:
    assert_outcome(client.get("/fhir/Observation?date=ge2025-13-45", headers=auth(token)), 400)
    assert_outcome(client.get("/fhir/Observation?date=yesterday", headers=auth(token)), 400)
    assert_outcome(client.get("/fhir/Patient?_count=many", headers=auth(token)), 400)
    assert_outcome(client.get("/fhir/Patient?gender=female", headers=auth(token)), 400)


def test_unknown_paths_and_methods_answer_outcomes_not_html(client, token) -> None:
    assert_outcome(client.get("/fhir/Medication/1", headers=auth(token)), 404)
    assert_outcome(client.post("/fhir/metadata", headers=auth(token)), 405)
    assert_outcome(client.get("/fhir/Patient/does-not-exist", headers=auth(token)), 404)


def test_logged_in_users_read_by_role(browser, record, world) -> None:
    assert browser.login(world.nurse.email).status_code == 200
    response = browser.get(f"/fhir/Patient/{record.patient.id}")
    assert response.status_code == 200 and response.json()["id"] == record.patient.id
    # Exports are for GPs and administrators, not nurses.
    kick = browser.get("/fhir/$export", headers={"Prefer": "respond-async"})
    assert_outcome(kick, 403)


def test_admins_do_not_read_patient_records(as_admin, record) -> None:
    assert_outcome(as_admin.get(f"/fhir/Patient/{record.patient.id}"), 403)
