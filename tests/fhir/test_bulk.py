"""Bulk Data export end to end: kick-off, polling, manifest, NDJSON downloads, _since, _type, refusals,
cancellation, and the job claim that keeps two workers off the same job."""

import threading
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from asalee_track.fhir import bulk
from asalee_track.store.db import transaction
from asalee_track.store.tables import AuditEvent, ExportJob, Patient
from tests.fhir.conftest import auth, new_token, validate
from tests.fhir.test_api import assert_outcome

ASYNC = {"Prefer": "respond-async"}


def kick_off(client, token: str, path: str = "/fhir/$export", **params: str):  # type: ignore[no-untyped-def]
    response = client.get(path, params=params, headers=auth(token, **ASYNC))
    assert response.status_code == 202, response.text
    location = response.headers["content-location"]
    assert location.startswith("http://testserver/fhir/bulk-status/")
    return location.removeprefix("http://testserver")


def finished_manifest(client, app, token: str, status_url: str) -> dict:  # type: ignore[no-untyped-def]
    pending = client.get(status_url, headers=auth(token))
    assert pending.status_code == 202
    assert pending.headers["x-progress"].startswith("0%")
    assert pending.headers["retry-after"] == "2"
    assert bulk.run_pending(app.state.engine, app.state.settings) >= 1
    done = client.get(status_url, headers=auth(token))
    assert done.status_code == 200, done.text
    assert done.headers["content-type"].startswith("application/json")
    return done.json()


