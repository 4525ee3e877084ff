"""Writing an export: one consistent read snapshot, one NDJSON file per resource type, streamed row by
row (nothing of the export is held in memory)."""

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

from asalee_track.fhir import sources
from asalee_track.fhir.bulk import rows
from asalee_track.fhir.bulk.request import PATIENT_SCOPED
from asalee_track.fhir.catalog import Catalog
from asalee_track.store.db import is_sqlite

CHECK_EVERY = 5000  # resources between heartbeats and cancellation checks (at the next batch's end)


# ---------------------------------------------------------------------------------------------------
# Reading for exports: a long read must not hold SQLite's write lock


@lru_cache(maxsize=8)
def sqlite_reader(url: str) -> Engine:
    """A second engine on the same SQLite file, without the app engine's BEGIN IMMEDIATE: an export
    reads for seconds or minutes, and in WAL mode a plain read transaction blocks no writer."""
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun explicitly below
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    return engine


@contextmanager
def export_connection(engine: Engine) -> Iterator[Connection]:
    """A connection reading one consistent snapshot of the database, for the whole export."""
    database = engine.url.database
    if is_sqlite(engine) and database and database != ":memory:":
        with sqlite_reader(engine.url.render_as_string(hide_password=False)).connect() as conn:
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
    is called between types and about every CHECK_EVERY resources; returning False stops the export. With
    `patients`, the patients' own types hold only their rows (one patient's compartment after another)."""
    directory.mkdir(parents=True, exist_ok=True)
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
            write, join = handle.write, b"".join
            reported = 0  # resources when on_progress was last called
            for part in scopes:
                for batch in rows.batches(conn, resource_type, part, catalog):
                    write(join(batch))
                    count += len(batch)
                    if on_progress and count - reported >= CHECK_EVERY:
                        reported = count
                        if not on_progress(index, resource_type, count):
                            return outputs
        if count:
            final = directory / f"{resource_type}.ndjson"
            partial.replace(final)
            outputs.append(OutputFile(resource_type, final, count))
        else:
            partial.unlink()
    return outputs
