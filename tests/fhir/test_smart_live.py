"""The whole SMART Backend Services flow against a live server, as a Bulk Data client runs it: discover
the token endpoint, sign an assertion, get a token, kick off an export with it, poll as told, download."""

import time
import uuid

import httpx2 as httpx
import orjson
from joserfc import jwt
from joserfc.jwk import ECKey

from asalee_track.care import smart_clients
from asalee_track.fhir.bulk import ExportWorker
from asalee_track.store.db import transaction
from tests.fhir.conftest import validate
from tests.servers import serving


def test_a_backend_client_logs_in_and_completes_a_bulk_export(app, engine, world, record) -> None:
    key = ECKey.generate_key("P-384")
    public = {"keys": [{**key.as_dict(private=False), "kid": "warehouse-2026"}]}
    with transaction(engine) as db:
        client_id = smart_clients.register(
            db, world.actor(world.admin), "Entrepôt", orjson.dumps(public).decode(), "system/*.read"
        ).client_id
    worker = ExportWorker(engine, app.state.settings, interval=0.2)
    worker.start()
    try:
        with serving(app) as base, httpx.Client(base_url=base, timeout=20) as http:
            config = http.get("/fhir/.well-known/smart-configuration").json()
            token_url = config["token_endpoint"]
            assert token_url == f"{base}/fhir/auth/token"
            claims = {
                "iss": client_id,
                "sub": client_id,
                "aud": token_url,
                "exp": int(time.time()) + 240,
                "jti": str(uuid.uuid4()),
            }
            signed = jwt.encode(
                {"alg": "ES384", "kid": "warehouse-2026", "typ": "JWT"}, claims, key, algorithms=["ES384"]
            )
            form = {
                "grant_type": "client_credentials",
                "scope": "system/*.read",
                "client_assertion_type": smart_clients.ASSERTION_TYPE,
                "client_assertion": signed,
            }
            granted = http.post(token_url, data=form)
            assert granted.status_code == 200, granted.text
            bearer = {"Authorization": f"Bearer {granted.json()['access_token']}"}
            assert http.post(token_url, data=form).status_code == 401  # the same assertion again: a replay

            parameters = {
                "resourceType": "Parameters",
                "parameter": [{"name": "_type", "valueString": "Patient,Observation"}],
            }
            kick_off = http.post(
                "/fhir/$export",
                content=orjson.dumps(parameters),
                headers={
                    **bearer,
                    "Prefer": "respond-async",
                    "Content-Type": "application/fhir+json",
                    "Accept": "application/fhir+json",
                },
            )
            assert kick_off.status_code == 202, kick_off.text
            status_url = kick_off.headers["content-location"]
            deadline = time.monotonic() + 60
            while True:
                status = http.get(status_url, headers=bearer)
                if status.status_code != 202:
                    break
                assert time.monotonic() < deadline, "the export did not finish"
                time.sleep(int(status.headers["retry-after"]))
            assert status.status_code == 200, status.text
            manifest = status.json()
            counts = {}
            for output in manifest["output"]:
                lines = http.get(output["url"], headers=bearer).content.splitlines()
                for line in lines:
                    validate(orjson.loads(line))
                counts[output["type"]] = len(lines)
            assert counts == {"Patient": 1, "Observation": 12}
    finally:
        worker.stop()
