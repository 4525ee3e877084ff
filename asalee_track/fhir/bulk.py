"""Bulk Data export (HL7 FHIR Bulk Data Access v2): jobs, the worker that runs them, NDJSON files.

A kick-off only records a job in `export_job`; any worker of any app process claims it atomically
(`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional UPDATE on SQLite), streams each resource
type from the database into `<export_dir>/<job id>/<Type>.ndjson` and stores the manifest. A worker
refreshes its job's `updated_at` as it goes: a job left `running` without a heartbeat (its process died)
is claimed again and restarted from scratch. Cancelling marks the job; the worker notices and stops.
"""

import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
from sqlalchemy import and_, create_engine, event, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from asalee_track.config import Settings
from asalee_track.fhir import sources
from asalee_track.fhir.access import Principal, record
from asalee_track.fhir.catalog import Catalog, load_catalog
from asalee_track.fhir.errors import FhirError, bad_request, not_found
from asalee_track.fhir.search import Params, code_condition, date_condition, date_range
from asalee_track.store.db import is_sqlite, transaction
from asalee_track.store.tables import ExportJob
from asalee_track.store.types import utcnow

log = logging.getLogger(__name__)

OUTPUT_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
NDJSON = "application/fhir+ndjson"
UNSUPPORTED = ("_elements", "includeAssociatedData")
KNOWN_PARAMS = ("_outputFormat", "_type", "_since", "patient", "_typeFilter", *UNSUPPORTED)
# _typeFilter: the types and search parameters an export can filter on.
TYPE_FILTERS = {"Observation": ("code", "date")}
EXPIRES_AFTER = timedelta(hours=24)  # files are served this long after the export ends, then removed
MIN_POLL_INTERVAL = timedelta(seconds=1)  # Retry-After says 2 s: a client polling twice as fast gets 429
# Types whose rows belong to a patient: a `patient` parameter narrows them; the others come whole.
PATIENT_SCOPED = tuple(
    t for t in sources.RESOURCE_TYPES if t not in ("Organization", "Practitioner", "PractitionerRole")
)
LEVELS = ("system", "patient", "group")
# Patient-level exports hold the patients' data; the audit trail is exported only when asked for.
PATIENT_LEVEL_TYPES = tuple(t for t in sources.RESOURCE_TYPES if t != "AuditEvent")
STALE_AFTER = timedelta(minutes=5)  # a running job without a heartbeat for this long is reclaimed
CHECK_EVERY = 5000  # resources between heartbeats and cancellation checks
job_t = ExportJob.__table__  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------
# Kick-off


@dataclass(frozen=True)
class ExportRequest:
    level: str  # system, patient, group
    types: tuple[str, ...]
    since: datetime | None = None
    group: str | None = None
    patients: tuple[str, ...] = ()
    type_filters: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "_type": list(self.types),
            "_since": self.since.isoformat() if self.since else None,
            "group": self.group,
            "patient": list(self.patients),
            "_typeFilter": list(self.type_filters),
        }


def _values(params: Params, name: str) -> list[str]:
    return [value for key, value in params if key == name and value.strip()]


def parse_request(
    params: Params, level: str, group: str | None = None, lenient: bool = False
) -> ExportRequest:
    """Validate kick-off parameters; refuse what is not implemented rather than silently export more."""
    unknown = sorted({key for key, _ in params if key not in KNOWN_PARAMS})
    unsupported = sorted({key for key, _ in params if key in UNSUPPORTED})
    if (unknown or unsupported) and not lenient:
        raise bad_request(f"unsupported export parameter(s): {', '.join(unknown + unsupported)}")
    for output_format in _values(params, "_outputFormat"):
        if output_format not in OUTPUT_FORMATS:
            raise bad_request(f"_outputFormat {output_format!r} is not supported; use {NDJSON}")
    default = sources.RESOURCE_TYPES if level == "system" else PATIENT_LEVEL_TYPES
    requested = [t.strip() for value in _values(params, "_type") for t in value.split(",") if t.strip()]
    unknown_types = sorted(set(requested) - set(sources.RESOURCE_TYPES))
    if unknown_types:
        raise bad_request(
            f"_type {', '.join(unknown_types)} cannot be exported; known: {', '.join(sources.RESOURCE_TYPES)}"
        )
    types = tuple(t for t in sources.RESOURCE_TYPES if t in requested) if requested else default
    since_values = _values(params, "_since")
    since = date_range(since_values[-1])[0] if since_values else None
    patients = tuple(
        dict.fromkeys(
            p.strip().removeprefix("Patient/")
            for v in _values(params, "patient")
            for p in v.split(",")
            if p.strip()
        )
    )
    if patients and level == "system":
        raise bad_request("patient applies to Patient and Group exports, not to a system export")
    filters = tuple(f for f in (_type_filter(v, lenient) for v in _values(params, "_typeFilter")) if f)
    return ExportRequest(
        level=level, types=types, since=since, group=group, patients=patients, type_filters=filters
    )


