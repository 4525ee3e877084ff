"""The export's fast streams (Observation, Encounter, AuditEvent built from the driver's rows) write
exactly what the general mapping writes, byte for byte; and the export worker, idle, starts on a job
as soon as its kick-off commits instead of polling."""

import threading
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import text, update
from sqlalchemy.engine import Engine

from asalee_track.care import sessions
from asalee_track.fhir import bulk, sources
from asalee_track.fhir.bulk import rows
from asalee_track.fhir.catalog import load_catalog
from asalee_track.i18n import TIMEZONE
from asalee_track.store.db import transaction
from asalee_track.store.tables import CareSession, Observation
from tests.fhir.conftest import auth, new_token
from tests.fhir.test_bulk import kick_off
from tests.fhir.test_labs import _import
from tests.fhir.test_questionnaires import ANSWERS
from tests.fhir.test_questionnaires import save as save_questionnaire


def _general(engine: Engine, resource_type: str, scope: sources.Scope, catalog) -> list[bytes]:  # type: ignore[no-untyped-def]
    with bulk.export_connection(engine) as conn:
        stream = sources.stream(conn, resource_type, scope, catalog)
        return [orjson.dumps(resource, option=orjson.OPT_APPEND_NEWLINE) for resource in stream]


def _fast(engine: Engine, resource_type: str, scope: sources.Scope, catalog) -> list[bytes]:  # type: ignore[no-untyped-def]
    with bulk.export_connection(engine) as conn:
        return list(rows.lines(conn, resource_type, scope, catalog))


FAST_TYPES = (*rows.FAST, *rows.LINES)


def _varied_practice(engine: Engine, world, protocols, make_patient, enrol, make_record, client) -> None:  # type: ignore[no-untyped-def]
    """Values of every shape: quantities (some converted, some computed), codes, a phone session, an
    erroneous session, lab values (one corrected), a questionnaire's total, audited reads and refusals."""
    record = make_record(make_patient(family_name="Durand"), sessions=3)
    with transaction(engine) as db:
        db.connection().execute(
            update(CareSession)
            .where(CareSession.id == record.sessions[0].id)
            .values(status="entered-in-error", kind="phone")
        )
        db.add(
            Observation(
                session_id=record.sessions[1].id,
                patient_id=record.patient.id,
                measure_id="hba1c",
                loinc="4548-4",
                value_num=9.012475981334065,
                unit="%",
                original_value="75",
                original_unit="mmol/mol",
                effective_at=record.sessions[1].started_at,
            )
        )
        db.add(
            Observation(
                session_id=record.sessions[1].id,
                patient_id=record.patient.id,
                measure_id="unknown-measure",
                effective_at=record.sessions[1].started_at + timedelta(microseconds=1),
                computed=True,
            )
        )
    heart = enrol(make_patient(family_name="Martin"), "insuffisance-cardiaque", "diabete-type-2")
    started = (datetime.now(UTC) - timedelta(hours=5)).astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")
    form = {"started_at": started, "duration_minutes": "30", "kind": "follow-up"}
    form.update({"m.weight": "81,4", "m.height": "172", "m.hba1c": "7,6", "m.sbp": "128"})
    with transaction(engine) as db:
        sessions.save(db, world.actor(world.nurse), protocols, heart.id, form)
    smoker = enrol(make_patient(family_name="Petit"), "bpco-tabac")
    save_questionnaire(engine, world, protocols, smoker.id, ANSWERS, hours=30)
    _import(engine, world, protocols, "hl7-oru-utf8-bom-cr.hl7", "hl7-oru-correction.hl7")
    token = new_token(engine, world)
    client.get(f"/fhir/Patient/{heart.id}", headers=auth(token))
    client.get("/fhir/Patient/not-a-patient", headers=auth(token))
    client.get("/fhir/Observation?patient=Patient/" + record.patient.id, headers=auth(token))
    client.get("/fhir/Patient", headers=auth("wrong-token"))


