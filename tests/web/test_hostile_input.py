"""What an attacker or a careless paste sends: Unicode digits, huge numbers, hidden characters, a bearer
header on a cookie request, a server error. Each is refused in French, changes nothing, never a 500."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import func, select

from asalee_track.care.inputs import parse_int
from asalee_track.store.tables import Alert, ApiToken, CareSession, Concertation, Enrolment, Patient
from asalee_track.web.app import SECURITY_HEADERS, create_app
from tests.conftest import patient_form
from tests.web.test_sessions import session_form

HOSTILE_NUMBERS = ["²", "①", "٣", "1" * 5000, "-1", "0x10", " 4 2 "]
HIDDEN = {"NUL": "a\x00b", "ESC": "a\x1b[31mb", "bidi override": "a\u202eb", "bidi isolate": "a\u2066b"}


@pytest.mark.parametrize("text", HOSTILE_NUMBERS)
def test_only_plain_digits_within_bounds_make_a_number(text: str) -> None:
    assert parse_int(text, 1, 10_000) is None


def test_plain_digits_are_read_with_their_spaces_trimmed() -> None:
    assert parse_int(" 42 ", 1, 100) == 42
    assert parse_int("101", 1, 100) is None


@pytest.mark.parametrize("text", ["²", "①", "9" * 5000])
def test_unicode_digits_are_refused_in_every_typed_number(
    as_nurse, make_patient, enrol, db, world, text: str
) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    created = as_nurse.post("/patients", patient_form(ins="", referring_gp_id=text))
    assert created.status_code == 422
    saved = as_nurse.post(f"/patients/{patient.id}/sessions", session_form(duration_minutes=text))
    assert saved.status_code == 422 and "Saisissez une durée en minutes" in saved.text
    snoozed = as_nurse.post(f"/patients/{patient.id}/snooze", {"reason": "called", "days": text[:5]})
    assert snoozed.status_code == 422
    meeting = as_nurse.post("/concertations", {"held_on": "2026-11-30", "participants": text})
    assert meeting.status_code == 422
    assert db.exec(select(func.count()).select_from(CareSession)).one() == 0
    assert db.exec(select(func.count()).select_from(Concertation)).one() == 0
    assert db.exec(select(func.count()).select_from(Patient)).one() == 1


def test_a_bearer_header_does_not_excuse_a_cookie_request_from_its_form_token(as_nurse, db) -> None:
    response = as_nurse.client.post(
        "/patients", data=patient_form(ins=""), headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 403
    assert db.exec(select(func.count()).select_from(Patient)).one() == 0


def test_a_bearer_header_does_not_excuse_a_cookie_request_to_the_fhir_api(as_nurse) -> None:
    response = as_nurse.client.delete("/fhir/bulk-status/1", headers={"Authorization": "Bearer x"})
    assert response.status_code == 403


@pytest.mark.parametrize("name", HIDDEN)
def test_hidden_characters_are_refused_in_every_free_text_field(
    as_nurse, login_as, make_patient, enrol, db, world, name: str
) -> None:
    text = HIDDEN[name]
    as_gp, as_admin = login_as(world.gp), login_as(world.admin)
    patient = enrol(make_patient(), "diabete-type-2")
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.hba1c": "11"}))
    alert = db.exec(select(Alert)).first()
    enrolment = db.exec(select(Enrolment)).first()
    assert alert is not None and enrolment is not None

    meeting = as_nurse.post("/concertations", {"held_on": "2026-11-30", "title": text})
    assert meeting.status_code == 422 and "caractères de contrôle invisibles" in meeting.text
    paused = as_nurse.post(f"/enrolments/{enrolment.id}/status", {"action": "pause", "reason": text})
    assert paused.status_code == 422
    acknowledged = as_gp.post(f"/alerts/{alert.id}/acknowledge", {"comment": text})
    assert acknowledged.status_code == 422
    token = as_admin.post("/admin/tokens", {"name": text})
    assert token.status_code == 422

    db.expire_all()
    assert db.exec(select(func.count()).select_from(Concertation)).one() == 0
    assert db.get(Enrolment, enrolment.id).status == "active"
    assert db.get(Alert, alert.id).status == "open"
    assert db.exec(select(func.count()).select_from(ApiToken)).one() == 0


def test_a_refused_concertation_keeps_what_was_typed(as_nurse) -> None:
    response = as_nurse.post("/concertations", {"held_on": "hier", "title": "Revue diabète"})
    assert response.status_code == 422
    assert 'value="Revue diabète"' in response.text


def test_concertation_participants_are_members_of_the_practice(as_nurse, world, db) -> None:
    response = as_nurse.post(
        "/concertations", {"held_on": "2026-11-30", "participants": str(world.other_nurse.id)}
    )
    assert response.status_code == 422
    assert "équipe du cabinet" in response.text
    assert db.exec(select(func.count()).select_from(Concertation)).one() == 0


def test_the_server_error_page_carries_the_security_headers(settings, engine) -> None:
    app = create_app(settings, engine, upgrade=False)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert "Nothing you entered" not in response.text  # French by default
    for header, value in SECURITY_HEADERS.items():
        assert response.headers[header] == value
    assert response.headers["Cache-Control"] == "no-store"
    assert "a bug" not in response.text