def _type_filter(raw: str, lenient: bool) -> str | None:
    """`Observation?code=…&date=…`: checked now (a bad filter is refused at kick-off, not after an hour)."""
    resource_type, _, query = raw.partition("?")
    allowed = TYPE_FILTERS.get(resource_type)
    pairs = parse_qsl(query, keep_blank_values=True)
    problem = None
    if allowed is None:
        problem = f"_typeFilter on {resource_type[:40]} is not supported; only on {', '.join(TYPE_FILTERS)}"
    elif not pairs or any(name not in allowed for name, _ in pairs):
        problem = f"_typeFilter {raw[:100]!r}: {resource_type} filters on {', '.join(allowed)} only"
    else:
        for name, value in pairs:
            if name == "date":
                date_condition(sources.observation_t.c.effective_at, value)  # raises on a bad date
    if problem:
        if lenient:
            return None
        raise bad_request(problem)
    return raw


def observation_filter(filters: Sequence[str], catalog: Catalog) -> tuple[Any, ...]:
    """Each _typeFilter is an AND of its parameters; several are OR'ed (Bulk Data v2)."""
    conditions = []
    for raw in filters:
        resource_type, _, query = raw.partition("?")
        if resource_type != "Observation":
            continue
        parts = []
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name == "code":
                parts.append(code_condition(value, catalog))
            elif name == "date":
                parts.append(date_condition(sources.observation_t.c.effective_at, value))
        conditions.append(and_(*parts))
    return tuple(conditions)


def kick_off(db: Session, principal: Principal, request: ExportRequest, request_url: str) -> ExportJob:
    if not principal.can_export:
        record(db, principal, "denied", "ExportJob", outcome="forbidden", detail=f"{request.level} export")
        raise FhirError(
            403,
            "forbidden",
            "Only a GP, or a client system given a token by the administrator, may export patient records",
        )
    if request.patients:
        patient_t = sources.patient_t
        known = set(
            db.connection()
            .execute(
                select(patient_t.c.id).where(
                    patient_t.c.practice_id == principal.practice_id,
                    patient_t.c.id.in_([p[:36] for p in request.patients]),
                )
            )
            .scalars()
        )
        missing = [p for p in request.patients if p not in known]
        if missing:
            record(
                db, principal, "denied", "ExportJob", outcome="not-found", detail=f"patient {missing[0][:64]}"
            )
            raise bad_request(f"Patient/{missing[0][:64]} is not known in this practice")
    job = ExportJob(
        practice_id=principal.practice_id,
        requested_by_user=principal.user_id,
        requested_by_token=principal.token_id,
        request_url=request_url[:2000],
        params=request.params(),
    )
    db.add(job)
    db.flush()
    detail = f"{request.level}: {','.join(request.types)}"
    if not request.patients:  # named patients aside, every export discloses the whole practice
        detail += "; disclosure of the whole practice"
    record(db, principal, "export", "ExportJob", job.id, detail=detail)
    return job