def test_fast_streams_write_what_the_mapping_writes(
    engine: Engine, world, protocols, make_patient, enrol, make_record, client
) -> None:  # type: ignore[no-untyped-def]
    _varied_practice(engine, world, protocols, make_patient, enrol, make_record, client)
    catalog = load_catalog(world_protocols_dir(client))
    scope = sources.Scope(world.practice.id)
    for resource_type in FAST_TYPES:
        general = _general(engine, resource_type, scope, catalog)
        fast = _fast(engine, resource_type, scope, catalog)
        assert len(general) > 3, resource_type
        assert fast == general, resource_type
    observations = _fast(engine, "Observation", scope, catalog)
    lab = [line for line in observations if b"laboratory" in line]
    derived = [line for line in observations if b"derivedFrom" in line]
    assert lab and derived  # the rare shapes were in the comparison


def test_fast_streams_follow_the_scope(
    engine: Engine, world, protocols, make_patient, enrol, make_record, client
) -> None:  # type: ignore[no-untyped-def]
    _varied_practice(engine, world, protocols, make_patient, enrol, make_record, client)
    catalog = load_catalog(world_protocols_dir(client))
    some = make_record(make_patient(family_name="Roux"), sessions=2)
    scopes = [
        sources.Scope(world.practice.id, patient_id=some.patient.id),
        sources.Scope(world.practice.id, patient_level=True),
        sources.Scope(world.practice.id, since=some.sessions[1].updated_at),
    ]
    for scope in scopes:
        for resource_type in FAST_TYPES:
            fast = _fast(engine, resource_type, scope, catalog)
            general = _general(engine, resource_type, scope, catalog)
            if resource_type == "Observation" and engine.dialect.name != "sqlite":
                # The query has no ORDER BY: PostgreSQL may plan two runs of it differently (two runs
                # of the general path alone were seen to differ in order), so only the lines compare.
                fast, general = sorted(fast), sorted(general)
            assert fast == general, (scope, resource_type)


def test_audit_instants_of_another_stored_shape_are_written_as_the_mapping_writes(
    engine: Engine, world, protocols, make_patient, enrol, make_record, client
) -> None:  # type: ignore[no-untyped-def]
    # The fast path rewrites SQLite's `YYYY-MM-DD HH:MM:SS.ffffff` text; any other text goes through
    # the column type, as the general path reads it. PostgreSQL stores instants: the same three moments
    # must come out the same way there too.
    _varied_practice(engine, world, protocols, make_patient, enrol, make_record, client)
    shapes = ["2016-01-01 08:00:00", "2016-01-01T08:00:00.250000", "2016-01-01 08:00:00.000000"]
    at = ":at" if engine.dialect.name == "sqlite" else "CAST(:at AS TIMESTAMP) AT TIME ZONE 'UTC'"
    with engine.begin() as conn:  # events are append-only: these are added on a chain of their own
        for seq, shape in enumerate(shapes, 1):
            conn.execute(
                text(
                    "INSERT INTO audit_event (chain, seq, at, user_id, practice_id, action, object_type, "
                    f"outcome, prev_hash, hash) VALUES (999, :seq, {at}, :user, :practice, 'read', "
                    "'Worklist', 'success', '', '')"
                ),
                {"seq": seq, "at": shape, "user": world.nurse.id, "practice": world.practice.id},
            )
    catalog = load_catalog(world_protocols_dir(client))
    scope = sources.Scope(world.practice.id)
    fast = _fast(engine, "AuditEvent", scope, catalog)
    assert fast == _general(engine, "AuditEvent", scope, catalog)
    assert b'"recorded":"2016-01-01T08:00:00+00:00"' in fast[-3]
    assert b'"recorded":"2016-01-01T08:00:00.250000+00:00"' in fast[-2]
    assert b'"recorded":"2016-01-01T08:00:00+00:00"' in fast[-1]


def world_protocols_dir(client):  # type: ignore[no-untyped-def]
    return client.app.state.settings.protocols_dir


def test_an_idle_worker_starts_on_a_kick_off_at_once(app, client, record, token) -> None:  # type: ignore[no-untyped-def]
    # Without a kick-off the worker would next look in an hour: only the kick-off can wake it.
    worker = bulk.ExportWorker(app.state.engine, app.state.settings, interval=3600)
    worker.start()
    try:
        threading.Event().wait(0.2)  # its first pass is over: it now sleeps
        status_url = kick_off(client, token)
        done = False
        for _ in range(200):
            threading.Event().wait(0.05)
            if client.get(status_url, headers=auth(token)).status_code == 200:
                done = True
                break
    finally:
        worker.stop()
    assert done
