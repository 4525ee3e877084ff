"""Growing delays after failed logins (OWASP ASVS 2.2.1), counted in the database for every worker.

Three counts over the window, each with its own allowance before delays start:

* this email from this address: a person mistyping, or someone guessing one account;
* this address, whatever the email: a client spraying one password over many accounts;
* this email from anywhere: guessing one account from many addresses. A browser that has logged in to
  the account before carries a signed "known device" cookie and is spared this count, so that a
  stranger failing on purpose cannot keep a nurse out of her practice.

Past its allowance, each failure doubles the wait before the next try is even checked: 30 s, 1 min,
2 min... up to the window. Failures older than the window are purged, so the table stays small."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete
from sqlmodel import Session, col, func, select

from asalee_track.store.tables import LoginAttempt
from asalee_track.store.types import utcnow

FIRST_DELAY = timedelta(seconds=30)


@dataclass(frozen=True)
class Policy:
    per_account_and_client: int = 5
    per_client: int = 20
    per_account: int = 10
    window: timedelta = timedelta(minutes=15)


def _wait(counted: tuple[int, datetime | None], allowance: int, now: datetime, window: timedelta) -> float:
    failures, last = counted
    if failures < allowance or last is None:
        return 0.0
    doubling: int = 2 ** (failures - allowance)
    delay = min(FIRST_DELAY * doubling, window)
    return max(0.0, (last + delay - now).total_seconds())


def _count(db: Session, since: datetime, *conditions: ColumnElement[bool]) -> tuple[int, datetime | None]:
    row = db.exec(
        select(func.count(), func.max(LoginAttempt.at)).where(col(LoginAttempt.at) >= since, *conditions)
    ).one()
    last = row[1]
    if last is not None and last.tzinfo is None:  # SQLite's max() loses the column's type
        last = datetime.fromisoformat(str(last)).replace(tzinfo=utcnow().tzinfo)
    elif isinstance(last, str):
        last = datetime.fromisoformat(last)
    return int(row[0]), last


def retry_after(db: Session, policy: Policy, email: str, client: str, known_device: bool) -> int:
    """Seconds before this login may be checked; 0 when it may be now."""
    now = utcnow()
    since = now - policy.window
    counts = [
        (
            policy.per_account_and_client,
            (col(LoginAttempt.email) == email, col(LoginAttempt.client) == client),
        ),
        (policy.per_client, (col(LoginAttempt.client) == client,)),
    ]
    if not known_device:
        counts.append((policy.per_account, (col(LoginAttempt.email) == email,)))
    waits = [_wait(_count(db, since, *where), allowance, now, policy.window) for allowance, where in counts]
    return math.ceil(max(waits))


def record_failure(db: Session, policy: Policy, email: str, client: str) -> None:
    db.exec(delete(LoginAttempt).where(col(LoginAttempt.at) < utcnow() - policy.window))
    db.add(LoginAttempt(email=email[:254], client=client[:64]))


def forget(db: Session, email: str) -> None:
    """A successful login clears the account's failures."""
    db.exec(delete(LoginAttempt).where(col(LoginAttempt.email) == email))
