"""Waking this process's export workers when a kick-off commits, so that an idle worker sleeps instead
of polling the database."""

import threading
import weakref

from sqlalchemy import event
from sqlmodel import Session

_KICKED = "asalee_export_kicked"
_waiting: "weakref.WeakSet[threading.Event]" = weakref.WeakSet()
_lock = threading.Lock()


def register(wake: threading.Event) -> None:
    with _lock:
        _waiting.add(wake)


def unregister(wake: threading.Event) -> None:
    with _lock:
        _waiting.discard(wake)


def notify() -> None:
    with _lock:
        events = list(_waiting)
    for wake in events:
        wake.set()


def after_commit(db: Session) -> None:
    """Notify once `db`'s transaction commits: a worker woken earlier would not see the job yet."""
    db.info[_KICKED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_KICKED, False):
        notify()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_KICKED, None)
