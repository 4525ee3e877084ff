"""FHIR fixtures: clinical rows (enrolments, sessions, observations, acts, alerts) written directly, API
tokens, a FHIR client, and the validator that parses every emitted resource back with fhir.resources."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy.engine import Engine

from asalee_track.care import api_tokens, identity_status
from asalee_track.store.db import transaction
from asalee_track.store.tables import (
    Alert,
    CareSession,
    Enrolment,
    EnrolmentStatusChange,
    Observation,
    Patient,
    SessionItem,
)
from tests.conftest import World

T0 = datetime(2025, 1, 15, 9, 30, tzinfo=UTC)

# (measure id, LOINC, value, UCUM unit) as the nurse workflow stores them, in canonical units.
QUANTITIES = (
    ("weight", "29463-7", 82.5, "kg"),
    ("sbp", "8480-6", 142.0, "mm[Hg]"),
    ("dbp", "8462-4", 88.0, "mm[Hg]"),
    ("hba1c", "4548-4", 7.4, "%"),
)


def validate(resource: dict[str, Any]) -> Any:
    """Parse a resource back with the R4B model of its type: unknown fields, bad types or ids raise."""
    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def validate_all(resources: Iterable[dict[str, Any]]) -> int:
    count = 0
    for resource in resources:
        validate(resource)
        count += 1
    return count


@dataclass
class Record:
    patient: Patient
    enrolment: Enrolment
    sessions: list[CareSession]
    observations: list[Observation]


def add_record(
    engine: Engine,
    world: World,
    patient: Patient,
    *,
    protocol_id: str = "diabete-type-2",
    sessions: int = 2,
    start: datetime = T0,
    enrolment_status: str = "active",
) -> Record:
    """One enrolment and `sessions` quarterly sessions with quantities, a coded smoking status, the
    foot exam (SNOMED-coded measure), an ECG (procedure), an HbA1c prescription and an open alert."""
    with transaction(engine) as db:
        enrolment = Enrolment(
            patient_id=patient.id,
            practice_id=patient.practice_id,
            protocol_id=protocol_id,
            protocol_version="2026.1",
            referring_gp_id=world.gp.id,
            start_date=start.date(),
            consent_date=start.date(),
            consent_method="oral",
            consent_recorded_by=world.nurse.id,
            status=enrolment_status,
        )
        db.add(enrolment)
        db.flush()
        if enrolment_status != "active":
            db.add(
                EnrolmentStatusChange(
                    enrolment_id=enrolment.id, status=enrolment_status, changed_by=world.gp.id
                )
            )
        made: list[CareSession] = []
        observations: list[Observation] = []
        for index in range(sessions):
            when = start + timedelta(days=91 * index)
            session = CareSession(
                patient_id=patient.id,
                practice_id=patient.practice_id,
                nurse_id=world.nurse.id,
                started_at=when,
                duration_minutes=45,
                kind="first" if index == 0 else "follow-up",
                pathways=[protocol_id],
                created_by=world.nurse.id,
                created_at=when,
                updated_at=when,
            )
            db.add(session)
            db.flush()
            made.append(session)
            for measure_id, loinc, value, unit in QUANTITIES:
                observations.append(
                    Observation(
                        session_id=session.id,
                        patient_id=patient.id,
                        measure_id=measure_id,
                        loinc=loinc,
                        value_num=value + index,
                        unit=unit,
                        effective_at=when,
                    )
                )
            observations.append(
                Observation(
                    session_id=session.id,
                    patient_id=patient.id,
                    measure_id="smoking",
                    loinc="72166-2",
                    value_code="8517006",
                    value_system="snomed",
                    effective_at=when,
                )
            )
            observations.append(
                Observation(
                    session_id=session.id,
                    patient_id=patient.id,
                    measure_id="foot-exam",
                    value_code="normal",
                    value_system="local",
                    effective_at=when,
                )
            )
            db.add(
                SessionItem(
                    session_id=session.id,
                    kind="act",
                    protocol_id=protocol_id,
                    item_id="ecg",
                    outcome="normal",
                )
            )
            db.add(
                SessionItem(
                    session_id=session.id, kind="act", protocol_id=protocol_id, item_id="prescrire-hba1c"
                )
            )
            db.add(
                SessionItem(
                    session_id=session.id, kind="education", protocol_id=protocol_id, item_id="alimentation"
                )
            )
        for row in observations:
            db.add(row)
        db.add(
            Alert(
                patient_id=patient.id,
                practice_id=patient.practice_id,
                session_id=made[-1].id if made else None,
                protocol_id=protocol_id,
                rule_id="hba1c-elevee",
                severity="moderate",
                message={"fr": "HbA1c > 7 %", "en": "HbA1c > 7%"},
                explanation={},
                evidence=[observations[3].id] if observations else [],
                raised_at=start + timedelta(days=1),
            )
        )
        db.flush()
        return Record(patient, enrolment, made, observations)


BIRTH_PLACE = "75056"  # Paris


def qualify(engine: Engine, world: World, patient: Patient, birth_place: str = BIRTH_PLACE) -> Patient:
    """Make an identity qualified as the référentiel INS does: recovered from INSi (through the seam an
    INSi client would use), then checked on an identity card by the nurse."""
    assert patient.ins, "a qualified identity has its INS"
    answer = identity_status.InsiAnswer(
        ins=patient.ins,
        birth_name=patient.family_name,
        birth_given_names=patient.given_names,
        birth_date=patient.birth_date,
        sex=patient.sex,
        birth_place_insee=birth_place,
    )
    nurse = world.actor(world.nurse, world.practice if patient.practice_id == world.practice.id else None)
    with transaction(engine) as db:
        identity_status.record_insi_answer(db, nurse, patient.id, answer)
        return identity_status.validate_on_document(
            db, nurse, patient.id, {"document": "CN", "confirm": "yes"}
        )


@pytest.fixture
def record(engine: Engine, world: World, make_patient):  # type: ignore[no-untyped-def]
    """A home-practice patient, identity qualified, with a diabetes pathway and two sessions."""
    patient = qualify(engine, world, make_patient(referring_gp_id=str(world.gp.id), local_id="DOS-42"))
    return add_record(engine, world, patient)


@pytest.fixture
def make_record(engine: Engine, world: World):  # type: ignore[no-untyped-def]
    def make(patient: Patient, **kw: Any) -> Record:
        return add_record(engine, world, patient, **kw)

    return make


def new_token(engine: Engine, world: World, practice: str = "home", name: str = "client") -> str:
    user = world.admin
    practice_row = world.practice if practice == "home" else world.other_practice
    with transaction(engine) as db:
        actor = world.actor(user, world.practice)
        if practice_row is not world.practice:
            actor = type(actor)(user_id=user.id or 0, practice_id=practice_row.id or 0, role="admin")
        _token_row, clear = api_tokens.create(db, actor, name)
    return clear


@pytest.fixture
def token(engine: Engine, world: World) -> str:
    return new_token(engine, world)


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, raise_server_exceptions=False)


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json", **extra}


@pytest.fixture
def today() -> date:
    return date.today()
