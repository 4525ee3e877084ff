"""Export jobs in the database: kick-off, polling, cancelling, the manifest, and running a job.

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
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from asalee_track.config import Settings
from asalee_track.fhir import sources
from asalee_track.fhir.access import Principal, record
from asalee_track.fhir.bulk import wakeup
from asalee_track.fhir.bulk.ndjson import export_connection, sqlite_reader, write_ndjson
from asalee_track.fhir.bulk.request import ExportRequest
from asalee_track.fhir.catalog import Catalog, load_catalog
from asalee_track.fhir.errors import FhirError, bad_request, not_found
from asalee_track.store.db import is_sqlite, transaction
from asalee_track.store.tables import ExportJob
from asalee_track.store.types import utcnow

log = logging.getLogger(__name__)

EXPIRES_AFTER = timedelta(hours=24)  # files are served this long after the export ends, then removed
MIN_POLL_INTERVAL = timedelta(seconds=1)  # Retry-After says 2 s: a client polling twice as fast gets 429
STALE_AFTER = timedelta(minutes=5)  # a running job without a heartbeat for this long is reclaimed
job_t = ExportJob.__table__  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------
# What clients do


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
    wakeup.after_commit(db)  # this process's worker starts on it as soon as the job is committed
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
    take the write lock, and a worker looking for work must not compete with the people using the app
    for it."""
    if not is_sqlite(engine) or not engine.url.database or engine.url.database == ":memory:":
        return True
    reader = sqlite_reader(engine.url.render_as_string(hide_password=False))
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
        request, practice_id = ExportRequest.from_params(dict(job.params)), job.practice_id
    scope = request.scope(practice_id, catalog)
    types = request.types
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
            outputs = write_ndjson(conn, scope, types, directory, catalog, progress, request.patients)
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
