"""All the figures in one table, on SQLite and (given a URL) PostgreSQL, then a load run.

Run: ``python benchmarks/run.py [--patients 2000] [--postgres-url URL] [--load-seconds 60]``.
The PostgreSQL database given is emptied and refilled. Prints figures; asserts nothing, except that
the load run lost no acknowledged save (it says so, with the count).

The load run starts the real server (`asalee-track serve`) on a free loopback port and drives it with
50 concurrent clients for a bounded time: 70 % reads (pathway page, worklist, search), 30 % session
saves. It reports throughput, p95 latency, errors, and checks that every save the server acknowledged
is in the database afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench_care  # noqa: E402  (benchmarks/, beside this file)
import httpx2 as httpx  # noqa: E402
from sqlmodel import select  # noqa: E402

from asalee_track.i18n import TIMEZONE  # noqa: E402
from asalee_track.store.db import make_engine, transaction  # noqa: E402
from asalee_track.store.tables import CareSession, Enrolment  # noqa: E402


def p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def export_figures(url: str, out_dir: str) -> tuple[int, float, float]:
    """In a fresh process, so that the peak RSS is the export's own."""
    from asalee_track.fhir import bulk, sources
    from asalee_track.fhir.catalog import load_catalog

    engine = make_engine(url)
    started = time.perf_counter()
    with bulk.export_connection(engine) as conn:
        outputs = bulk.write_ndjson(
            conn, sources.Scope(1), sources.RESOURCE_TYPES, Path(out_dir), load_catalog(ROOT / "protocols")
        )
    elapsed = time.perf_counter() - started
    return sum(o.count for o in outputs), elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, patients: int, runs: int, tmp: Path) -> dict[str, str]:
    bench_care.prepare(url, patients)
    save = bench_care.measure_save(url, runs)
    pages = bench_care.measure_pages(url, runs)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        count, seconds, rss = pool.apply(export_figures, (url, str(tmp / f"export-{len(url)}")))
    return {
        "session save p50 / p95": f"{p(save, 0.5):.1f} / {p(save, 0.95):.1f} ms",
        "pathway page p95": f"{p(pages['page'], 0.95):.1f} ms",
        "worklist p95": f"{p(pages['worklist'], 0.95):.1f} ms",
        "FHIR $everything p95": f"{p(pages['everything'], 0.95):.1f} ms",
        "bulk export": f"{count / seconds:,.0f} resources/s ({count:,} in {seconds:.1f} s)",
        "export peak RSS": f"{rss:.0f} MB",
    }


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    acknowledged: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_run(url: str, seconds: int, clients: int, workers: int) -> str:
    env = {**os.environ, "ASALEE_DATABASE_URL": url, "ASALEE_SECRET_KEY": "load-" + "x" * 40}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "asalee_track", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    engine = make_engine(url)
    with transaction(engine) as db:
        savers = list(db.exec(select(Enrolment.patient_id).where(Enrolment.protocol_id == "obesite")).all())
        readers = list(db.exec(select(Enrolment.patient_id).limit(500)).all())
    result = LoadResult()
    try:
        _wait_for(base)
        deadline = time.monotonic() + seconds
        threads = [
            threading.Thread(target=_client, args=(base, i, deadline, savers, readers, result))
            for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 120)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    with transaction(engine) as db:
        stored = set(
            db.exec(select(CareSession.id).where(CareSession.idempotency_key.startswith("load-"))).all()
        )  # type: ignore[union-attr]
    lost = [session_id for session_id in result.acknowledged if session_id not in stored]
    done = len(result.latencies)
    return (
        f"{done / seconds:,.1f} requests/s, p95 {p(result.latencies, 0.95):.0f} ms, "
        f"{result.errors} errors, {len(result.acknowledged)} saves acknowledged, {len(lost)} lost"
    )


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/login", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    raise RuntimeError("the server did not start")


def _client(
    base: str, number: int, deadline: float, savers: list[str], readers: list[str], result: LoadResult
) -> None:
    rng = random.Random(number)
    client = httpx.Client(base_url=base, timeout=60)
    time.sleep(number * 0.1)  # people arrive one after the other: password hashing is slow on purpose
    try:
        token = _token(client, "/login")
        client.post("/login", data={"email": "n@b", "password": bench_care.PASSWORD, "csrf_token": token})
        token = _token(client, "/patients")
    except (httpx.TransportError, AttributeError):
        with result.lock:
            result.errors += 1
        return
    for request_number in range(10_000):  # bounded in count as well as in time
        if time.monotonic() > deadline:
            return
        started = time.perf_counter()
        try:
            if rng.random() < 0.3:
                when = datetime.now(UTC) - timedelta(minutes=rng.randint(5, 600_000))
                response = client.post(
                    f"/patients/{rng.choice(savers)}/sessions",
                    follow_redirects=False,
                    data={
                        "csrf_token": token,
                        "started_at": when.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M"),
                        "duration_minutes": "30",
                        "kind": "follow-up",
                        "m.weight": f"{rng.uniform(60, 110):.1f}",
                        "m.sbp": str(rng.randint(110, 160)),
                        "idempotency_key": f"load-{number}-{request_number}",
                    },
                )
                ok = response.status_code == 303
                if ok:
                    with result.lock:
                        result.acknowledged.append(response.headers["location"].split("/")[2].split("?")[0])
            else:
                path = rng.choice(
                    [f"/patients/{rng.choice(readers)}/review", "/worklist", "/patients?q=nom1"]
                )
                ok = client.get(path).status_code == 200
        except httpx.TransportError:
            ok = False
        with result.lock:
            result.latencies.append(time.perf_counter() - started)
            result.errors += not ok


def print_table(columns: dict[str, dict[str, str]], patients: int, runs: int) -> None:
    rows = list(next(iter(columns.values())))
    print(f"\n{patients} patients × 10 years, {runs} runs each (after 5 warm-up runs)\n")
    print(f"| figure | {' | '.join(columns)} |")
    print(f"|---|{'---|' * len(columns)}")
    for row in rows:
        print(f"| {row} | {' | '.join(columns[name][row] for name in columns)} |")
    print()


def _token(client: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--postgres-url", default=os.environ.get("ASALEE_BENCH_POSTGRES_URL", ""))
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--only-load", action="store_true", help="skip the table, run only the load run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        backends = {"SQLite": f"sqlite:///{tmp / 'bench.db'}"}
        if args.postgres_url:
            backends["PostgreSQL"] = args.postgres_url
        if args.only_load:
            for url in backends.values():
                bench_care.prepare(url, args.patients)
        else:
            print_table(
                {name: measure(url, args.patients, args.runs, tmp) for name, url in backends.items()},
                args.patients,
                args.runs,
            )
        for name, url in backends.items():
            workers = 1 if url.startswith("sqlite") else 2
            print(
                f"load run, {name}, {args.clients} clients, {args.load_seconds} s, {workers} worker(s): "
                + load_run(url, args.load_seconds, args.clients, workers)
            )


if __name__ == "__main__":
    main()
