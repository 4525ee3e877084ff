"""Hostile and random input on every form and FHIR endpoint: never a server error, never a partial
write, never unescaped HTML on the way back."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from asalee_track.store.tables import CareSession, Concertation, Enrolment, Patient
from tests.conftest import patient_form
from tests.web.test_sessions import session_form

SCRIPT = "<script>alert(1)</script>"
NASTY = st.sampled_from(
    [
        SCRIPT,
        "' OR 1=1 --",
        "\x00",
        "\x1b[31m",
        "1e308",
        "-1e-308",
        "NaN",
        "inf",
        "-0",
        "9" * 400,
        "٣٫٥",
        "𝟘𝟙",
        "\u202eevil",
        "Ｘ",
        "",
        " ",
        "12,5,3",
        "0x1F",
        "1_000",
        "31/02/2020",
        "2020-13-45",
        "9999-12-31",
        "0001-01-01",
        "\ud7ff",
        "é" * 600,
        "%s%s%n",
        "{{7*7}}",
        "${jndi:x}",
        "../../etc/passwd",
    ]
)
TEXT = st.one_of(NASTY, st.text(max_size=60), st.integers(1000, 20_000).map(lambda n: "Ω<" * n))
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def count(db, table) -> int:  # type: ignore[no-untyped-def]
    return db.exec(select(func.count()).select_from(table)).one()


def assert_safe(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 500, response.text[-500:]
    if response.headers["content-type"].startswith("application/fhir+json"):
        return  # JSON with nosniff: an echoed value is data, never markup
    assert SCRIPT not in response.text


@FUZZ
@given(
    values=st.fixed_dictionaries(
        {name: TEXT for name in ("family_name", "given_names", "birth_date", "sex", "ins", "phone")}
    )
)
def test_patient_form(as_nurse, db, values) -> None:  # type: ignore[no-untyped-def]
    before = count(db, Patient)
    response = as_nurse.post("/patients", values)
    assert_safe(response)
    assert count(db, Patient) == before + (1 if response.status_code == 200 else 0)


@FUZZ
@given(
    values=st.fixed_dictionaries(
        {
            name: TEXT
            for name in (
                "started_at",
                "duration_minutes",
                "kind",
                "m.weight",
                "u.weight",
                "m.hba1c",
                "u.hba1c",
                "m.foot-exam",
                "m.smoking",
                "notes",
                "act_outcome.diabete-type-2.ecg",
            )
        }
    )
)
def test_session_form(as_nurse, enrolled, db, values) -> None:  # type: ignore[no-untyped-def]
    before = count(db, CareSession)
    response = as_nurse.post(f"/patients/{enrolled.id}/sessions", values)
    assert_safe(response)
    assert count(db, CareSession) == before + (1 if response.status_code == 200 else 0)


@FUZZ
@given(text=TEXT, unit=TEXT)
def test_field_check(as_nurse, enrolled, text, unit) -> None:  # type: ignore[no-untyped-def]
    assert_safe(
        as_nurse.post(f"/patients/{enrolled.id}/sessions/check/hba1c", {"m.hba1c": text, "u.hba1c": unit})
    )


@FUZZ
@given(
    values=st.fixed_dictionaries(
        {
            name: TEXT
            for name in ("protocol_id", "start_date", "consent_date", "consent_method", "referring_gp_id")
        }
    )
)
def test_enrolment_form(as_nurse, patient, db, values) -> None:  # type: ignore[no-untyped-def]
    before = count(db, Enrolment)
    response = as_nurse.post(f"/patients/{patient.id}/enrolments", values)
    assert_safe(response)
    assert count(db, Enrolment) == before + (1 if response.status_code == 200 else 0)


@FUZZ
@given(
    values=st.fixed_dictionaries({name: TEXT for name in ("measure_id", "min_value", "max_value", "reason")})
)
def test_personal_target_and_snooze_forms(browser, world, enrolled, values) -> None:  # type: ignore[no-untyped-def]
    if not browser.csrf:
        browser.login(world.gp.email)
    assert_safe(browser.post(f"/patients/{enrolled.id}/targets", values))
    assert_safe(
        browser.post(
            f"/patients/{enrolled.id}/snooze",
            {"reason": values["reason"], "days": values["min_value"], "comment": values["measure_id"]},
        )
    )


@FUZZ
@given(held_on=TEXT, title=TEXT, participants=TEXT)
def test_concertation_form(as_nurse, db, held_on, title, participants) -> None:  # type: ignore[no-untyped-def]
    before = count(db, Concertation)
    response = as_nurse.post(
        "/concertations", {"held_on": held_on, "title": title, "participants": participants}
    )
    assert_safe(response)
    assert count(db, Concertation) == before + (1 if response.status_code == 200 else 0)


@FUZZ
@given(content=st.one_of(st.binary(max_size=2000), TEXT.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_import_file(as_nurse, db, content) -> None:  # type: ignore[no-untyped-def]
    before = count(db, Patient)
    response = as_nurse.client.post(
        "/patients/import",
        data={"csrf_token": as_nurse.csrf, "mode": "import"},
        files={"file": ("x.csv", content, "text/csv")},
    )
    assert_safe(response)
    assert count(db, Patient) >= before


@FUZZ
@given(email=TEXT, password=TEXT)
def test_login_form(browser, email, password) -> None:  # type: ignore[no-untyped-def]
    browser.refresh_token()
    assert_safe(
        browser.client.post(
            "/login", data={"email": email, "password": password, "next": email, "csrf_token": browser.csrf}
        )
    )


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "birthdate",
                "identifier",
                "_count",
                "_offset",
                "patient",
                "code",
                "date",
                "_id",
                "q",
                "page",
                "_type",
                "_since",
                "_outputFormat",
            ]
        ),
        TEXT.map(lambda text: text[:1500]),  # longer URLs are refused by any client before they leave
        max_size=4,
    )
)
def test_search_pages_and_fhir_endpoints(as_gp, query) -> None:  # type: ignore[no-untyped-def]
    for path in (
        "/patients",
        "/worklist",
        "/admin/audit",
        "/reports/activity",
        "/fhir/Patient",
        "/fhir/Observation",
    ):
        assert_safe(as_gp.get(path, params=query))
    response = as_gp.get("/fhir/$export", params=query, headers={"Prefer": "respond-async"})
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.json()["resourceType"] == "OperationOutcome"


def test_html_typed_into_a_record_is_shown_as_text(as_nurse, db) -> None:
    as_nurse.post("/patients", patient_form(family_name=SCRIPT, given_names="<b>Gras</b>"))
    patient = db.exec(select(Patient)).one()
    page = as_nurse.get(f"/patients/{patient.id}").text
    assert SCRIPT.upper() not in page and "<b>Gras</b>" not in page
    assert "&lt;b&gt;Gras&lt;/b&gt;" in page


@pytest.fixture
def patient(make_patient):  # type: ignore[no-untyped-def]
    return make_patient()


@pytest.fixture
def enrolled(make_patient, enrol, as_nurse):  # type: ignore[no-untyped-def]
    patient = enrol(make_patient(), "diabete-type-2")
    as_nurse.post(
        f"/patients/{patient.id}/sessions",
        session_form(datetime.now(UTC) - timedelta(days=1), **{"m.weight": "80"}),
    )
    return patient


@pytest.mark.parametrize("field", ["family_name", "given_names", "phone", "local_id"])
def test_control_characters_are_refused_not_stored(as_nurse, db, field: str) -> None:
    # PostgreSQL cannot store NUL in text, and no name contains an escape sequence: both are typing accidents.
    response = as_nurse.post("/patients", patient_form(**{field: "Dupont\x00\x1b[31m"}))
    assert response.status_code == 422
    assert count(db, Patient) == 0


def test_control_characters_in_a_session_note_are_refused(as_nurse, enrolled, db) -> None:
    before = count(db, CareSession)
    response = as_nurse.post(f"/patients/{enrolled.id}/sessions", session_form(notes="Note\x00"))
    assert response.status_code == 422
    assert count(db, CareSession) == before


def test_a_value_the_database_refuses_is_a_422_and_writes_nothing(browser, world, enrolled, db) -> None:
    browser.login(world.gp.email)
    response = browser.post(
        f"/patients/{enrolled.id}/targets", {"measure_id": "hba1c", "max_value": "8", "reason": "Fragile\x00"}
    )
    assert response.status_code in (303, 200, 422)  # SQLite stores NUL; PostgreSQL refuses it: never a 500
    response = browser.post("/concertations", {"held_on": "2026-11-20", "title": "Réunion\x00"})
    assert response.status_code < 500


def test_ids_too_large_to_exist_are_refused_not_crashed(as_nurse, patient) -> None:
    huge = "9" * 40
    assert as_nurse.get(f"/worklist?nurse={huge}").status_code == 422
    assert as_nurse.post(f"/concertation-items/{huge}/decision", {"concertation_id": "x"}).status_code == 422
    assert as_nurse.post("/practice", {"practice_id": huge}).status_code == 422
    refused = as_nurse.post(f"/patients/{patient.id}", patient_form(referring_gp_id=huge))
    assert refused.status_code == 422 and "médecin du cabinet" in refused.text


def test_a_snooze_length_with_a_trailing_control_character_is_refused_not_a_crash(as_nurse, enrolled) -> None:  # type: ignore[no-untyped-def]
    for days in ("0\x1f", "²", "7\x1c"):
        response = as_nurse.post(f"/patients/{enrolled.id}/snooze", {"reason": "will-come", "days": days})
        assert response.status_code in (200, 303, 422), days
