"""Bulk Data v2: POST kick-off with Parameters (and `patient`), _typeFilter on Observation, Expires and
the removal of expired exports, 429 for polling faster than asked, transactionTime = the snapshot."""

from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from asalee_track.fhir import bulk
from asalee_track.store.db import transaction
from asalee_track.store.tables import ExportJob
from tests.fhir.conftest import auth
from tests.fhir.test_api import assert_outcome
from tests.fhir.test_bulk import ASYNC, download, finished_manifest, kick_off


def post_kick_off(client, token: str, path: str, *parameters: dict) -> str:  # type: ignore[no-untyped-def]
    body = {"resourceType": "Parameters", "parameter": list(parameters)}
    response = client.post(
        path,
        content=orjson.dumps(body),
        headers=auth(token, **ASYNC, **{"Content-Type": "application/fhir+json"}),
    )
    assert response.status_code == 202, response.text
    return response.headers["content-location"].removeprefix("http://testserver")


def outputs(client, token, manifest: dict) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    return {o["type"]: download(client, token, o["url"]) for o in manifest["output"]}


def test_post_kick_off_with_parameters_and_patient(client, app, token, make_patient, make_record) -> None:
    first = make_record(make_patient())
    make_record(make_patient(given_names="Marie", ins=""))
    status = post_kick_off(
        client,
        token,
        "/fhir/Patient/$export",
        {"name": "_type", "valueString": "Patient,Encounter,Practitioner"},
        {"name": "patient", "valueReference": {"reference": f"Patient/{first.patient.id}"}},
    )
    files = outputs(client, token, finished_manifest(client, app, token, status))
    assert [p["id"] for p in files["Patient"]] == [first.patient.id]
    assert {e["subject"]["reference"] for e in files["Encounter"]} == {f"Patient/{first.patient.id}"}
    assert len(files["Practitioner"]) >= 1  # the people come whole: they are not anyone's compartment


def test_a_patient_of_another_practice_is_refused_at_kick_off(client, token, make_patient, world) -> None:
    stranger = make_patient(world.actor(world.other_nurse, world.other_practice))
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "patient", "valueReference": {"reference": f"Patient/{stranger.id}"}}],
    }
    response = client.post(
        f"/fhir/Group/practice-{world.practice.id}/$export",
        content=orjson.dumps(body),
        headers=auth(token, **ASYNC, **{"Content-Type": "application/fhir+json"}),
    )
    assert_outcome(response, 400)


def test_a_malformed_parameters_body_is_a_400(client, token) -> None:
    for content in (
        b"not json",
        b'{"resourceType": "Patient"}',
        b'{"resourceType": "Parameters", "parameter": [{"name": "_type"}]}',
    ):
        response = client.post("/fhir/$export", content=content, headers=auth(token, **ASYNC))
        assert_outcome(response, 400)


def test_type_filter_on_observation_code_and_date(client, app, record, token) -> None:
    status = kick_off(
        client,
        token,
        _type="Observation",
        _typeFilter="Observation?code=http://loinc.org|4548-4&date=lt2025-03-01",
    )
    files = outputs(client, token, finished_manifest(client, app, token, status))
    [hba1c] = files["Observation"]  # of two sessions (January and April 2025), the January HbA1c only
    assert hba1c["code"]["coding"][0]["code"] == "4548-4"
    assert hba1c["effectiveDateTime"].startswith("2025-01-15")


def test_several_type_filters_are_or(client, app, record, token) -> None:
    response = client.get(
        "/fhir/$export?_type=Observation&_typeFilter=Observation%3Fcode%3D4548-4&_typeFilter=Observation%3Fcode%3D29463-7",
        headers=auth(token, **ASYNC),
    )
    status = response.headers["content-location"].removeprefix("http://testserver")
    files = outputs(client, token, finished_manifest(client, app, token, status))
    assert sorted(o["code"]["coding"][0]["code"] for o in files["Observation"]) == [
        "29463-7",
        "29463-7",
        "4548-4",
        "4548-4",
    ]


def test_polling_faster_than_asked_gets_429_with_retry_after(client, token) -> None:
    status = kick_off(client, token)
    assert client.get(status, headers=auth(token)).status_code == 202
    again = client.get(status, headers=auth(token))
    assert_outcome(again, 429)
    assert again.headers["retry-after"] == "2"


def test_files_expire_and_expired_exports_are_removed(client, app, record, token, engine: Engine) -> None:
    status = kick_off(client, token, _type="Patient")
    manifest = finished_manifest(client, app, token, status)
    done = client.get(status, headers=auth(token))
    assert datetime.strptime(done.headers["expires"], "%a, %d %b %Y %H:%M:%S GMT").replace(
        tzinfo=UTC
    ) > datetime.now(UTC)
    url = manifest["output"][0]["url"].removeprefix("http://testserver")
    assert "expires" in client.get(url, headers=auth(token)).headers
    job_id = status.rsplit("/", 1)[-1]
    with transaction(engine) as db:
        db.connection().execute(
            update(ExportJob)
            .where(ExportJob.id == job_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    assert bulk.cleanup_expired(engine, app.state.settings) == 1
    assert not bulk.job_dir(app.state.settings, job_id).exists()
    assert_outcome(client.get(status, headers=auth(token)), 404)
    assert_outcome(client.get(url, headers=auth(token)), 404)
    with Session(engine) as db:
        assert db.get(ExportJob, job_id).status == "expired"  # the job row stays for the record


def test_transaction_time_is_the_snapshot_the_files_reflect(
    client, app, token, make_patient, engine: Engine
) -> None:
    status = kick_off(client, token, _type="Patient")
    late = make_patient(given_names="Tardive", ins="")  # written after the kick-off, before the worker runs
    manifest = finished_manifest(client, app, token, status)
    when = datetime.fromisoformat(manifest["transactionTime"])
    patients = outputs(client, token, manifest)["Patient"]
    assert late.id in [p["id"] for p in patients]
    assert all(datetime.fromisoformat(p["meta"]["lastUpdated"]) <= when for p in patients)
    with Session(engine) as db:
        job = db.get(ExportJob, status.rsplit("/", 1)[-1])
    assert when > job.created_at
