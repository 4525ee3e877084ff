"""SQLite's writers, of every thread and process, queue on a lock file the kernel hands on at once.

SQLite lets one writer at a time in; a writer that finds the lock taken sleeps and tries again, its
sleeps growing to 100 ms. With every request writing (a save, or the audit rows of a read), 8 clients
spent most of their time asleep, and a second server process brought almost nothing (1.06 times one).
Here each connection takes an exclusive `flock` on `<database>-writers` before `BEGIN IMMEDIATE` and
releases it once its COMMIT or ROLLBACK has returned: a waiting writer blocks in the kernel, without
the GIL, and is woken as soon as the lock is free. SQLite's own lock still guards the database, for
processes that do not take part (another tool opening the file) and where `fcntl` does not exist.
"""

import os
import sqlite3
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows: SQLite's own lock alone makes writers take turns there
    fcntl = None  # type: ignore[assignment]


class QueuedWriterConnection(sqlite3.Connection):
    """The sqlite3 connection of a database file (`factory` of `sqlite3.connect`)."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._lock_path = f"{database}-writers"
        self._lock_fd: int | None = None
        self._locked = False

    def begin_write(self) -> None:
        """Waits for this database's writers ahead of it; the caller then runs BEGIN IMMEDIATE."""
        if fcntl is None:
            return
        if self._lock_fd is None:
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._locked = True

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _release(self) -> None:
        if self._locked and fcntl is not None and self._lock_fd is not None:
            self._locked = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
