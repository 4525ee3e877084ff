"""SQLite's write-ahead log is copied into the database file by a thread beside the app, not by the commit
that takes the log past SQLite's threshold: that commit was a request, and paid about 15 ms for the copy
(every dozenth session save, the saves' p95)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine

from asalee_track.store.db import make_engine
from asalee_track.store.wal import WalCheckpointer

PAGE = 4096


def _fill(engine: Engine, pages: int) -> None:
    """`pages` pages written in commits of 50, as a run of saves would."""
    for _ in range(pages // 50):
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO filler (data) VALUES (randomblob(?))", (50 * PAGE,))


def _database(tmp_path: Path) -> tuple[Engine, Path]:
    path = tmp_path / "practice.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE filler (data BLOB)")
    return engine, path


@contextmanager
def _running(engine: Engine, delay: float) -> Iterator[WalCheckpointer]:
    checkpointer = WalCheckpointer(engine, delay=delay)
    checkpointer.start()
    try:
        yield checkpointer
    finally:
        checkpointer.stop()
        engine.dispose()


def test_no_commit_copies_the_log_while_the_checkpointer_runs(tmp_path: Path) -> None:
    engine, path = _database(tmp_path)
    with _running(engine, delay=3600) as checkpointer:  # started, but not copying during the test
        before = path.stat().st_size
        _fill(engine, 1500)  # past the 1,000 pages after which a commit would copy the log itself
        assert path.stat().st_size == before  # every page written is still in the log only
        checkpointer.checkpoint()
        assert path.stat().st_size > before + 1400 * PAGE


def test_the_checkpointer_copies_the_log_a_moment_after_a_write(tmp_path: Path) -> None:
    engine, path = _database(tmp_path)
    with _running(engine, delay=0.05):
        before = path.stat().st_size
        _fill(engine, 100)
        deadline = time.monotonic() + 10
        while path.stat().st_size < before + 90 * PAGE and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.stat().st_size >= before + 90 * PAGE


def test_once_stopped_commits_copy_the_log_themselves_again(tmp_path: Path) -> None:
    engine, path = _database(tmp_path)
    checkpointer = WalCheckpointer(engine, delay=3600)
    checkpointer.start()
    checkpointer.stop()
    before = path.stat().st_size
    _fill(engine, 1500)
    assert path.stat().st_size > before + 900 * PAGE  # the log never grows without bound
    engine.dispose()
