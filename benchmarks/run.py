"""The benchmarks behind the README's figures, in one run that prints Markdown tables.

Run: ``python benchmarks/run.py [--quick] [--parts latency concurrency slow scale] [--no-postgres]``
(``make bench`` runs it whole). Prints figures; asserts nothing, except that it says how many
acknowledged saves were lost (acknowledged by the server, not in the database afterwards).

Data: `dataset.py` builds a practice with the shape of real follow-up (2,000 patients × 10 years by
default) once per backend; every measured run then works on a fresh copy of it (a copy of the SQLite
file, a PostgreSQL database made from the built one as template), so the saves of one run are not in
what the next one reads.

Parts:
- latency: session save, pathway page, worklist, $everything — p50 / p95 over `--runs` requests (≥ 200)
  each, in process (the app called through its ASGI interface) and over real HTTP (uvicorn started in a
  subprocess, one httpx client);
- concurrency: 1, 8 and 32 clients over HTTP, 70 % reads (pathway page, worklist, search) and 30 %
  saves, on SQLite with 1 and 2 workers and on PostgreSQL with 1, 2 and 4; req/s, p50, p95, errors,
  saves acknowledged and lost;
- slow: 20 anonymous uploads trickling their bodies a few bytes at a time while 8 clients work; their
  p95 against the same run without;
- scale: the Bulk export of 500, 2,000 and 20,000 patients (SQLite) — resources/s, peak RSS, and the
  raw limit: the same rows read with plain sqlite3 and written with orjson, with the ratio.

PostgreSQL: `--postgres-url` (default: database bench_pg on 127.0.0.1:5432, created if missing; it is
emptied and refilled).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import dataset  # noqa: E402  (benchmarks/dataset.py, beside this file)
import httpx2 as httpx  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from asalee_track.i18n import TIMEZONE  # noqa: E402

PASSWORD, FULL_SESSION = dataset.PASSWORD, dataset.FULL_SESSION
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_pg"


def pct(samples: list[float], q: float) -> float:
    """The q-quantile in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q + 0.5) - 1))] * 1000


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------
# Databases: one built per backend and size, a fresh copy for each measured run


@dataclass
class Backend:
    name: str  # SQLite, PostgreSQL
    master: str  # URL of the database built once

    @property
    def sqlite(self) -> bool:
        return self.master.startswith("sqlite")


def _pg_admin(url: str) -> Any:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _pg_recreate(url: str, template: str | None = None) -> None:
    name = make_url(url).database
    admin = _pg_admin(url)
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()


def prepare(url: str, patients: int) -> dict[str, int]:
    """Build the practice, then what the benchmarks need: a password people can log in with, and
    diabetes patients also followed for obesity (the full session saves both pathways' measures)."""
    if url.startswith("postgresql"):
        _pg_recreate(url)
    started = time.perf_counter()
    counts = dataset.build(url, patients, all_pathways_every=50)
    ready(url)
    say(f"built {patients:,} patients × 10 years in {time.perf_counter() - started:.0f} s: {counts}")
    return counts


def ready(url: str) -> None:
    """What the benchmarks add to a built practice."""
    from asalee_track.care import accounts

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET password_hash = :h"), {"h": accounts.hash_password(PASSWORD)})
        diabetic = conn.execute(
            text(
                "SELECT patient_id, start_date FROM enrolment WHERE protocol_id = 'diabete-type-2' "
                "AND status = 'active' AND patient_id NOT IN "
                "(SELECT patient_id FROM enrolment WHERE protocol_id = 'obesite') LIMIT 200"
            )
        ).all()
        for patient_id, start in diabetic:
            conn.execute(
                text(
                    "INSERT INTO enrolment (id, patient_id, practice_id, protocol_id, protocol_version, "
                    "referring_gp_id, start_date, consent_date, consent_method, consent_recorded_by, status, "
                    "created_at) VALUES "
                    "(:id, :p, 1, 'obesite', '2026.1', 2, :s, :s, 'oral', 1, 'active', :c)"
                ),
                {
                    "id": f"bench-obesite-{patient_id}"[:36],
                    "p": patient_id,
                    "s": start,
                    "c": _stored_now(url),
                },
            )
    if url.startswith("sqlite"):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def _stored_now(url: str) -> Any:
    now = datetime.now(UTC)
    return now.isoformat(" ", "microseconds")[:26] if url.startswith("sqlite") else now


