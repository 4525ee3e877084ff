"""Latency of the paths clinicians and client systems hit most, in-process through the whole web stack
(TestClient: routing, authentication, templates, audit): FHIR `Patient/{id}/$everything` (first page), the
session save (15 measures, rules), the GP's pathway page and the nurse's worklist.

Run: ``python benchmarks/bench_reads.py [--patients 2000] [--runs 200] [--database-url URL]``. SQLite in a
temporary file by default; a PostgreSQL URL is emptied and refilled. Prints the machine, then p50/p95 per
path of the wall time and of the process's CPU time (PostgreSQL's own work is not in the latter); asserts
nothing. Goals: $everything p95 < 40 ms, save < 25 ms, pathway page < 40 ms, worklist < 50 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dataset  # noqa: E402  (benchmarks/dataset.py, beside this file)
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import select  # noqa: E402

from asalee_track.care import accounts, api_tokens, followup  # noqa: E402
from asalee_track.care.actor import Actor  # noqa: E402
from asalee_track.config import Settings  # noqa: E402
from asalee_track.i18n import TIMEZONE  # noqa: E402
from asalee_track.protocols import load_protocols  # noqa: E402
from asalee_track.store.db import make_engine, transaction  # noqa: E402
from asalee_track.store.tables import Enrolment, User  # noqa: E402
from asalee_track.web.app import create_app  # noqa: E402

PASSWORD, FULL_SESSION = dataset.PASSWORD, dataset.FULL_SESSION
RICH = 40  # patients followed in four pathways: the longest pathway pages and records


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores (nproc), {model}, Python {platform.python_version()}"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


def timed(action: Callable[[], object], runs: int, warmup: int = 10) -> tuple[list[float], list[float]]:
    """Wall time and this process's CPU time per run. On a shared machine the wall time follows the
    neighbours' load; the CPU time (all of the app's threads; SQLite runs in-process) much less."""
    for _ in range(warmup):  # templates compiled, caches and connections warm: not what a user waits for
        action()
    wall, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        action()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - used)
    return wall, cpu


def report(name: str, samples: tuple[list[float], list[float]]) -> str:
    wall, cpu = samples
    return f"{name:40} wall {percentiles(wall)}   CPU {percentiles(cpu)}   (n={len(wall)})"


def prepare(url: str, patients: int) -> None:
    """The practice, known passwords, and RICH diabetes patients also followed for obesity, heart failure
    and cancer."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    started = time.perf_counter()
    dataset.build(url, patients)
    print(f"built {patients} patients × 10 years in {time.perf_counter() - started:.0f} s")
    engine = make_engine(url)
    with transaction(engine) as db:
        for user in db.exec(select(User)).all():
            user.password_hash = accounts.hash_password(PASSWORD)
            db.add(user)
        rich = list(
            db.exec(
                select(Enrolment.patient_id)
                .where(Enrolment.protocol_id == "diabete-type-2")
                .order_by(Enrolment.patient_id)
                .limit(RICH)
            ).all()
        )
        started_on = datetime.now(UTC).date() - timedelta(days=3650)
        for patient_id in rich:
            for protocol_id in ("obesite", "insuffisance-cardiaque", "suivi-cancer"):
                db.add(
                    Enrolment(
                        patient_id=patient_id,
                        practice_id=1,
                        protocol_id=protocol_id,
                        protocol_version="2026.1",
                        start_date=started_on,
                        consent_date=started_on,
                        consent_method="oral",
                        consent_recorded_by=1,
                    )
                )
    # What a practice in use has and the dataset leaves out: every patient's schedule (the worklist's
    # source), built before the server starts rather than by its start-up rebuild during the runs.
    followup.rebuild_schedules(engine, load_protocols(ROOT / "protocols"))
    engine.dispose()


def rich_patients(url: str) -> list[str]:
    engine = make_engine(url)
    with transaction(engine) as db:
        rows = db.exec(select(Enrolment.patient_id).where(Enrolment.protocol_id == "suivi-cancer")).all()
        counts: dict[str, int] = {}
        for row in db.exec(select(Enrolment.patient_id).where(Enrolment.patient_id.in_(rows))).all():
            counts[row] = counts.get(row, 0) + 1
    engine.dispose()
    return sorted(patient_id for patient_id, count in counts.items() if count >= 4)


def _login(client: TestClient, email: str) -> str:
    """Logs in; returns a CSRF token for the forms."""
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    page = client.get("/patients").text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def measure(url: str, runs: int) -> dict[str, tuple[list[float], list[float]]]:
    rich = rich_patients(url)
    settings = Settings(database_url=url, secret_key="bench-" + "x" * 40, protocols_dir=ROOT / "protocols")
    app = create_app(settings)
    nurse, gp, fhir = TestClient(app), TestClient(app), TestClient(app)
    csrf = _login(nurse, "n@b")
    _login(gp, "g@b")
    engine = make_engine(url)
    with transaction(engine) as db:
        _row, clear = api_tokens.create(db, Actor(user_id=2, practice_id=1, role="admin"), "bench")
    engine.dispose()
    bearer = {"Authorization": f"Bearer {clear}"}
    rng = random.Random(5)
    clock = datetime.now(UTC) - timedelta(hours=runs + 50)  # one session an hour, all in the past

    def save() -> None:
        nonlocal clock
        clock += timedelta(hours=1)
        form = {
            **FULL_SESSION,
            "csrf_token": csrf,
            "started_at": clock.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "45",
            "kind": "follow-up",
        }
        response = nurse.post(f"/patients/{rng.choice(rich)}/sessions", data=form, follow_redirects=False)
        assert response.status_code == 303, response.text[:2000]

    return {
        "FHIR $everything (4 pathways, 10 years)": timed(
            lambda: fhir.get(
                f"/fhir/Patient/{rng.choice(rich)}/$everything", headers=bearer
            ).raise_for_status(),
            runs,
        ),
        "session save (15 measures, rules)": timed(save, runs),
        "pathway page (4 pathways, 10 years)": timed(
            lambda: gp.get(f"/patients/{rng.choice(rich)}/review").raise_for_status(), runs
        ),
        "worklist (whole practice)": timed(lambda: nurse.get("/worklist").raise_for_status(), runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(f"{make_engine(url).dialect.name}, {args.patients} patients")
        prepare(url, args.patients)
        for name, samples in measure(url, args.runs).items():
            print(report(name, samples), flush=True)


if __name__ == "__main__":
    main()
