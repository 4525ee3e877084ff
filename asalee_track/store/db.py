"""Engine and sessions. SQLite gets WAL, foreign keys and IMMEDIATE transactions whose writers queue (see
write_queue); PostgreSQL is used as is."""

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from asalee_track.store.wal import autocheckpoint_pages
from asalee_track.store.write_queue import QueuedWriterConnection

READ_ONLY = "asalee_read_only"
IN_LIST = 500  # ids per IN list: older SQLite builds take at most 999 parameters a statement


def in_lists(ids: Sequence[str]) -> Iterator[list[str]]:
    """``ids`` cut into bounded IN lists, in order."""
    for start in range(0, len(ids), IN_LIST):
        yield list(ids[start : start + IN_LIST])


def read_only(engine: Engine) -> Engine:
    """The same database for transactions that only read: SQLite begins them deferred and refuses
    their writes (query_only); PostgreSQL runs them READ ONLY."""
    if is_sqlite(engine):
        return engine.execution_options(**{READ_ONLY: True})
    return engine.execution_options(postgresql_readonly=True)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, immediate: bool = True) -> Engine:
    """`immediate=False` is for read-only inspection (tests, reports): it never takes SQLite's write lock."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # psycopg prepares a statement after a few runs, and PostgreSQL may then switch it to a generic
        # plan. For "this patient's observations" that plan scans a million rows (measured: 1.2 s instead
        # of 1 ms). Planning each execution costs about a millisecond and keeps the index.
        return create_engine(
            url, pool_pre_ping=True, connect_args={"options": "-c plan_cache_mode=force_custom_plan"}
        )
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    connect_args: dict[str, object] = {"check_same_thread": False, "timeout": 30}
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args["factory"] = QueuedWriterConnection
    engine = create_engine(url, connect_args=connect_args)
    _configure_sqlite(engine, immediate)
    return engine


def _configure_sqlite(engine: Engine, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # FULL: with WAL, NORMAL keeps every commit through a crash of the process but may lose the last
        # ones on a power cut; an acknowledged save must survive both.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    if not immediate:
        return

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A read transaction (see read_only) takes no lock and may not write, so readers never queue
        # behind each other or behind a writer. A write transaction takes the write lock up front,
        # which avoids the SQLITE_BUSY_SNAPSHOT a deferred read-then-write transaction can hit.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("PRAGMA query_only=ON")
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("PRAGMA query_only=OFF")
            connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={autocheckpoint_pages(engine)}")
            driver = connection.connection.driver_connection
            if isinstance(driver, QueuedWriterConnection):
                driver.begin_write()
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def refresh_statistics(engine: Engine) -> None:
    """SQLite plans queries from statistics it only gathers when asked: without them it may answer
    "this patient's sessions" by scanning the whole practice's (measured: 500 ms instead of 20 ms).
    ANALYZE once when there are none, then PRAGMA optimize, which re-analyses the tables that grew."""
    if not is_sqlite(engine):
        return
    with engine.begin() as connection:
        has_stats = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).first()
        if not has_stats:
            connection.exec_driver_sql("ANALYZE")
        connection.exec_driver_sql("PRAGMA optimize")
