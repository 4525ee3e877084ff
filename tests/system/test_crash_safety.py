"""Kill the server in the middle of a burst of session saves: every save it acknowledged is intact, and
the database and the audit chain pass their checks. A practice's machine can lose power; data must not."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx

from asalee_track.care.demo import DEMO_PASSWORD
from asalee_track.i18n import TIMEZONE
from tests.servers import free_port

CLI = [sys.executable, "-m", "asalee_track"]


def test_acknowledged_saves_survive_a_kill(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ASALEE_DATABASE_URL": f"sqlite:///{tmp_path / 'practice.db'}",
        "ASALEE_SECRET_KEY": "crash-test-" + "x" * 40,
        "ASALEE_EXPORT_DIR": str(tmp_path / "exports"),
    }
    env.pop("ASALEE_TEST_DATABASE_URL", None)
    subprocess.run([*CLI, "demo", "--patients", "3"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        client = httpx.Client(base_url=base, timeout=10)
        deadline = time.monotonic() + 30
        while True:
            try:
                token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        client.post(
            "/login",
            data={"email": "infirmiere@demo.asalee.fr", "password": DEMO_PASSWORD, "csrf_token": token},
        )
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/patients").text).group(1)
        patient = _enrolled_patient(client)
        acknowledged: list[str] = []
        stop = threading.Event()

        def burst() -> None:
            start = datetime.now(UTC) - timedelta(days=30)
            for index in range(400):
                if stop.is_set():
                    return
                when = (start + timedelta(minutes=10 * index)).astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")
                try:
                    response = client.post(
                        f"/patients/{patient}/sessions",
                        follow_redirects=False,
                        data={
                            "csrf_token": token,
                            "started_at": when,
                            "duration_minutes": "30",
                            "kind": "phone",
                            "m.weight": f"{70 + index % 10},{index % 10}",
                            "idempotency_key": f"crash-{index}",
                        },
                    )
                except httpx.TransportError:
                    return  # the server is gone
                if response.status_code == 303:
                    acknowledged.append(response.headers["location"].split("/")[2].split("?")[0])

        worker = threading.Thread(target=burst)
        worker.start()
        while len(acknowledged) < 20 and worker.is_alive():
            time.sleep(0.01)
        server.send_signal(signal.SIGKILL)  # no goodbye: as a power cut would
        stop.set()
        worker.join(timeout=30)
    finally:
        server.kill()
        server.wait(timeout=10)

    assert len(acknowledged) >= 20
    with sqlite3.connect(tmp_path / "practice.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0] for row in db.execute("SELECT id FROM care_session")}
        marks = ",".join("?" * len(acknowledged))
        query = f"SELECT count(*) FROM observation WHERE session_id IN ({marks})"
        weights = db.execute(query, acknowledged).fetchone()[0]
    assert set(acknowledged) <= stored
    assert weights >= len(acknowledged)  # each acknowledged session kept its measures
    verify = subprocess.run([*CLI, "audit", "verify"], env=env, capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr


def _enrolled_patient(client: httpx.Client) -> str:
    """A demo patient with an active pathway (the list page links to each record)."""
    for patient_id in re.findall(r'href="/patients/([0-9a-f-]{36})"', client.get("/patients").text):
        if "Nouvelle séance" in client.get(f"/patients/{patient_id}").text:
            return patient_id
    raise AssertionError("no enrolled demo patient")
