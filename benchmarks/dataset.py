"""A realistic practice for benchmarks, written with bulk inserts: N patients followed for 10 years (a
session every ~3 months, ~10 observations each, a delegated act now and then).

`build(url, patients)` works on SQLite and PostgreSQL; the derived `measure_latest` table is filled the
way migration 0004 fills it, so pages that read it see a consistent database.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from asalee_track.store import migrate
from asalee_track.store.db import make_engine
from asalee_track.store.tables import (
    CareSession,
    Enrolment,
    Membership,
    Observation,
    Patient,
    Practice,
    SessionItem,
    User,
)

PATHWAYS = ("diabete-type-2", "obesite", "insuffisance-cardiaque", "suivi-cancer")
# (measure id, LOINC, unit, low, high): ~10 values per session.
MEASURES = (
    ("weight", "29463-7", "kg", 50, 140),
    ("bmi", "39156-5", "kg/m2", 18, 45),
    ("waist", "8280-0", "cm", 70, 140),
    ("sbp", "8480-6", "mm[Hg]", 100, 180),
    ("dbp", "8462-4", "mm[Hg]", 60, 110),
    ("heart-rate", "8867-4", "/min", 50, 110),
    ("hba1c", "4548-4", "%", 5, 11),
    ("ldl", "13457-7", "g/L", 0.5, 2),
    ("egfr", "98979-8", "mL/min/{1.73_m2}", 30, 110),
)
CHUNK = 20_000


# ---------------------------------------------------------------------------------------------------
# Building the practice


def _flush(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.insert(), rows)
        rows.clear()


def build(url: str, patients: int, seed: int = 7, all_pathways_every: int = 0) -> None:
    """`all_pathways_every`: every n-th patient is enrolled in the four pathways (0: none is)."""
    rng = random.Random(seed)
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            Practice.__table__.insert(),
            [{"id": 1, "name": "Bench", "finess": "860012345", "created_at": now}],
        )  # type: ignore[attr-defined]
        users = [
            {"id": 1, "email": "n@b", "display_name": "Claire Martin", "role": "nurse", "rpps": None},
            {"id": 2, "email": "g@b", "display_name": "Dr Paul Lefèvre", "role": "gp", "rpps": "10003456789"},
        ]
        for user in users:
            user.update(password_hash="x", locale="fr", active=True, session_epoch=0, created_at=now)
        conn.execute(User.__table__.insert(), users)  # type: ignore[attr-defined]
        conn.execute(
            Membership.__table__.insert(),
            [{"user_id": 1, "practice_id": 1}, {"user_id": 2, "practice_id": 1}],
        )  # type: ignore[attr-defined]
        pending: dict[str, list[dict[str, Any]]] = {name: [] for name in ("p", "e", "s", "o", "i")}
        tables = {
            "p": Patient.__table__,  # type: ignore[attr-defined]
            "e": Enrolment.__table__,  # type: ignore[attr-defined]
            "s": CareSession.__table__,  # type: ignore[attr-defined]
            "o": Observation.__table__,  # type: ignore[attr-defined]
            "i": SessionItem.__table__,  # type: ignore[attr-defined]
        }
        start = now - timedelta(days=3652)
        for index in range(patients):
            every = all_pathways_every and index % all_pathways_every == 0
            pathways = PATHWAYS if every else (PATHWAYS[index % len(PATHWAYS)],)
            _patient(rng, index, start, now, pending, pathways)
            if len(pending["o"]) >= CHUNK or index == patients - 1:
                for key in ("p", "e", "s", "o", "i"):  # parents first: foreign keys are on
                    _flush(conn, tables[key], pending[key])
        conn.execute(text(LATEST))
    # Fresh statistics, as a database that grew over years has: otherwise the first minutes measure the
    # autovacuum catching up with a million new rows, not the app.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()


LATEST = (
    "INSERT INTO measure_latest (patient_id, measure_id, practice_id, last_at) "
    "SELECT o.patient_id, o.measure_id, s.practice_id, max(o.effective_at) FROM observation o "
    "JOIN care_session s ON s.id = o.session_id GROUP BY o.patient_id, o.measure_id, s.practice_id"
)


def _patient(
    rng: random.Random,
    index: int,
    start: datetime,
    now: datetime,
    out: dict[str, list[dict[str, Any]]],
    pathways: tuple[str, ...],
) -> None:
    patient_id = str(uuid.uuid4())
    sex = rng.choice(("female", "male"))
    out["p"].append(
        {
            "id": patient_id,
            "practice_id": 1,
            "family_name": f"Nom{index}",
            "given_names": "Marie Hélène",
            "birth_date": date(1940 + index % 45, 1 + index % 12, 1 + index % 28),
            "sex": sex,
            "ins": None,
            "local_id": f"DOS-{index}",
            "referring_gp_id": 2,
            "phone": None,
            "search_key": f"nom{index} marie helene",
            "version": 1,
            "created_at": start,
            "updated_at": start,
        }
    )
    for pathway in pathways:
        out["e"].append(
            {
                "id": str(uuid.uuid4()),
                "patient_id": patient_id,
                "practice_id": 1,
                "protocol_id": pathway,
                "protocol_version": "2026.1",
                "referring_gp_id": 2,
                "start_date": start.date(),
                "consent_date": start.date(),
                "consent_method": "oral",
                "consent_recorded_by": 1,
                "status": "active",
                "created_at": start,
            }
        )
    pathway = pathways[0]
    when = start + timedelta(days=rng.randint(0, 30))
    while when < now:
        session_id = str(uuid.uuid4())
        out["s"].append(
            {
                "id": session_id,
                "patient_id": patient_id,
                "practice_id": 1,
                "nurse_id": 1,
                "started_at": when,
                "duration_minutes": 45,
                "kind": "follow-up",
                "pathways": list(pathways),
                "notes": None,
                "status": "final",
                "version": 1,
                "supersedes_id": None,
                "superseded_by_id": None,
                "error_reason": None,
                "idempotency_key": None,
                "created_by": 1,
                "created_at": when,
                "updated_at": when,
            }
        )
        for measure_id, loinc, unit, low, high in MEASURES:
            out["o"].append(
                {
                    "id": str(uuid.uuid4()),
                    "session_id": session_id,
                    "patient_id": patient_id,
                    "measure_id": measure_id,
                    "loinc": loinc,
                    "value_num": round(rng.uniform(low, high), 1),
                    "value_code": None,
                    "value_system": None,
                    "unit": unit,
                    "original_value": None,
                    "original_unit": None,
                    "computed": False,
                    "effective_at": when,
                    "status": "final",
                }
            )
        out["o"].append(
            {
                "id": str(uuid.uuid4()),
                "session_id": session_id,
                "patient_id": patient_id,
                "measure_id": "smoking",
                "loinc": "72166-2",
                "value_num": None,
                "value_code": "8517006",
                "value_system": "snomed",
                "unit": None,
                "original_value": None,
                "original_unit": None,
                "computed": False,
                "effective_at": when,
                "status": "final",
            }
        )
        if rng.random() < 0.25:
            out["i"].append(
                {
                    "id": str(uuid.uuid4()),
                    "session_id": session_id,
                    "kind": "act",
                    "protocol_id": pathway,
                    "item_id": "ecg",
                    "outcome": None,
                }
            )
        when += timedelta(days=rng.randint(80, 100))
