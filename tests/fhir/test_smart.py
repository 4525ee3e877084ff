"""SMART Backend Services: discovery, the client_credentials grant with an RS384 or ES384 assertion
checked against the client's registered JWKS, scopes, and every way an assertion is refused."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from bs4 import BeautifulSoup
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from asalee_track.care import smart_clients
from asalee_track.store.db import transaction
from asalee_track.store.tables import AuditEvent, SmartAccessToken
from tests.fhir.test_api import assert_outcome

TOKEN_URL = "http://testserver/fhir/auth/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def keys() -> dict[str, object]:
    return {"RS384": RSAKey.generate_key(2048), "ES384": ECKey.generate_key("P-384")}


def jwks(*pairs: tuple[str, object]) -> str:
    return orjson.dumps({"keys": [{**key.as_dict(private=False), "kid": kid} for kid, key in pairs]}).decode()  # type: ignore[attr-defined]


def register(engine: Engine, world, keys, scopes: str = "system/*.read") -> str:  # type: ignore[no-untyped-def]
    with transaction(engine) as db:
        client = smart_clients.register(
            db,
            world.actor(world.admin),
            "Entrepôt régional",
            jwks(("rsa-1", keys["RS384"]), ("ec-1", keys["ES384"])),
            scopes,
        )
        return client.client_id


def assertion(client_id: str, key, alg: str = "RS384", kid: str = "rsa-1", **claims: object) -> str:  # type: ignore[no-untyped-def]
    now = int(time.time())
    payload = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "exp": now + 240,
        "jti": str(uuid.uuid4()),
    }
    payload.update(claims)
    return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, payload, key, algorithms=[alg])


def ask(client, signed: str, scope: str = "system/*.read"):  # type: ignore[no-untyped-def]
    form = {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": smart_clients.ASSERTION_TYPE,
        "client_assertion": signed,
    }
    return client.post("/fhir/auth/token", data=form)


def test_the_smart_configuration_says_how_to_get_a_token(client) -> None:
    response = client.get("/fhir/.well-known/smart-configuration")
    assert response.status_code == 200
    body = response.json()
    assert body["token_endpoint"] == TOKEN_URL
    assert body["token_endpoint_auth_signing_alg_values_supported"] == ["RS384", "ES384"]
    assert body["grant_types_supported"] == ["client_credentials"]
    assert "client-confidential-asymmetric" in body["capabilities"]


@pytest.mark.parametrize(("alg", "kid"), [("RS384", "rsa-1"), ("ES384", "ec-1")])
def test_a_signed_assertion_gets_a_short_lived_token_that_reads(
    client, engine, world, keys, record, alg, kid
) -> None:
    client_id = register(engine, world, keys)
    response = ask(client, assertion(client_id, keys[alg], alg, kid))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    token = response.json()
    assert (
        token["token_type"] == "bearer" and token["expires_in"] == 300 and token["scope"] == "system/*.read"
    )
    read = client.get(
        f"/fhir/Patient/{record.patient.id}", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert read.status_code == 200
    with Session(engine) as db:
        issued = db.exec(
            select(AuditEvent).where(AuditEvent.action == "login", AuditEvent.object_type == "SmartClient")
        ).one()
        read_event = db.exec(select(AuditEvent).where(AuditEvent.action == "read")).one()
    assert issued.practice_id == world.practice.id
    assert read_event.detail.startswith("smart client")


def test_smart_v2_scopes_are_accepted(client, engine, world, keys) -> None:
    client_id = register(engine, world, keys, "system/*.rs")
    assert ask(client, assertion(client_id, keys["RS384"]), "system/*.rs").status_code == 200


def refused(client, engine, response, status: int) -> dict:  # type: ignore[no-untyped-def]
    body = assert_outcome(response, status)
    with Session(engine) as db:
        denied = db.exec(select(AuditEvent).where(AuditEvent.action == "denied")).all()
    assert denied, "a refused token request is audited"
    return body


def test_a_malformed_assertion_is_401(client, engine) -> None:
    body = refused(client, engine, ask(client, "not.a.jwt"), 401)
    assert "invalid_client" in body["issue"][0]["diagnostics"]


def test_an_unknown_client_is_401(client, engine, keys) -> None:
    refused(client, engine, ask(client, assertion("nobody", keys["RS384"])), 401)


def test_an_expired_assertion_is_401(client, engine, world, keys) -> None:
    client_id = register(engine, world, keys)
    body = refused(
        client, engine, ask(client, assertion(client_id, keys["RS384"], exp=int(time.time()) - 120)), 401
    )
    assert "expired" in body["issue"][0]["diagnostics"]


def test_an_assertion_valid_for_too_long_is_401(client, engine, world, keys) -> None:
    client_id = register(engine, world, keys)
    refused(
        client, engine, ask(client, assertion(client_id, keys["RS384"], exp=int(time.time()) + 3600)), 401
    )


def test_a_replayed_assertion_is_401(client, engine, world, keys) -> None:
    client_id = register(engine, world, keys)
    signed = assertion(client_id, keys["RS384"])
    assert ask(client, signed).status_code == 200
    body = refused(client, engine, ask(client, signed), 401)
    assert "already used" in body["issue"][0]["diagnostics"]


def test_an_assertion_signed_with_another_key_is_401(client, engine, world, keys) -> None:
    client_id = register(engine, world, keys)
    stranger = RSAKey.generate_key(2048)
    refused(client, engine, ask(client, assertion(client_id, stranger)), 401)


def test_an_assertion_for_another_audience_or_subject_is_401(client, engine, world, keys) -> None:
    client_id = register(engine, world, keys)
    refused(
        client, engine, ask(client, assertion(client_id, keys["RS384"], aud="https://elsewhere/token")), 401
    )
    refused(client, engine, ask(client, assertion(client_id, keys["RS384"], sub="someone-else")), 401)


def test_an_unsigned_or_hs256_assertion_is_401(client, engine, world, keys) -> None:
    client_id = register(engine, world, keys)
    secret = OctKey.import_key("x" * 32)
    signed = jwt.encode(
        {"alg": "HS256", "kid": "rsa-1"},
        {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "exp": int(time.time()) + 60, "jti": "h"},
        secret,
        algorithms=["HS256"],
    )
    refused(client, engine, ask(client, signed), 401)


def test_a_scope_wider_than_granted_is_403(client, engine, world, keys) -> None:
    client_id = register(engine, world, keys, "system/Observation.rs")
    refused(client, engine, ask(client, assertion(client_id, keys["RS384"]), "system/*.read"), 403)
    refused(client, engine, ask(client, assertion(client_id, keys["RS384"]), "system/Patient.read"), 403)
    refused(client, engine, ask(client, assertion(client_id, keys["RS384"]), "system/*.write"), 403)


def test_a_narrow_token_reads_only_what_its_scopes_say(client, engine, world, keys, record) -> None:
    client_id = register(engine, world, keys, "system/Observation.rs")
    token = ask(client, assertion(client_id, keys["RS384"]), "system/Observation.rs").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/fhir/Observation?patient={record.patient.id}", headers=headers).status_code == 200
    assert_outcome(client.get(f"/fhir/Patient/{record.patient.id}", headers=headers), 403)
    assert_outcome(client.get("/fhir/Encounter", headers=headers), 403)
    export = client.get("/fhir/$export?_type=Patient", headers={**headers, "Prefer": "respond-async"})
    assert_outcome(export, 403)


def test_an_expired_or_revoked_access_token_is_401(client, engine, world, keys, record) -> None:
    client_id = register(engine, world, keys)
    token = ask(client, assertion(client_id, keys["RS384"])).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with transaction(engine) as db:
        db.connection().execute(
            update(SmartAccessToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert_outcome(client.get(f"/fhir/Patient/{record.patient.id}", headers=headers), 401)


def test_static_api_tokens_still_work(client, token, record) -> None:
    assert (
        client.get(
            f"/fhir/Patient/{record.patient.id}", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )


def test_an_admin_registers_a_client_with_its_public_jwks(as_admin, keys) -> None:
    page = as_admin.post(
        "/admin/smart-clients",
        {"name": "Entrepôt", "jwks": jwks(("ec-1", keys["ES384"])), "scopes": "system/*.read"},
    )
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("#new-client-id").text
    assert "Entrepôt" in soup.select_one("table.smart-clients").text


def test_a_private_key_or_a_bad_jwks_is_refused_and_kept(as_admin, keys) -> None:
    private = orjson.dumps({"keys": [{**keys["ES384"].as_dict(private=True), "kid": "x"}]}).decode()
    for typed in (private, "not json", '{"keys": []}'):
        page = as_admin.post("/admin/smart-clients", {"name": "X", "jwks": typed, "scopes": "system/*.read"})
        assert page.status_code == 422
        soup = BeautifulSoup(page.text, "html.parser")
        assert "JWKS public" in soup.select_one("#jwks-error").text
        assert soup.select_one("#jwks").text == typed
    wrong = as_admin.post(
        "/admin/smart-clients", {"name": "X", "jwks": jwks(("a", keys["RS384"])), "scopes": "system/*.write"}
    )
    assert wrong.status_code == 422


def test_a_nurse_cannot_register_a_client(as_nurse, keys) -> None:
    response = as_nurse.post(
        "/admin/smart-clients", {"name": "X", "jwks": jwks(("a", keys["RS384"])), "scopes": "system/*.read"}
    )
    assert response.status_code == 403