def job_for(db: Session, principal: Principal, job_id: str) -> ExportJob:
    """A job of the caller's practice; a cancelled job, like another practice's, does not exist."""
    job = db.get(ExportJob, job_id) if len(job_id) <= 36 else None
    if job is None or job.practice_id != principal.practice_id or job.status in ("cancelled", "expired"):
        # Another practice's job looks like no job at all, and the probe is on record.
        record(db, principal, "denied", "ExportJob", job_id[:64], outcome="not-found")
        raise not_found("No such export job (cancelled, expired or never made)")
    if not principal.can_export:
        raise FhirError(403, "forbidden", "Only a GP, or a client system given a token, may read exports")
    return job


def cancel(db: Session, principal: Principal, job_id: str, settings: Settings) -> None:
    job = job_for(db, principal, job_id)
    running = job.status == "running"
    job.status = "cancelled"
    job.updated_at = utcnow()
    db.add(job)
    db.flush()
    if not running:  # a running job's worker removes its own files when it notices
        shutil.rmtree(job_dir(settings, job.id), ignore_errors=True)
    record(db, principal, "export", "ExportJob", job.id, detail="cancelled")


def poll(db: Session, job: ExportJob) -> None:
    """A poll of a job in progress; one sooner than the interval Retry-After asks for is refused (429)."""
    now = utcnow()
    if job.status in ("queued", "running"):
        if job.last_polled_at is not None and now - job.last_polled_at < MIN_POLL_INTERVAL:
            raise FhirError(
                429,
                "throttled",
                "Polled too soon: wait the Retry-After seconds between polls",
                headers={"Retry-After": "2"},
            )
        job.last_polled_at = now
        db.add(job)
        db.flush()


def cleanup_expired(engine: Engine, settings: Settings) -> int:
    """Remove the files of exports past their expiry; the job row stays (status expired) for the trail.
    Called on every pass of the worker: a plain read first, so that an idle worker takes no write lock."""
    now = utcnow()
    expired_condition = (job_t.c.status == "done") & (job_t.c.expires_at < now)
    if not _any_claimable(engine, expired_condition):
        return 0
    with transaction(engine) as db:
        conn = db.connection()
        expired = list(conn.execute(select(job_t.c.id).where(expired_condition)).scalars())
        for job_id in expired:
            conn.execute(update(job_t).where(job_t.c.id == job_id).values(status="expired", updated_at=now))
    for job_id in expired:
        shutil.rmtree(job_dir(settings, job_id), ignore_errors=True)
    return len(expired)


def job_dir(settings: Settings, job_id: str) -> Path:
    return Path(settings.export_dir) / job_id


def manifest(job: ExportJob, base: str) -> dict[str, Any]:
    """The completion manifest; file URLs are made absolute for the base the client called."""
    stored = job.manifest or {}
    return {
        "transactionTime": job.transaction_time.isoformat(),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {
                "type": item["type"],
                "url": f"{base}/bulk-files/{job.id}/{item['type']}.ndjson",
                "count": item["count"],
            }
            for item in stored.get("output", [])
        ],
        "error": [],
    }


def output_file(settings: Settings, job: ExportJob, resource_type: str) -> Path:
    if job.status != "done" or not any(
        o["type"] == resource_type for o in (job.manifest or {}).get("output", [])
    ):
        raise not_found(f"No {resource_type} file in this export")
    return job_dir(settings, job.id) / f"{resource_type}.ndjson"


# ---------------------------------------------------------------------------------------------------
# Reading for exports: a long read must not hold SQLite's write lock


@lru_cache(maxsize=8)
def _sqlite_reader(url: str) -> Engine:
    """A second engine on the same SQLite file, without the app engine's BEGIN IMMEDIATE: an export
    reads for seconds or minutes, and in WAL mode a plain read transaction blocks no writer."""
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # transactions are begun explicitly below
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    return engine


@contextmanager
def export_connection(engine: Engine) -> Iterator[Connection]:
    """A connection reading one consistent snapshot of the database, for the whole export."""
    database = engine.url.database
    if is_sqlite(engine) and database and database != ":memory:":
        with _sqlite_reader(engine.url.render_as_string(hide_password=False)).connect() as conn:
            conn.exec_driver_sql("BEGIN")  # deferred: a read snapshot, no lock taken from writers
            try:
                yield conn
            finally:
                conn.rollback()
        return
    options: dict[str, Any] = {} if is_sqlite(engine) else {"isolation_level": "REPEATABLE READ"}
    with engine.connect().execution_options(**options) as conn:
        try:
            yield conn
        finally:
            conn.rollback()


