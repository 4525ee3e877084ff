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
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dataset  # noqa: E402  (benchmarks/dataset.py, beside this file)

from asalee_track.fhir import bulk, mapping, sources  # noqa: E402
from asalee_track.fhir.catalog import load_catalog  # noqa: E402
from asalee_track.store.db import make_engine  # noqa: E402

TARGET = 20_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


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
    shutil.rmtree(out_dir, ignore_errors=True)  # hundreds of MB: not kept once measured


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
        dataset.build(f"sqlite:///{args.build[0]}", int(args.build[1]))
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
            if size != args.sizes[0]:  # the first is compared below; the others are done with
                database.unlink()
        print("Building fhir.resources models versus plain dicts")
        subprocess.run(
            [sys.executable, __file__, "--compare", str(Path(tmp) / f"practice-{args.sizes[0]}.db")],
            check=True,
        )


if __name__ == "__main__":
    main()
