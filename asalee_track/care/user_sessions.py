"""Logins kept server-side. The browser holds a random token; the database holds its hash, who it is,
when it started, when it was last used and when it ended. Logging out, "log out everywhere", a password
change and a deactivated account end sessions at once, wherever their cookies are.

A session ends by itself after ``idle`` without a request (the limit slides with activity) and in any
case ``absolute`` after it started. ``last_seen_at`` is written at most once a minute, so that a page of
reads does not turn into a page of writes."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from asalee_track.care import audit
from asalee_track.care.actor import Actor
from asalee_track.care.errors import NotFound
from asalee_track.store.tables import User, UserSession
from asalee_track.store.types import utcnow

TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta


def open_session(db: Session, user: User, client: str) -> str:
    """A new login for ``user``: the row, and the token for the cookie (shown nowhere else)."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    db.add(UserSession(token_hash=_hash(token), user_id=user.id, client=client[:200]))
    db.flush()
    return token


@dataclass(frozen=True)
class Resolved:
    user: User
    session: UserSession
    touch: bool  # last seen long enough ago to be written again


def resolve(db: Session, token: str, limits: Limits, now: datetime | None = None) -> Resolved | None:
    """The open session behind a cookie's token and its active user, or None (ended, expired, unknown)."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    row = db.exec(
        select(UserSession, User)
        .join(User, col(User.id) == UserSession.user_id)
        .where(UserSession.token_hash == _hash(token), col(UserSession.ended_at).is_(None))
    ).first()
    if row is None:
        return None
    session, user = row
    if (
        not user.active
        or now - session.last_seen_at > limits.idle
        or now - session.created_at > limits.absolute
    ):
        return None
    return Resolved(user, session, touch=now - session.last_seen_at >= TOUCH_EVERY)


def expired_user(db: Session, token: str) -> int | None:
    """Whose session this token was, ended or not: a form posted after expiry is kept for them only."""
    if not token or len(token) > 100:
        return None
    return db.exec(select(UserSession.user_id).where(UserSession.token_hash == _hash(token))).first()


def touch(db: Session, session_id: int, now: datetime | None = None) -> None:
    db.exec(update(UserSession).where(col(UserSession.id) == session_id).values(last_seen_at=now or utcnow()))


def end(db: Session, token: str, reason: str) -> None:
    db.exec(
        update(UserSession)
        .where(col(UserSession.token_hash) == _hash(token), col(UserSession.ended_at).is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )


def end_all(db: Session, user_id: int, reason: str, keep: int | None = None) -> int:
    """End every open session of the user (but ``keep``); how many were ended."""
    query = update(UserSession).where(
        col(UserSession.user_id) == user_id, col(UserSession.ended_at).is_(None)
    )
    if keep is not None:
        query = query.where(col(UserSession.id) != keep)
    result = db.exec(query.values(ended_at=utcnow(), ended_reason=reason))
    return int(result.rowcount or 0)


def open_sessions(db: Session, user_id: int, limits: Limits) -> list[UserSession]:
    now = utcnow()
    rows = db.exec(
        select(UserSession)
        .where(UserSession.user_id == user_id, col(UserSession.ended_at).is_(None))
        .order_by(col(UserSession.last_seen_at).desc())
    ).all()
    return [r for r in rows if now - r.last_seen_at <= limits.idle and now - r.created_at <= limits.absolute]


def end_one(db: Session, actor: Actor, session_id: int) -> None:
    """The account page ends one of the user's own sessions (a forgotten computer)."""
    row = db.get(UserSession, session_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound()
    if row.ended_at is None:
        row.ended_at, row.ended_reason = utcnow(), "ended-by-user"
        db.add(row)
    audit.record(db, actor, "logout", "user", actor.user_id, detail=f"session {session_id} ended")