# ---------------------------------------------------------------------------------------------------
# Writing NDJSON


@dataclass(frozen=True)
class OutputFile:
    type: str
    path: Path
    count: int


def write_ndjson(
    conn: Connection,
    scope: sources.Scope,
    types: Sequence[str],
    directory: Path,
    catalog: Catalog,
    on_progress: Callable[[int, str, int], bool] | None = None,
    patients: Sequence[str] = (),
) -> list[OutputFile]:
    """One file per type with at least one resource. `on_progress(type index, type, resources written)`
    is called between types and every CHECK_EVERY resources; returning False stops the export. With
    `patients`, the patients' own types hold only their rows (one patient's compartment after another)."""
    directory.mkdir(parents=True, exist_ok=True)
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    outputs: list[OutputFile] = []
    for index, resource_type in enumerate(types):
        if on_progress and not on_progress(index, resource_type, 0):
            return outputs
        partial = directory / f"{resource_type}.ndjson.part"
        count = 0
        scopes = [scope]
        if patients and resource_type in PATIENT_SCOPED:
            scopes = [replace(scope, patient_id=patient_id) for patient_id in patients]
        with partial.open("wb", buffering=1 << 20) as handle:
            write = handle.write
            for part in scopes:
                for resource in sources.stream(conn, resource_type, part, catalog):
                    write(dumps(resource, option=newline))
                    count += 1
                    if (
                        on_progress
                        and count % CHECK_EVERY == 0
                        and not on_progress(index, resource_type, count)
                    ):
                        return outputs
        if count:
            final = directory / f"{resource_type}.ndjson"
            partial.replace(final)
            outputs.append(OutputFile(resource_type, final, count))
        else:
            partial.unlink()
    return outputs


# ---------------------------------------------------------------------------------------------------
# Claiming and running jobs


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def claim_next(engine: Engine, worker: str) -> str | None:
    """Take one queued (or abandoned) job for this worker; None when there is none. Atomic: two workers
    never run the same job."""
    now = utcnow()
    claimable = (job_t.c.status == "queued") | (
        (job_t.c.status == "running") & (job_t.c.updated_at < now - STALE_AFTER)
    )
    if not _any_claimable(engine, claimable):
        return None
    with transaction(engine) as db:
        conn = db.connection()
        candidates = select(job_t.c.id).where(claimable).order_by(job_t.c.created_at).limit(5)
        if not is_sqlite(engine):
            candidates = candidates.with_for_update(skip_locked=True)
        for job_id in conn.execute(candidates).scalars().all():
            # On SQLite the condition is re-checked by the UPDATE itself: whoever updates first wins.
            claimed = conn.execute(
                update(job_t)
                .where(job_t.c.id == job_id, claimable)
                .values(status="running", claimed_by=worker, progress=0, updated_at=now)
            )
            if claimed.rowcount == 1:
                return job_id
    return None


def _any_claimable(engine: Engine, claimable: Any) -> bool:
    """Whether any job meets the condition. A plain read first: on SQLite the app engine's transactions
    take the write lock, and an idle worker polling every second must not compete with the people using
    the app for it."""
    if not is_sqlite(engine) or not engine.url.database or engine.url.database == ":memory:":
        return True
    reader = _sqlite_reader(engine.url.render_as_string(hide_password=False))
    with reader.connect() as conn:
        return conn.execute(select(job_t.c.id).where(claimable).limit(1)).first() is not None


def _heartbeat(engine: Engine, job_id: str, worker: str, progress: int) -> bool:
    """Record progress; False when the job was cancelled (or taken over) meanwhile."""
    with transaction(engine) as db:
        changed = db.connection().execute(
            update(job_t)
            .where(job_t.c.id == job_id, job_t.c.status == "running", job_t.c.claimed_by == worker)
            .values(progress=progress, updated_at=utcnow())
        )
        return changed.rowcount == 1


