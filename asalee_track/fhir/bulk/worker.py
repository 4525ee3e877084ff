"""The background thread that runs export jobs, one per app process (several processes may run).

It sleeps until a kick-off in this process commits a job (or until it is stopped), so that an idle
server does no work; a long fallback wait picks up jobs queued by other processes without a worker of
their own, jobs abandoned by a process that died, and files past their expiry."""

import logging
import threading

from sqlalchemy.engine import Engine

from asalee_track.config import Settings
from asalee_track.fhir.bulk import wakeup
from asalee_track.fhir.bulk.jobs import run_pending

log = logging.getLogger(__name__)

FALLBACK_WAIT = 60.0  # seconds between passes when no kick-off wakes the worker


class ExportWorker:
    def __init__(self, engine: Engine, settings: Settings, interval: float = FALLBACK_WAIT) -> None:
        """`interval`: the fallback wait between passes when no kick-off of this process wakes it."""
        self.engine = engine
        self.settings = settings
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        wakeup.register(self._wake)
        self._thread = threading.Thread(target=self._loop, name="fhir-export-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to stop; a job in progress is handed back (queued) at its next checkpoint."""
        self._stop.set()
        self._wake.set()
        wakeup.unregister(self._wake)
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_pending(self.engine, self.settings, stop=self._stop)
            except Exception:  # noqa: BLE001 - the worker must survive a database hiccup
                log.exception("export worker: pass failed")
            # Cleared before waiting would lose a kick-off committed during the pass: cleared after.
            self._wake.wait(self.interval)
            self._wake.clear()