@contextmanager
def fresh_copy(backend: Backend, tmp: Path) -> Iterator[str]:
    """A database equal to the built one, thrown away afterwards."""
    if backend.sqlite:
        source = Path(make_url(backend.master).database or "")
        target = tmp / f"run-{time.monotonic_ns()}.db"
        shutil.copyfile(source, target)
        try:
            yield f"sqlite:///{target}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        return
    run_url = make_url(backend.master).set(database=f"{make_url(backend.master).database}_run")
    rendered = run_url.render_as_string(hide_password=False)
    _pg_recreate(rendered, template=make_url(backend.master).database)
    try:
        yield rendered
    finally:
        admin = _pg_admin(rendered)
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": run_url.database},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{run_url.database}"'))
        admin.dispose()


def _ids(url: str) -> tuple[list[str], list[str]]:
    """Patients to save sessions for (diabetes + obesity), and the richest ones (4 pathways) to read."""
    engine = create_engine(url)
    with engine.connect() as conn:
        savers = list(
            conn.execute(
                text(
                    "SELECT patient_id FROM enrolment WHERE status = 'active' "
                    "AND protocol_id IN ('obesite', 'diabete-type-2') GROUP BY patient_id HAVING count(*) = 2"
                )
            ).scalars()
        )
        rich = list(
            conn.execute(
                text(
                    "SELECT patient_id FROM enrolment WHERE status = 'active' "
                    "GROUP BY patient_id HAVING count(*) >= 4"
                )
            ).scalars()
        )
    engine.dispose()
    return savers, rich


# ---------------------------------------------------------------------------------------------------
# Talking to the app: the same requests in process and over HTTP


