"""SQLite's writers queue on `<database>-writers`, a lock the kernel hands on as soon as it is free: a
writer that found SQLite's own lock taken slept and retried, up to 100 ms at a time."""

import fcntl
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from asalee_track.store.db import make_engine, read_only


@pytest.fixture
def database(tmp_path: Path) -> tuple[Engine, Path]:
    path = tmp_path / "practice.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE note (text TEXT)")
    yield engine, Path(f"{path}-writers")
    engine.dispose()


def _free(lock: Path) -> bool:
    """Whether another process's writer would get in now."""
    descriptor = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # closing drops the lock taken above
    return True


def test_a_write_transaction_holds_the_writers_lock_until_its_commit_returns(database) -> None:  # type: ignore[no-untyped-def]
    engine, lock = database
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.exec_driver_sql("INSERT INTO note VALUES ('kept')")
        assert not _free(lock)
        transaction.commit()
        assert _free(lock)
    with engine.connect() as connection:  # committed before the lock was handed on
        assert connection.exec_driver_sql("SELECT text FROM note").scalar() == "kept"


def test_a_rolled_back_write_hands_the_lock_on(database) -> None:  # type: ignore[no-untyped-def]
    engine, lock = database
    with pytest.raises(RuntimeError), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO note VALUES ('dropped')")
        raise RuntimeError("the request failed")
    assert _free(lock)


def test_a_read_never_waits_for_the_writers(database) -> None:  # type: ignore[no-untyped-def]
    engine, lock = database
    with engine.connect() as writer:
        writer.begin()
        writer.exec_driver_sql("INSERT INTO note VALUES ('pending')")
        with read_only(engine).connect() as reader:
            assert reader.exec_driver_sql("SELECT count(*) FROM note").scalar() == 0
        assert not _free(lock)
        writer.rollback()
