"""SQLite's write-ahead log, copied into the database file by a thread of its own.

Left to itself, SQLite does that copy (a checkpoint) inside the commit that takes the log past 1,000
pages: in a practice in use, every dozenth session save paid about 15 ms more for it, which was the
saves' p95. While a checkpointer runs, write transactions leave the copy to it; it runs a passive
checkpoint (which never waits for, nor blocks, a reader or a writer) a moment after the last write
commit, so a burst of saves costs one copy. Idle, it waits without waking. Commits stay as durable as
before: a commit is in the log, synced, before it returns; the copy only moves it.
"""

import logging
import sqlite3
import threading
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

SQLITE_DEFAULT = 1000  # pages after which a commit checkpoints when no checkpointer runs
_RUNNING: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def autocheckpoint_pages(engine: Engine) -> int:
    """What a write transaction of `engine` sets as `wal_autocheckpoint` (0: leave it to the thread)."""
    return 0 if engine in _RUNNING else SQLITE_DEFAULT


class WalCheckpointer:
    def __init__(self, engine: Engine, delay: float = 0.5) -> None:
        """`delay`: how long after a write commit the copy runs; the writes of that moment share it."""
        self.engine = engine
        self.delay = delay
        self._written = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.engine.dialect.name != "sqlite" or self._thread is not None:
            return
        self._stop.clear()
        event.listen(self.engine, "commit", self._on_commit)
        _RUNNING.add(self.engine)
        self._thread = threading.Thread(target=self._loop, name="sqlite-checkpointer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops after a last copy of what was written; commits then checkpoint themselves again."""
        if self._thread is None:
            return
        _RUNNING.discard(self.engine)
        event.remove(self.engine, "commit", self._on_commit)
        self._stop.set()
        self._written.set()
        self._thread.join(timeout)
        self._thread = None

    def checkpoint(self) -> None:
        """One passive checkpoint: copies what no reader still needs from the log; never raises."""
        try:
            raw = self.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
            finally:
                raw.close()
        except (sqlite3.Error, OSError):  # another process's checkpoint, a full disk: the next one retries
            log.warning("checkpoint of the write-ahead log failed", exc_info=True)

    def _on_commit(self, connection: Connection) -> None:
        self._written.set()

    def _loop(self) -> None:
        while True:
            self._written.wait()
            if not self._stop.is_set():
                self._stop.wait(self.delay)  # the writes of the next moment join this copy
            self._written.clear()  # cleared before the copy: a commit during it asks for the next one
            self.checkpoint()
            if self._stop.is_set():
                return
