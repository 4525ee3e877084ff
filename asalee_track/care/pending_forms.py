"""A form posted after its author's login expired is kept, so that a 40-minute session typed by a nurse
is not lost at the login page. It is handed back only to the same user, once, within a day."""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from asalee_track.store.tables import PendingForm
from asalee_track.store.types import utcnow

KEPT_FOR = timedelta(hours=24)
MAX_FIELDS = 500


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keep(db: Session, user_id: int, path: str, fields: list[tuple[str, str]]) -> str:
    """Store what was posted; the token for the browser's cookie."""
    db.exec(delete(PendingForm).where(col(PendingForm.created_at) < utcnow() - KEPT_FOR))
    token = secrets.token_urlsafe(24)
    db.add(
        PendingForm(
            token_hash=_hash(token),
            user_id=user_id,
            path=path[:500],
            fields=[[name, value] for name, value in fields[:MAX_FIELDS]],
        )
    )
    db.flush()
    return token


def take(db: Session, token: str, user_id: int) -> PendingForm | None:
    """The kept form, if it is this user's and still fresh; it is removed either way once looked at."""
    if not token or len(token) > 100:
        return None
    row = db.exec(select(PendingForm).where(PendingForm.token_hash == _hash(token))).first()
    if row is None:
        return None
    db.delete(row)
    if row.user_id != user_id or utcnow() - row.created_at > KEPT_FOR:
        return None
    return row
