"""The API token admin page: create (the token shows once), list, revoke; administrators only."""

import hashlib

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from asalee_track.store.tables import ApiToken, AuditEvent
from tests.fhir.conftest import auth


def test_nurse_and_gp_cannot_manage_tokens(as_nurse) -> None:
    assert as_nurse.get("/admin/tokens").status_code == 403
    assert as_nurse.post("/admin/tokens", {"name": "x"}).status_code == 403


def test_create_shows_the_token_once_and_it_works(as_admin, app, record, engine: Engine) -> None:
    response = as_admin.post("/admin/tokens", {"name": "Logiciel du cabinet"})
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    clear = soup.select_one("#new-token").text.strip()
    assert clear.startswith("asl_")
    with Session(engine) as db:
        row = db.exec(select(ApiToken)).one()
        created = db.exec(select(AuditEvent).where(AuditEvent.object_type == "ApiToken")).one()
    assert row.token_hash == hashlib.sha256(clear.encode()).hexdigest() and clear not in row.token_hash
    assert created.action == "create"
    listing = as_admin.get("/admin/tokens")
    assert "Logiciel du cabinet" in listing.text and clear not in listing.text  # never shown again
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get(f"/fhir/Patient/{record.patient.id}", headers=auth(clear)).status_code == 200


def test_revoke_stops_the_token(as_admin, app, record, engine: Engine) -> None:
    page = as_admin.post("/admin/tokens", {"name": "Client"})
    clear = BeautifulSoup(page.text, "html.parser").select_one("#new-token").text.strip()
    with Session(engine) as db:
        token_id = db.exec(select(ApiToken)).one().id
    response = as_admin.post(f"/admin/tokens/{token_id}/revoke", follow_redirects=False)
    assert response.status_code == 303
    rows = BeautifulSoup(as_admin.get("/admin/tokens").text, "html.parser").select("table.tokens tbody tr")
    assert len(rows) == 1 and not rows[0].select("form")  # no revoke button any more
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get(f"/fhir/Patient/{record.patient.id}", headers=auth(clear)).status_code == 401


def test_a_name_is_required(as_admin) -> None:
    response = as_admin.post("/admin/tokens", {"name": "  "})
    assert response.status_code == 422
    assert BeautifulSoup(response.text, "html.parser").select_one("#name-error") is not None


def test_revoking_another_practices_token_is_not_found(as_admin, engine: Engine, world) -> None:
    from tests.fhir.conftest import new_token

    new_token(engine, world, practice="other")
    with Session(engine) as db:
        token_id = db.exec(select(ApiToken)).one().id
    assert as_admin.post(f"/admin/tokens/{token_id}/revoke").status_code == 404