def _finish(engine: Engine, job_id: str, worker: str, values: dict[str, Any]) -> bool:
    with transaction(engine) as db:
        changed = db.connection().execute(
            update(job_t)
            .where(job_t.c.id == job_id, job_t.c.status == "running", job_t.c.claimed_by == worker)
            .values(updated_at=utcnow(), **values)
        )
        return changed.rowcount == 1


def run_job(
    engine: Engine,
    settings: Settings,
    job_id: str,
    worker: str,
    catalog: Catalog,
    stop: threading.Event | None = None,
) -> str:
    """Run a claimed job to its end; returns the final status (done, failed, cancelled), or "queued" when
    `stop` was set (the app is shutting down): the job is handed back for another worker."""
    with Session(engine) as db:
        job = db.get(ExportJob, job_id)
        assert job is not None
        params, practice_id = dict(job.params), job.practice_id
    since = datetime.fromisoformat(params["_since"]) if params.get("_since") else None
    scope = sources.Scope(
        practice_id,
        patient_level=params.get("level") != "system",
        since=since,
        observation_where=observation_filter(params.get("_typeFilter") or [], catalog),
    )
    patients = list(params.get("patient") or [])
    types = [t for t in params.get("_type", []) if t in sources.STREAMS]
    directory = job_dir(settings, job_id)
    shutil.rmtree(directory, ignore_errors=True)  # a reclaimed job starts again from scratch

    def progress(index: int, _type: str, _written: int) -> bool:
        if stop is not None and stop.is_set():
            return False
        return _heartbeat(engine, job_id, worker, int(100 * index / max(1, len(types))))

    try:
        with export_connection(engine) as conn:
            # The snapshot is pinned by the first read below: everything committed before this instant
            # is in the files, which is what transactionTime promises (a later _since starts there).
            snapshot_at = utcnow()
            conn.execute(select(job_t.c.id).where(job_t.c.id == job_id)).first()
            outputs = write_ndjson(conn, scope, types, directory, catalog, progress, patients)
        if not progress(len(types), "", 0):
            raise _Cancelled()
    except _Cancelled:
        shutil.rmtree(directory, ignore_errors=True)
        if (
            stop is not None
            and stop.is_set()
            and _finish(engine, job_id, worker, {"status": "queued", "progress": 0})
        ):
            return "queued"
        return "cancelled"
    except Exception as error:  # noqa: BLE001 - any failure is reported to the client, not raised
        log.exception("export job %s failed", job_id)
        shutil.rmtree(directory, ignore_errors=True)
        _finish(
            engine, job_id, worker, {"status": "failed", "error": f"{type(error).__name__}: {error}"[:2000]}
        )
        return "failed"
    stored = {"output": [{"type": o.type, "file": o.path.name, "count": o.count} for o in outputs]}
    done = {
        "status": "done",
        "progress": 100,
        "manifest": stored,
        "transaction_time": snapshot_at,
        "expires_at": utcnow() + EXPIRES_AFTER,
    }
    if not _finish(engine, job_id, worker, done):
        shutil.rmtree(directory, ignore_errors=True)
        return "cancelled"
    return "done"


class _Cancelled(Exception):
    pass


def run_pending(
    engine: Engine, settings: Settings, catalog: Catalog | None = None, stop: threading.Event | None = None
) -> int:
    """Run every claimable job now, in this thread (tests, CLI, the worker's loop); returns how many."""
    catalog = catalog or load_catalog(Path(settings.protocols_dir))
    worker = worker_name()
    cleanup_expired(engine, settings)
    ran = 0
    while not (stop is not None and stop.is_set()) and (job_id := claim_next(engine, worker)) is not None:
        run_job(engine, settings, job_id, worker, catalog, stop)
        ran += 1
    return ran


class ExportWorker:
    """A background thread that runs export jobs; one per app process (several processes may run)."""

    def __init__(self, engine: Engine, settings: Settings, interval: float = 1.0) -> None:
        self.engine = engine
        self.settings = settings
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="fhir-export-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to stop; a job in progress is handed back (queued) at its next checkpoint."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_pending(self.engine, self.settings, stop=self._stop)
            except Exception:  # noqa: BLE001 - the worker must survive a database hiccup
                log.exception("export worker: pass failed")
            self._stop.wait(self.interval)
