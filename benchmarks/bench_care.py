"""Latency of the daily use cases on a realistic practice: saving a full session (15 measures, rules
evaluated), the GP's pathway page (10 years, 4 pathways), and the morning worklist.

Run: ``python benchmarks/bench_care.py [--patients 2000] [--database-url URL]``. SQLite in a temporary
file by default; give a PostgreSQL URL (an empty database: its schema is replaced) to measure there.
Prints p50/p95 per use case; asserts nothing. Targets: save p95 < 50 ms, pathway page p95 < 150 ms,
worklist p95 < 300 ms.
"""

from __future__ import annotations

import argparse
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

from asalee_track.care import accounts, sessions  # noqa: E402
from asalee_track.care.actor import Actor  # noqa: E402
from asalee_track.config import Settings  # noqa: E402
from asalee_track.i18n import TIMEZONE  # noqa: E402
from asalee_track.protocols import load_protocols  # noqa: E402
from asalee_track.store.db import make_engine, transaction  # noqa: E402
from asalee_track.store.tables import Enrolment, Patient, User  # noqa: E402
from asalee_track.web.app import create_app  # noqa: E402

PASSWORD = "benchmark-password"
FULL_SESSION = {  # diabetes + obesity: 15 measures typed, as in a long first-of-the-year session
    "m.weight": "84,2",
    "m.height": "172",
    "m.waist": "104",
    "m.sbp": "142",
    "m.dbp": "86",
    "m.heart-rate": "74",
    "m.hba1c": "7,6",
    "m.fasting-glucose": "1,32",
    "m.ldl": "1,12",
    "m.egfr": "71",
    "m.uacr": "2,4",
    "m.foot-exam": "normal",
    "m.smoking": "8517006",
    "m.activity": "25",
    "edu.diabete-type-2.alimentation": "on",
    "act.diabete-type-2.prescrire-hba1c": "on",
}


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   (n={len(ordered)})"


def timed(action: Callable[[], object], runs: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):  # templates compiled, caches and connections warm: not what a user waits for
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def prepare(url: str, patients: int) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    started = time.perf_counter()
    dataset.build(url, patients, all_pathways_every=50)
    print(f"built {patients} patients × 10 years in {time.perf_counter() - started:.0f} s")
    engine = make_engine(url)
    with transaction(engine) as db:
        for user in db.exec(select(User)).all():
            user.password_hash = accounts.hash_password(PASSWORD)
            db.add(user)
        # Diabetes + obesity patients for the full-session save.
        for patient_id in db.exec(
            select(Enrolment.patient_id).where(Enrolment.protocol_id == "diabete-type-2").limit(200)
        ).all():
            if not db.exec(
                select(Enrolment).where(
                    Enrolment.patient_id == patient_id, Enrolment.protocol_id == "obesite"
                )
            ).first():
                db.add(
                    Enrolment(
                        patient_id=patient_id,
                        practice_id=1,
                        protocol_id="obesite",
                        protocol_version="2026.1",
                        start_date=datetime.now(UTC).date() - timedelta(days=3650),
                        consent_date=datetime.now(UTC).date() - timedelta(days=3650),
                        consent_method="oral",
                        consent_recorded_by=1,
                    )
                )
    engine.dispose()


def measure_save(url: str, runs: int) -> list[float]:
    engine = make_engine(url)
    protocols = load_protocols(ROOT / "protocols")
    nurse = Actor(user_id=1, practice_id=1, role="nurse")
    with transaction(engine) as db:
        ids = list(
            db.exec(
                select(Enrolment.patient_id).where(
                    Enrolment.protocol_id == "obesite", Enrolment.status == "active"
                )
            ).all()
        )
    rng = random.Random(3)
    clock = datetime.now(UTC) - timedelta(hours=runs + 20)  # room for the warm-up runs

    def save() -> None:
        nonlocal clock
        clock += timedelta(hours=1)
        form = {
            **FULL_SESSION,
            "started_at": clock.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "45",
            "kind": "follow-up",
        }
        with transaction(engine) as db:  # one transaction, as a web request has
            sessions.save(db, nurse, protocols, rng.choice(ids), form)

    samples = timed(save, runs)
    engine.dispose()
    return samples


def measure_pages(url: str, runs: int) -> dict[str, list[float]]:
    """Pathway page, worklist and FHIR $everything of a patient followed 10 years in 4 pathways."""
    settings = Settings(database_url=url, secret_key="bench-" + "x" * 40, protocols_dir=ROOT / "protocols")
    client = TestClient(create_app(settings))
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"email": "g@b", "password": PASSWORD, "csrf_token": token})
    engine = make_engine(url)
    with transaction(engine) as db:
        counts: dict[str, int] = {}
        for patient_id in db.exec(select(Enrolment.patient_id).where(Enrolment.status == "active")).all():
            counts[patient_id] = counts.get(patient_id, 0) + 1
        rich = [patient_id for patient_id, count in counts.items() if count >= 4]
        assert rich and db.exec(select(Patient).where(Patient.id == rich[0])).first()
    engine.dispose()
    rng = random.Random(5)
    return {
        "page": timed(lambda: client.get(f"/patients/{rng.choice(rich)}/review").raise_for_status(), runs),
        "worklist": timed(lambda: client.get("/worklist").raise_for_status(), max(10, runs // 3)),
        "everything": timed(
            lambda: client.get(f"/fhir/Patient/{rng.choice(rich)}/$everything").raise_for_status(), runs // 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        print(f"{make_engine(url).dialect.name}, {args.patients} patients")
        prepare(url, args.patients)
        print("session save (15 measures, rules):    " + percentiles(measure_save(url, args.runs)))
        pages = measure_pages(url, args.runs)
        print("pathway page (10 years, 4 pathways):  " + percentiles(pages["page"]))
        print("worklist (whole practice):            " + percentiles(pages["worklist"]))
        print("FHIR $everything (same patients):     " + percentiles(pages["everything"]))


if __name__ == "__main__":
    main()