def download(client, token: str, url: str) -> list[dict]:  # type: ignore[no-untyped-def]
    response = client.get(url.removeprefix("http://testserver"), headers=auth(token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+ndjson")
    return [orjson.loads(line) for line in response.content.splitlines()]


def test_system_export_end_to_end(client, app, record, token, engine: Engine, world) -> None:
    status_url = kick_off(client, token)
    manifest = finished_manifest(client, app, token, status_url)
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"].startswith("http://testserver/fhir/$export")
    assert datetime.fromisoformat(manifest["transactionTime"]).tzinfo is not None
    outputs = {o["type"]: o for o in manifest["output"]}
    assert len(outputs) == len(manifest["output"])  # one file per type
    for expected in (
        "Organization",
        "Practitioner",
        "PractitionerRole",
        "Patient",
        "Condition",
        "CarePlan",
        "Goal",
        "Consent",
        "Encounter",
        "Observation",
        "Procedure",
        "ServiceRequest",
        "Flag",
        "AuditEvent",
    ):
        assert expected in outputs, expected
    assert outputs["Observation"]["count"] == 12 and outputs["Encounter"]["count"] == 2
    total = 0
    for resource_type, output in outputs.items():
        lines = download(client, token, output["url"])
        assert len(lines) == output["count"]
        for resource in lines:
            assert resource["resourceType"] == resource_type
            validate(resource)
        total += len(lines)
    assert total == sum(o["count"] for o in outputs.values())
    with Session(engine) as db:
        exports = db.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert {e.object_type for e in exports} == {"ExportJob", "ExportFile"}


def test_group_export_of_the_practice_with_type_filter(client, app, record, token, world) -> None:
    status_url = kick_off(
        client,
        token,
        f"/fhir/Group/practice-{world.practice.id}/$export",
        _type="Patient,Observation",
        _outputFormat="application/ndjson",
    )
    manifest = finished_manifest(client, app, token, status_url)
    assert sorted(o["type"] for o in manifest["output"]) == ["Observation", "Patient"]
    patients = download(client, token, next(o["url"] for o in manifest["output"] if o["type"] == "Patient"))
    assert [p["id"] for p in patients] == [record.patient.id]


def test_patient_level_export_leaves_out_the_audit_trail(client, app, record, token) -> None:
    manifest = finished_manifest(client, app, token, kick_off(client, token, "/fhir/Patient/$export"))
    assert "AuditEvent" not in {o["type"] for o in manifest["output"]}
    assert "Observation" in {o["type"] for o in manifest["output"]}


def test_since_exports_only_what_changed(
    client, app, make_patient, make_record, token, engine: Engine
) -> None:
    old = make_record(make_patient(), start=datetime(2024, 1, 10, 9, tzinfo=UTC))
    recent = make_record(make_patient(given_names="Marie", ins=""), start=datetime(2025, 6, 1, 9, tzinfo=UTC))
    with transaction(engine) as db:  # the old patient was last edited long ago
        db.connection().execute(
            update(Patient)
            .where(Patient.id == old.patient.id)
            .values(updated_at=datetime(2024, 6, 1, tzinfo=UTC))
        )
    since = (datetime(2025, 1, 1, tzinfo=UTC)).isoformat().replace("+00:00", "Z")
    manifest = finished_manifest(
        client, app, token, kick_off(client, token, _type="Patient,Encounter,Observation", _since=since)
    )
    outputs = {o["type"]: o for o in manifest["output"]}
    encounters = download(client, token, outputs["Encounter"]["url"])
    assert {e["subject"]["reference"] for e in encounters} == {f"Patient/{recent.patient.id}"}
    assert outputs["Observation"]["count"] == 12
    assert [p["id"] for p in download(client, token, outputs["Patient"]["url"])] == [recent.patient.id]


def test_since_sees_a_session_marked_entered_in_error(
    client, app, make_patient, make_record, token, engine: Engine, world, protocols
) -> None:
    from asalee_track.care import sessions

    old = make_record(make_patient(), start=datetime(2024, 1, 10, 9, tzinfo=UTC))
    with transaction(engine) as db:  # today, the first session turns out to be the wrong patient's
        sessions.mark_entered_in_error(
            db, world.actor(world.nurse), protocols, old.sessions[0].id, "Mauvais patient"
        )
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    manifest = finished_manifest(client, app, token, kick_off(client, token, _type="Encounter", _since=since))
    encounters = download(client, token, manifest["output"][0]["url"])
    assert [(e["id"], e["status"]) for e in encounters] == [(old.sessions[0].id, "entered-in-error")]


def test_another_practices_token_cannot_see_a_job(client, app, record, token, engine: Engine, world) -> None:
    status_url = kick_off(client, token)
    other = new_token(engine, world, practice="other")
    assert_outcome(client.get(status_url, headers=auth(other)), 404)
    manifest = finished_manifest(client, app, token, status_url)
    file_url = manifest["output"][0]["url"].removeprefix("http://testserver")
    assert_outcome(client.get(file_url, headers=auth(other)), 404)
    assert_outcome(client.get(file_url), 401)
    assert_outcome(client.delete(status_url, headers=auth(other)), 404)
    # Another practice's group is not this token's to export.
    response = client.get(
        f"/fhir/Group/practice-{world.other_practice.id}/$export", headers=auth(token, **ASYNC)
    )
    assert_outcome(response, 404)


def test_cancelling_a_job(client, app, record, token, settings) -> None:  # type: ignore[no-untyped-def]
    status_url = kick_off(client, token)
    response = client.delete(status_url, headers=auth(token))
    assert response.status_code == 202
    assert_outcome(client.get(status_url, headers=auth(token)), 404)
    assert_outcome(client.delete(status_url, headers=auth(token)), 404)
    assert bulk.run_pending(app.state.engine, app.state.settings) == 0  # nothing left to run
    # A finished job's files are removed when it is cancelled.
    done_url = kick_off(client, token)
    manifest = finished_manifest(client, app, token, done_url)
    job_id = done_url.rsplit("/", 1)[1]
    assert (settings.export_dir / job_id).is_dir()
    assert client.delete(done_url, headers=auth(token)).status_code == 202
    assert not (settings.export_dir / job_id).exists()
    assert_outcome(
        client.get(manifest["output"][0]["url"].removeprefix("http://testserver"), headers=auth(token)), 404
    )


def test_a_running_job_stops_when_cancelled(app, record, token, client, engine: Engine) -> None:
    status_url = kick_off(client, token)
    job_id = status_url.rsplit("/", 1)[1]
    worker = "test-worker"
    assert bulk.claim_next(engine, worker) == job_id
    assert client.delete(status_url, headers=auth(token)).status_code == 202
    outcome = bulk.run_job(
        engine, app.state.settings, job_id, worker, bulk.load_catalog(app.state.settings.protocols_dir)
    )
    assert outcome == "cancelled"
    with Session(engine) as db:
        assert db.get(ExportJob, job_id).status == "cancelled"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("params", "headers", "fragment"),
    [
        ({"_outputFormat": "application/json"}, ASYNC, "_outputFormat"),
        ({"_outputFormat": "text/csv"}, ASYNC, "_outputFormat"),
        ({}, {}, "Prefer: respond-async"),
        ({"_type": "Medication"}, ASYNC, "Medication"),
        ({"_since": "last week"}, ASYNC, "date"),
        ({"_typeFilter": "Encounter?status=finished"}, ASYNC, "_typeFilter"),
        ({"_typeFilter": "Observation?value-quantity=gt5"}, ASYNC, "_typeFilter"),
        ({"_typeFilter": "Observation?date=last-week"}, ASYNC, "date"),
        ({"patient": "Patient/x"}, ASYNC, "patient"),
    ],
)
def test_bad_kick_offs_answer_400_outcomes(client, token, params, headers, fragment) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/fhir/$export", params=params, headers=auth(token, **headers))
    body = assert_outcome(response, 400)
    assert fragment in body["issue"][0]["diagnostics"]


def test_each_accepted_output_format(client, token) -> None:
    for output_format in ("application/fhir+ndjson", "application/ndjson", "ndjson"):
        response = client.get(
            "/fhir/$export", params={"_outputFormat": output_format}, headers=auth(token, **ASYNC)
        )
        assert response.status_code == 202


def test_jobs_survive_in_the_database_and_are_claimed_once(
    app, client, record, token, engine: Engine
) -> None:
    kick_off(client, token)
    kick_off(client, token)
    claimed: list[str | None] = []

    def claim() -> None:
        claimed.append(bulk.claim_next(engine, f"worker-{threading.get_ident()}"))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [job for job in claimed if job]
    assert len(taken) == 2 and len(set(taken)) == 2


def test_an_abandoned_job_is_claimed_again(app, client, record, token, engine: Engine) -> None:
    status_url = kick_off(client, token)
    job_id = status_url.rsplit("/", 1)[1]
    assert bulk.claim_next(engine, "dead-worker") == job_id
    assert bulk.claim_next(engine, "live-worker") is None  # still fresh: not taken over
    with transaction(engine) as db:
        db.connection().execute(
            update(ExportJob)
            .where(ExportJob.id == job_id)
            .values(updated_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert bulk.run_pending(app.state.engine, app.state.settings) == 1
    assert client.get(status_url, headers=auth(token)).status_code == 200


def test_the_worker_thread_runs_jobs(app, client, record, token) -> None:
    status_url = kick_off(client, token)
    worker = bulk.ExportWorker(app.state.engine, app.state.settings, interval=0.05)
    worker.start()
    try:
        for _ in range(200):
            if client.get(status_url, headers=auth(token)).status_code == 200:
                break
            threading.Event().wait(0.05)
    finally:
        worker.stop()
    assert client.get(status_url, headers=auth(token)).status_code == 200


def test_gp_may_export_through_the_session(as_gp, app, record) -> None:
    response = as_gp.get("/fhir/$export", headers=ASYNC)
    assert response.status_code == 202
    bulk.run_pending(app.state.engine, app.state.settings)
    status = as_gp.get(response.headers["content-location"].removeprefix("http://testserver"))
    assert status.status_code == 200 and status.json()["output"]


def test_the_app_lifespan_starts_the_worker(app, record, token) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as running:  # runs the lifespan
        status_url = kick_off(running, token)
        deadline = time.monotonic() + 60  # generous: a busy machine runs the worker late
        while (polled := running.get(status_url, headers=auth(token))).status_code != 200:
            assert polled.status_code in (202, 429) and time.monotonic() < deadline, polled.status_code
            threading.Event().wait(1.0)  # the pace Retry-After asks for (a faster poll gets 429)
        assert polled.json()["output"]