def _env(url: str, export_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ASALEE_DATABASE_URL": url,
        "ASALEE_SECRET_KEY": dataset.SECRET,
        "ASALEE_EXPORT_DIR": str(export_dir),
        "ASALEE_PROTOCOLS_DIR": str(ROOT / "protocols"),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(url: str, workers: int, tmp: Path) -> Iterator[str]:
    """`asalee-track serve` (uvicorn) in a subprocess, on a free loopback port."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "asalee_track", "serve", "--port", str(port), "--workers", str(workers)],
        env=_env(url, tmp / "exports"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _token(client: Any, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    if found is None:
        raise RuntimeError(f"no form token on {path}")
    return found.group(1)


def log_in(client: Any, email: str) -> str:
    token = _token(client, "/login")
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return _token(client, "/patients")


def session_form(token: str, when: datetime, key: str, full: bool = True) -> dict[str, str]:
    form = {**FULL_SESSION} if full else {"m.weight": "81,5", "m.sbp": "132"}
    form.update(
        csrf_token=token,
        started_at=when.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M"),
        duration_minutes="45",
        kind="follow-up",
        idempotency_key=key,
    )
    return form


def latency(url: str, runs: int, tmp: Path, base: str | None) -> dict[str, list[float]]:
    """Each use case `runs` times after 5 warm-up requests; in process when `base` is None."""
    savers, rich = _ids(url)
    if base is None:
        from fastapi.testclient import TestClient

        from asalee_track.config import Settings
        from asalee_track.web.app import create_app

        settings = Settings(
            database_url=url,
            secret_key=dataset.SECRET,
            protocols_dir=ROOT / "protocols",
            export_dir=tmp / "exports",
        )
        nurse: Any = TestClient(create_app(settings))
        nurse.__enter__()  # the app's lifespan runs, as under a server: its background threads start
        gp: Any = TestClient(nurse.app)
    else:
        nurse, gp = httpx.Client(base_url=base, timeout=120), httpx.Client(base_url=base, timeout=120)
    nurse_token = log_in(nurse, "n@b")
    log_in(gp, "g@b")
    rng = random.Random(5)
    clock = datetime.now(UTC) - timedelta(hours=runs + 50)
    count = 0

    def save() -> None:
        nonlocal clock, count
        clock += timedelta(hours=1)
        count += 1
        response = nurse.post(
            f"/patients/{rng.choice(savers)}/sessions",
            data=session_form(nurse_token, clock, f"lat-{count}"),
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:500]

    def get(client: Any, path: Callable[[], str]) -> Callable[[], None]:
        def call() -> None:
            client.get(path()).raise_for_status()

        return call

    cases = {
        "session save": save,
        "pathway page": get(gp, lambda: f"/patients/{rng.choice(rich)}/review"),
        "worklist": get(nurse, lambda: "/worklist"),
        "$everything": get(gp, lambda: f"/fhir/Patient/{rng.choice(rich)}/$everything"),
    }
    found = {}
    for name, action in cases.items():
        for _ in range(5):  # templates compiled, caches and connections warm
            action()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            action()
            samples.append(time.perf_counter() - started)
        found[name] = samples
    if base is None:
        nurse.__exit__(None, None, None)
    for client in (nurse, gp):
        client.close()
    return found


# ---------------------------------------------------------------------------------------------------
# Concurrency


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    acknowledged: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_run(url: str, base: str, clients: int, seconds: float, minimum: int) -> tuple[Load, float]:
    """`clients` people, each logged in, working without pause until `seconds` have passed and at
    least `minimum` requests were made (at most 4 × `seconds`)."""
    savers, rich = _ids(url)
    readers = rich + savers[:200]
    result = Load()
    sessions = []
    for _ in range(clients):  # logged in first: password hashing is slow on purpose
        client = httpx.Client(base_url=base, timeout=120)
        sessions.append((client, log_in(client, "n@b")))
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=_work, args=(client, token, number, started, seconds, minimum, savers, readers, result)
        )
        for number, (client, token) in enumerate(sessions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for client, _token in sessions:
        client.close()
    return result, elapsed


def _work(
    client: Any,
    token: str,
    number: int,
    started: float,
    seconds: float,
    minimum: int,
    savers: list[str],
    readers: list[str],
    result: Load,
) -> None:
    rng = random.Random(number)
    for request_number in range(100_000):
        elapsed = time.monotonic() - started
        if elapsed > 4 * seconds or (elapsed > seconds and len(result.latencies) >= minimum):
            return
        began = time.perf_counter()
        ok = False
        try:
            if rng.random() < 0.3:
                when = datetime.now(UTC) - timedelta(minutes=rng.randint(5, 600_000))
                response = client.post(
                    f"/patients/{rng.choice(savers)}/sessions",
                    data=session_form(token, when, f"load-{number}-{request_number}", full=False),
                    follow_redirects=False,
                )
                ok = response.status_code == 303
                if ok:
                    session_id = response.headers["location"].split("/")[2].split("?")[0]
                    with result.lock:
                        result.acknowledged.append(session_id)
            else:
                path = rng.choice(
                    [f"/patients/{rng.choice(readers)}/review", "/worklist", "/patients?q=nom1"]
                )
                ok = client.get(path).status_code == 200
        except httpx.TransportError:
            ok = False
        with result.lock:
            result.latencies.append(time.perf_counter() - began)
            result.errors += not ok


def lost_saves(url: str, acknowledged: list[str]) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        stored = set(
            conn.execute(text("SELECT id FROM care_session WHERE idempotency_key LIKE 'load-%'")).scalars()
        )
    engine.dispose()
    return sum(1 for session_id in acknowledged if session_id not in stored)


def concurrency(backends: list[Backend], args: argparse.Namespace, tmp: Path) -> list[list[str]]:
    rows = []
    for backend in backends:
        for workers in (1, 2) if backend.sqlite else (1, 2, 4):
            for clients in (1, 8, 32):
                say(f"concurrency: {backend.name}, {workers} worker(s), {clients} client(s)")
                with fresh_copy(backend, tmp) as url, server(url, workers, tmp) as base:
                    load, elapsed = load_run(url, base, clients, args.seconds, args.runs)
                    lost = lost_saves(url, load.acknowledged)
                rows.append(
                    [
                        backend.name,
                        str(workers),
                        str(clients),
                        f"{len(load.latencies) / elapsed:,.1f}",
                        f"{pct(load.latencies, 0.5):.0f}",
                        f"{pct(load.latencies, 0.95):.0f}",
                        str(len(load.latencies)),
                        str(load.errors),
                        str(len(load.acknowledged)),
                        str(lost),
                    ]
                )
                say("  " + " | ".join(rows[-1]))
    return rows


# ---------------------------------------------------------------------------------------------------
# Slow clients


def _trickle(base: str, stop: threading.Event, opened: list[int]) -> None:
    """An anonymous upload announcing 1 MB and sending it a few bytes every half second."""
    host, port = base.removeprefix("http://").split(":")
    try:
        sock = socket.create_connection((host, int(port)), timeout=30)
    except OSError:
        return
    opened.append(1)
    try:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000000\r\n\r\n"
        )
        while not stop.wait(0.5):
            sock.sendall(b"email=slo")
    except OSError:
        pass
    finally:
        sock.close()


def slow_clients(backends: list[Backend], args: argparse.Namespace, tmp: Path) -> list[list[str]]:
    rows = []
    for backend in backends:
        workers = 1 if backend.sqlite else 2
        figures = {}
        for slow in (0, 20):
            say(f"slow clients: {backend.name}, {workers} worker(s), 8 clients, {slow} slow uploads")
            with fresh_copy(backend, tmp) as url, server(url, workers, tmp) as base:
                stop, opened = threading.Event(), []
                tricklers = [
                    threading.Thread(target=_trickle, args=(base, stop, opened)) for _ in range(slow)
                ]
                for thread in tricklers:
                    thread.start()
                time.sleep(1 if slow else 0)
                load, elapsed = load_run(url, base, 8, args.seconds, args.runs)
                stop.set()
                for thread in tricklers:
                    thread.join()
                figures[slow] = (load, elapsed, len(opened))
        quiet, busy = figures[0][0], figures[20][0]
        ratio = pct(busy.latencies, 0.95) / pct(quiet.latencies, 0.95)
        rows.append(
            [
                backend.name,
                str(workers),
                f"{pct(quiet.latencies, 0.95):.0f} (n={len(quiet.latencies)})",
                f"{pct(busy.latencies, 0.95):.0f} (n={len(busy.latencies)}, {figures[20][2]} uploads open)",
                f"{ratio:.2f}",
                str(busy.errors),
            ]
        )
        say("  " + " | ".join(rows[-1]))
    return rows


# ---------------------------------------------------------------------------------------------------
# Bulk export at scale


RAW_TYPES = ("Encounter", "Observation", "AuditEvent")  # nearly every resource of a practice


def export_figures(url: str, out_dir: str) -> dict[str, float]:
    """Run in a fresh process (`--export`), so that the peak RSS is the export's own."""
    from asalee_track.fhir import bulk, sources
    from asalee_track.fhir.catalog import load_catalog
    from asalee_track.store.db import make_engine

    engine = make_engine(url)
    catalog = load_catalog(ROOT / "protocols")
    _read_through(make_url(url).database or "")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    with bulk.export_connection(engine) as conn:
        outputs = bulk.write_ndjson(conn, sources.Scope(1), sources.RESOURCE_TYPES, Path(out_dir), catalog)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    count = sum(o.count for o in outputs)
    size = sum(o.path.stat().st_size for o in outputs)
    shutil.rmtree(out_dir, ignore_errors=True)
    raw_rows, raw_elapsed, raw_cpu = raw_limit(url, out_dir)
    return {
        "resources": count,
        "seconds": elapsed,
        "cpu": cpu,
        "bytes": size,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before": before,
        "raw_rows": raw_rows,
        "raw_seconds": raw_elapsed,
        "raw_cpu": raw_cpu,
    }


def _read_through(path: str) -> None:
    """Reads the database file once, so that the export and the raw limit after it both start with it
    in the system's cache. Before, the export alone read a cold file: at 20,000 patients (5 GB) it
    reached 0.49-0.53 of the raw limit that way, and 0.66 with both warm."""
    with open(path, "rb", buffering=0) as handle:
        while handle.read(1 << 24):
            pass


def raw_limit(url: str, out_dir: str) -> tuple[int, float, float]:
    """The same rows as the export's largest types, read with plain sqlite3 (no SQLAlchemy) and each
    written as one orjson line of its columns: what reading and writing alone cost."""
    import orjson
    from sqlalchemy.dialects import sqlite

    from asalee_track.fhir import sources

    scope = sources.Scope(1)
    queries = {
        "Encounter": select(sources.session_t).where(*sources._current_sessions(scope)),
        "Observation": sources.observation_query(scope),
        "AuditEvent": sources.audit_query(scope),
    }
    database = make_url(url).database or ""
    conn = sqlite3.connect(database)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    rows = 0
    started, cpu = time.perf_counter(), time.process_time()
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for name in RAW_TYPES:
        sql = str(queries[name].compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
        cursor = conn.execute(sql)
        names = [column[0] for column in cursor.description]
        with open(Path(out_dir) / f"{name}.raw.ndjson", "wb", buffering=1 << 20) as handle:
            write = handle.write
            while batch := cursor.fetchmany(sources.BATCH):
                for row in batch:
                    write(dumps(dict(zip(names, row, strict=True)), option=newline))
                rows += len(batch)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    shutil.rmtree(out_dir, ignore_errors=True)
    return rows, elapsed, cpu


def scale(sizes: list[int], data: Path, tmp: Path, reuse: dict[int, str]) -> list[list[str]]:
    rows = []
    for size in sizes:
        url = reuse.get(size)
        if url is None:
            url = f"sqlite:///{data / f'practice-{size}.db'}"
            if not (data / f"practice-{size}.ok").exists():
                Path(make_url(url).database or "").unlink(missing_ok=True)
                prepare(url, size)
                (data / f"practice-{size}.ok").touch()
        say(f"scale: export of {size:,} patients")
        out = tmp / f"export-{size}"
        figures = subprocess.run(
            [sys.executable, __file__, "--export", url, str(out)], check=True, capture_output=True, text=True
        ).stdout
        shutil.rmtree(out, ignore_errors=True)  # never leave the NDJSON behind
        f = {k: float(v) for k, v in (line.split("=") for line in figures.split())}
        rate, raw_rate = f["resources"] / f["seconds"], f["raw_rows"] / f["raw_seconds"]
        cpu_rate, raw_cpu_rate = f["resources"] / f["cpu"], f["raw_rows"] / f["raw_cpu"]
        rows.append(
            [
                f"{size:,}",
                f"{f['resources']:,.0f} ({f['bytes'] / 1e6:,.0f} MB)",
                f"{rate:,.0f}",
                f"{raw_rate:,.0f}",
                f"{rate / raw_rate:.2f}",
                f"{cpu_rate:,.0f} / {raw_cpu_rate:,.0f} = {cpu_rate / raw_cpu_rate:.2f}",
                f"{f['rss']:.0f}",
            ]
        )
        say("  " + " | ".join(rows[-1]))
    return rows


# ---------------------------------------------------------------------------------------------------
# Printing


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown CPU",
    )
    load = os.getloadavg()
    loads = " / ".join(f"{value:.1f}" for value in load)
    return f"{os.cpu_count()} CPUs ({model}), load average {loads} at the end"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs: a smoke test")
    parser.add_argument(
        "--parts", nargs="*", default=["latency", "concurrency", "slow", "scale"],
        choices=["latency", "concurrency", "slow", "scale"],
    )  # fmt: skip
    parser.add_argument("--patients", type=int, help="practice size for latency and load (default 2000)")
    parser.add_argument("--runs", type=int, help="requests behind each p95 (default 200)")
    parser.add_argument("--seconds", type=float, help="length of each load run (default 20)")
    parser.add_argument("--sizes", type=int, nargs="*", help="scale points (default 500 2000 20000)")
    parser.add_argument("--postgres-url", default=os.environ.get("ASALEE_BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--reuse-postgres", action="store_true", help="keep the PostgreSQL practice built by an earlier run"
    )
    parser.add_argument("--data-dir", help="keep the built SQLite practices here and reuse them")
    parser.add_argument("--export", nargs=2, metavar=("URL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        print(" ".join(f"{k}={v}" for k, v in export_figures(*args.export).items()))
        return
    args.patients = args.patients or (200 if args.quick else 2000)
    args.runs = args.runs or (20 if args.quick else 200)
    args.seconds = args.seconds or (3 if args.quick else 20)
    args.sizes = args.sizes or ([100, 300] if args.quick else [500, 2000, 20000])
    with tempfile.TemporaryDirectory(prefix="asalee-bench-") as tmp_name:
        tmp = Path(tmp_name)
        data = Path(args.data_dir) if args.data_dir else tmp / "data"
        data.mkdir(parents=True, exist_ok=True)
        run(args, tmp, data)


def run(args: argparse.Namespace, tmp: Path, data: Path) -> None:
    needs_practice = {"latency", "concurrency", "slow"} & set(args.parts)
    sqlite_master = f"sqlite:///{data / f'practice-{args.patients}.db'}"
    backends = [] if args.no_sqlite else [Backend("SQLite", sqlite_master)]
    if not args.no_postgres:
        backends.append(Backend("PostgreSQL", args.postgres_url))
    if (needs_practice and not args.no_sqlite) or ("scale" in args.parts and args.patients in args.sizes):
        if not (data / f"practice-{args.patients}.ok").exists():
            prepare(sqlite_master, args.patients)
            (data / f"practice-{args.patients}.ok").touch()
    if needs_practice and not args.no_postgres and not args.reuse_postgres:
        prepare(args.postgres_url, args.patients)
    out = []
    if "latency" in args.parts:
        rows = []
        for backend in backends:
            for mode in ("in process", "HTTP"):
                say(f"latency: {backend.name}, {mode}")
                with fresh_copy(backend, tmp) as url:
                    if mode == "HTTP":
                        with server(url, 1, tmp) as base:
                            found = latency(url, args.runs, tmp, base)
                    else:
                        found = latency(url, args.runs, tmp, None)
                for case, samples in found.items():
                    rows.append(
                        [
                            case,
                            backend.name,
                            mode,
                            f"{pct(samples, 0.5):.1f}",
                            f"{pct(samples, 0.95):.1f}",
                            str(len(samples)),
                        ]
                    )
                    say("  " + " | ".join(rows[-1]))
        rows.sort(key=lambda row: ["session save", "pathway page", "worklist", "$everything"].index(row[0]))
        out.append(
            f"### Latency, {args.patients:,} patients × 10 years (one client, after 5 warm-up requests)\n\n"
            + table(["use case", "database", "called", "p50 ms", "p95 ms", "n"], rows)
        )
    if "concurrency" in args.parts:
        rows = concurrency(backends, args, tmp)
        out.append(
            f"### Concurrent clients over HTTP, {args.patients:,} patients, ≥ {args.seconds:.0f} s and "
            f"≥ {args.runs} requests per row (70 % reads, 30 % saves)\n\n"
            + table(
                [
                    "database",
                    "workers",
                    "clients",
                    "req/s",
                    "p50 ms",
                    "p95 ms",
                    "n",
                    "errors",
                    "saves acknowledged",
                    "lost",
                ],
                rows,
            )
        )
    if "slow" in args.parts:
        rows = slow_clients(backends, args, tmp)
        out.append(
            "### 20 slow anonymous uploads (a few bytes every 0.5 s) while 8 clients work\n\n"
            + table(
                ["database", "workers", "p95 ms alone", "p95 ms with slow uploads", "ratio", "errors"], rows
            )
        )
    if "scale" in args.parts:
        reuse = {args.patients: sqlite_master} if (data / f"practice-{args.patients}.ok").exists() else {}
        rows = scale(args.sizes, data, tmp, reuse)
        out.append(
            "### Bulk export (SQLite, whole practice, every type) against the raw limit\n\n"
            "Raw: the rows of Encounter, Observation and AuditEvent read with plain sqlite3 and written "
            "with orjson as they come, in the same process right after the export.\n\n"
            + table(
                [
                    "patients",
                    "resources",
                    "resources/s",
                    "raw rows/s",
                    "ratio",
                    "per CPU-second: export / raw = ratio",
                    "peak RSS MB",
                ],
                rows,
            )
        )
    print(f"\nMachine: {machine()}; shared with other work while measuring.\n")
    print("\n\n".join(out))


if __name__ == "__main__":
    main()
