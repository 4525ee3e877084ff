"""Every route, walked as every role: who may use it, and never a server error.

A rule of the house: a new route fails this test until it is given an access class below, so that
nobody adds a page without deciding who may see it.
"""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from asalee_track.store.tables import Alert, CareSession, ConcertationItem, Enrolment, LabReport, LabResult
from tests.conftest import Browser
from tests.labs.conftest import SAMPLES as LAB_SAMPLES
from tests.web.test_sessions import session_form

# Access classes: public (no login), any (any logged-in role), clinical (nurse, gp), gp (gp only),
# admin (admin only), fhir (FHIR API: OperationOutcome answers, bearer token or session).
ROUTES = {
    ("GET", "/"): "any",
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("POST", "/logout"): "any",
    ("POST", "/practice"): "any",
    ("POST", "/locale"): "public",
    ("GET", "/worklist"): "clinical",
    ("GET", "/patients/import"): "clinical",
    ("POST", "/patients/import"): "clinical",
    ("GET", "/patients"): "clinical",
    ("GET", "/patients/new"): "clinical",
    ("POST", "/patients"): "clinical",
    ("GET", "/patients/{patient_id}"): "clinical",
    ("GET", "/patients/{patient_id}/edit"): "clinical",
    ("POST", "/patients/{patient_id}"): "clinical",
    ("GET", "/patients/{patient_id}/identity"): "clinical",
    ("POST", "/patients/{patient_id}/identity"): "clinical",
    ("GET", "/patients/{patient_id}/enrol"): "clinical",
    ("POST", "/patients/{patient_id}/enrolments"): "clinical",
    ("POST", "/enrolments/{enrolment_id}/status"): "clinical",
    ("GET", "/patients/{patient_id}/sessions/new"): "clinical",
    ("POST", "/patients/{patient_id}/sessions"): "clinical",
    ("POST", "/patients/{patient_id}/sessions/check/{measure_id}"): "clinical",
    ("GET", "/sessions/{session_id}"): "clinical",
    ("GET", "/sessions/{session_id}/print"): "clinical",
    ("GET", "/sessions/{session_id}/amend"): "clinical",
    ("POST", "/sessions/{session_id}/amend"): "clinical",
    ("POST", "/sessions/{session_id}/error"): "clinical",
    ("GET", "/patients/{patient_id}/review"): "clinical",
    ("POST", "/alerts/{alert_id}/acknowledge"): "gp",
    ("POST", "/patients/{patient_id}/targets"): "gp",
    ("POST", "/patients/{patient_id}/intervals"): "gp",
    ("POST", "/patients/{patient_id}/snooze"): "clinical",
    ("GET", "/dashboard"): "any",
    ("GET", "/dashboard/{protocol_id}/{key}/{category}"): "clinical",
    ("GET", "/reports/activity"): "any",
    ("GET", "/reports/activity.csv"): "any",
    ("GET", "/reports/cooperation"): "any",
    ("GET", "/reports/cooperation.csv"): "any",
    ("GET", "/adverse-events"): "clinical",
    ("POST", "/adverse-events"): "clinical",
    ("POST", "/patients/{patient_id}/refusals"): "clinical",
    ("GET", "/concertations"): "clinical",
    ("POST", "/concertations"): "clinical",
    ("GET", "/concertations/{concertation_id}"): "clinical",
    ("POST", "/concertations/{concertation_id}/patients"): "clinical",
    ("POST", "/concertation-items/{item_id}/decision"): "clinical",
    ("GET", "/patients/{patient_id}/education"): "clinical",
    ("POST", "/patients/{patient_id}/education"): "clinical",
    ("POST", "/patients/{patient_id}/goals"): "clinical",
    ("POST", "/goals/{goal_id}/review"): "clinical",
    ("GET", "/workshops"): "clinical",
    ("POST", "/workshops"): "clinical",
    ("GET", "/workshops/{workshop_id}"): "clinical",
    ("GET", "/account"): "any",
    ("POST", "/account/password"): "any",
    ("POST", "/account/logout-everywhere"): "any",
    ("POST", "/account/sessions/{user_session_id}/end"): "any",
    ("GET", "/admin/audit"): "admin",
    ("GET", "/admin/audit.csv"): "admin",
    ("GET", "/admin/tokens"): "admin",
    ("POST", "/admin/tokens"): "admin",
    ("POST", "/admin/tokens/{token_id}/revoke"): "admin",
    ("GET", "/labs"): "clinical",
    ("POST", "/labs"): "clinical",
    ("GET", "/labs/reports/{report_id}"): "clinical",
    ("GET", "/labs/results/{result_id}"): "clinical",
    ("POST", "/labs/results/{result_id}/assign"): "clinical",
    ("POST", "/labs/results/{result_id}/reject"): "clinical",
    ("GET", "/admin/lab-mappings"): "admin",
    ("POST", "/admin/lab-mappings"): "admin",
    ("POST", "/admin/lab-mappings/retry"): "admin",
    ("GET", "/admin/smart-clients"): "admin",
    ("POST", "/admin/smart-clients"): "admin",
    ("POST", "/admin/smart-clients/{client_id}/revoke"): "admin",
}
FHIR_PREFIX = "/fhir/"
# FHIR routes a client calls before it has credentials: discovery and the SMART token endpoint (which
# authenticates the client by its signed assertion, and answers 400/401 OperationOutcomes itself).
PUBLIC_FHIR = (
    "/fhir/metadata",
    "/fhir/{rest:path}",
    "/fhir/.well-known/smart-configuration",
    "/fhir/auth/token",
)


