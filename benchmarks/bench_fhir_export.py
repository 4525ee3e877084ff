"""FHIR NDJSON export figures: resources per second and peak memory as the practice grows, and what
building `fhir.resources` models would cost compared with the plain dicts the mapping returns.

Run: ``python benchmarks/bench_fhir_export.py [--sizes 500 2000]``. Prints figures; asserts nothing.

Each size is a practice of N patients followed for 10 years (a session every ~3 months, ~10 observations
each, a delegated act now and then), written with bulk inserts into a temporary SQLite file. The database
is built in one subprocess and exported in another, so that the peak RSS printed is the export's alone:
if export streams, it stays flat from N=500 to N=2000. Target: ≥ 20,000 resources/s on one core.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from asalee_track.fhir import bulk, mapping, sources  # noqa: E402
from asalee_track.fhir.catalog import load_catalog  # noqa: E402
from asalee_track.store import migrate  # noqa: E402
from asalee_track.store.db import make_engine  # noqa: E402
from asalee_track.store.tables import (  # noqa: E402
    CareSession,
    Enrolment,
    Membership,
    Observation,
    Patient,
    Practice,
    SessionItem,
    User,
)

TARGET = 20_000
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


# ---------------------------------------------------------------------------------------------------
# Building the practice


def _flush(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.insert(), rows)
        rows.clear()


def build(database: Path, patients: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{database}")
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
            _patient(rng, index, start, now, pending)
            if len(pending["o"]) >= CHUNK or index == patients - 1:
                for key in ("p", "e", "s", "o", "i"):  # parents first: foreign keys are on
                    _flush(conn, tables[key], pending[key])
    engine.dispose()


def _patient(
    rng: random.Random, index: int, start: datetime, now: datetime, out: dict[str, list[dict[str, Any]]]
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
    pathway = PATHWAYS[index % len(PATHWAYS)]
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
                "pathways": [pathway],
                "notes": None,
                "status": "final",
                "version": 1,
                "supersedes_id": None,
                "superseded_by_id": None,
                "error_reason": None,
                "idempotency_key": None,
                "created_by": 1,
                "created_at": when,
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


# ---------------------------------------------------------------------------------------------------
# Exporting


def export(database: Path, out_dir: Path) -> None:
    engine = make_engine(f"sqlite:///{database}")
    catalog = load_catalog(ROOT / "protocols")
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    with bulk.export_connection(engine) as conn:
        outputs = bulk.write_ndjson(conn, sources.Scope(1), sources.RESOURCE_TYPES, out_dir, catalog)
    elapsed = time.perf_counter() - started
    count = sum(o.count for o in outputs)
    size = sum(o.path.stat().st_size for o in outputs) / 1e6
    print(
        f"  exported {count:,} resources ({size:,.0f} MB NDJSON) in {elapsed:.1f} s: "
        f"{count / elapsed:,.0f} resources/s (target ≥ {TARGET:,}); "
        f"peak RSS {peak_rss_mb():.0f} MB (before export {rss_before:.0f} MB)"
    )
    by_type = ", ".join(f"{o.type} {o.count:,}" for o in outputs)
    print(f"  {by_type}")


# ---------------------------------------------------------------------------------------------------
# Models versus dicts


def compare(database: Path, sample: int = 20_000) -> None:
    import orjson
    from fhir.resources.R4B.observation import Observation as FhirObservation

    engine = make_engine(f"sqlite:///{database}")
    catalog = load_catalog(ROOT / "protocols")
    with engine.connect() as conn:
        rows = list(conn.execute(sources.observation_query(sources.Scope(1)).limit(sample)))
    started = time.perf_counter()
    dicts = [mapping.observation(r, catalog, r.s_nurse_id, 1, r.s_status) for r in rows]
    lines = [orjson.dumps(d) for d in dicts]
    dict_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for d in dicts:
        FhirObservation.model_validate(d).model_dump_json()
    model_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for d in dicts:
        FhirObservation.model_validate(d)
    validate_seconds = time.perf_counter() - started
    per = 1e6 / len(rows)
    print(f"  {len(rows):,} Observations, per resource:")
    print(f"    dict + orjson.dumps:                       {dict_seconds * per:7.1f} µs")
    print(
        f"    fhir.resources model + model_dump_json:    {model_seconds * per:7.1f} µs "
        f"({model_seconds / dict_seconds:.0f}× the dict path)"
    )
    print(f"    validating a dict with the model (tests):  {validate_seconds * per:7.1f} µs")
    print(f"  ({sum(map(len, lines)) / len(lines):.0f} bytes per NDJSON line)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 2000])
    parser.add_argument("--build", nargs=2, metavar=("DB", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--export", nargs=2, metavar=("DB", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--compare", metavar="DB", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        started = time.perf_counter()
        build(Path(args.build[0]), int(args.build[1]))
        print(f"  built in {time.perf_counter() - started:.1f} s")
        return
    if args.export:
        export(Path(args.export[0]), Path(args.export[1]))
        return
    if args.compare:
        compare(Path(args.compare))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            database = Path(tmp) / f"practice-{size}.db"
            print(f"N = {size} patients × 10 years")
            subprocess.run([sys.executable, __file__, "--build", str(database), str(size)], check=True)
            subprocess.run(
                [sys.executable, __file__, "--export", str(database), str(Path(tmp) / f"out-{size}")],
                check=True,
            )
        print("Building fhir.resources models versus plain dicts")
        subprocess.run(
            [sys.executable, __file__, "--compare", str(Path(tmp) / f"practice-{args.sizes[0]}.db")],
            check=True,
        )


if __name__ == "__main__":
    main()