def app_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for included in app.routes:
        for route in getattr(getattr(included, "original_router", None), "routes", []):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                found.append((method, route.path))
    return found


def test_every_route_has_an_access_class(app) -> None:
    missing = [r for r in app_routes(app) if r not in ROUTES and not r[1].startswith(FHIR_PREFIX)]
    assert missing == [], f"give these routes an access class in {__file__}: {missing}"


@pytest.fixture
def ids(as_nurse, make_patient, enrol, db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One of everything, in the home practice, for the routes' path parameters."""
    patient = enrol(make_patient(), "diabete-type-2")
    as_nurse.post(
        f"/patients/{patient.id}/sessions",
        session_form(datetime.now(UTC) - timedelta(hours=1), **{"m.hba1c": "11"}),
    )
    as_nurse.post("/concertations", {"held_on": "2026-11-20"})
    meeting_id = as_nurse.client.get("/concertations").text.split('href="/concertations/')[1].split('"')[0]
    as_nurse.post(f"/concertations/{meeting_id}/patients", {"patient_id": patient.id})
    lab_file = (LAB_SAMPLES / "hprim-sante-latin1-crlf.hpr").read_bytes()  # a patient to review
    as_nurse.post("/labs", files=[("files", ("lab.hpr", lab_file, "text/plain"))])
    return {
        "patient_id": patient.id,
        "enrolment_id": db.exec(select(Enrolment.id)).first(),
        "session_id": db.exec(select(CareSession.id)).first(),
        "alert_id": db.exec(select(Alert.id)).first(),
        "concertation_id": meeting_id,
        "item_id": str(db.exec(select(ConcertationItem.id)).first()),
        "measure_id": "weight",
        "goal_id": "unknown-goal",
        "workshop_id": "unknown-workshop",
        "token_id": "1",
        "report_id": db.exec(select(LabReport.id)).first(),
        "result_id": db.exec(select(LabResult.id)).first(),
        "user_session_id": "999999",  # nobody's: ending one's own session would end the walk
        "client_id": "1",
        "protocol_id": "diabete-type-2",
        "key": "hba1c",
        "category": "uncontrolled",
    }


def call(browser: Browser, method: str, path: str, ids: dict[str, str]):  # type: ignore[no-untyped-def]
    url = path.format(**ids)
    if method == "GET":
        return browser.client.get(url, follow_redirects=False)
    return browser.client.request(method, url, data={"csrf_token": browser.csrf}, follow_redirects=False)


ALLOWED = {
    "public": {"anonymous", "nurse", "gp", "admin"},
    "any": {"nurse", "gp", "admin"},
    "clinical": {"nurse", "gp"},
    "gp": {"gp"},
    "admin": {"admin"},
}


@pytest.mark.parametrize("role", ["anonymous", "nurse", "gp", "admin"])
def test_each_role_reaches_only_its_routes_and_nothing_fails(app, world, ids, role: str) -> None:
    browser = Browser(TestClient(app, raise_server_exceptions=False))
    if role == "anonymous":
        browser.refresh_token()
    else:
        browser.login(getattr(world, role).email)
    for method, path in app_routes(app):
        if path.startswith(FHIR_PREFIX) or path in ("/logout", "/login", "/account/logout-everywhere"):
            continue
        response = call(browser, method, path, ids)
        where = f"{method} {path} as {role}"
        assert response.status_code < 500, where
        if role in ALLOWED[ROUTES[(method, path)]]:
            assert response.status_code not in (401, 403), where
        elif role == "anonymous":
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), where
        else:
            assert response.status_code == 403, where


def test_fhir_answers_anonymous_callers_with_an_operation_outcome(app, ids) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    for method, path in app_routes(app):
        if not path.startswith(FHIR_PREFIX) or path in PUBLIC_FHIR:
            continue
        url = path.format(
            group="practice-1", job_id="x", file_name="x", resource_type="Encounter", resource_id="x", **ids
        )
        response = client.request(method, url)
        assert response.status_code == 401, f"{method} {path}"
        assert response.json()["resourceType"] == "OperationOutcome"
