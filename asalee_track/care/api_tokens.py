"""API tokens for FHIR clients: created by a practice's administrator, scoped to that practice, revocable.

The clear token is shown once, at creation; only its SHA-256 is stored (a token is long and random, so a
fast hash is enough: there is nothing to brute-force). Creation, revocation and refused tokens are audited;
each use is audited by the FHIR access it serves.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select, update

from asalee_track.care import audit
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.care.inputs import check_text
from asalee_track.i18n import N_
from asalee_track.store.tables import ApiToken, Practice
from asalee_track.store.types import utcnow

PREFIX = "asl_"  # recognisable in logs and secret scanners
# Writing last_used_at on every request would turn each read into a write of the token row; once a
# minute says as much to an administrator.
LAST_USED_PRECISION = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden()


def create(db: Session, actor: Actor, name: str) -> tuple[ApiToken, str]:
    """A new token for the actor's practice: the row, and the clear token to show once."""
    _require_admin(actor)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    name = check_text(errors, "name", name, 1000) or ""
    if not name:
        raise Invalid(errors or {"name": (N_("Required."), {})})
    if len(name) > 100:
        raise Invalid({"name": (N_("At most %(n)s characters."), {"n": 100})})
    clear = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        practice_id=actor.practice_id, name=name, token_hash=_hash(clear), created_by=actor.user_id
    )
    db.add(token)
    db.flush()
    audit.record(db, actor, "create", "ApiToken", token.id, detail=name)
    return token, clear


def list_tokens(db: Session, actor: Actor) -> list[ApiToken]:
    _require_admin(actor)
    return list(
        db.exec(
            select(ApiToken)
            .where(ApiToken.practice_id == actor.practice_id)
            .order_by(col(ApiToken.id).desc())
        ).all()
    )


def revoke(db: Session, actor: Actor, token_id: int) -> ApiToken:
    _require_admin(actor)
    token = db.get(ApiToken, token_id)
    if token is None or token.practice_id != actor.practice_id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.add(token)
        db.flush()
        audit.record(db, actor, "update", "ApiToken", token.id, detail="revoked")
    return token


@dataclass(frozen=True)
class TokenAuth:
    token: ApiToken
    practice: Practice
    needs_touch: bool = False  # last used long enough ago to be written again


def authenticate(db: Session, clear: str) -> TokenAuth | None:
    """The token's row and practice, or None for an unknown or revoked token (audited as denied)."""
    token = db.exec(select(ApiToken).where(ApiToken.token_hash == _hash(clear))).first() if clear else None
    if token is None or token.revoked_at is not None:
        audit.record(
            db,
            None,
            "denied",
            "ApiToken",
            token.id if token else None,
            outcome="revoked" if token else "unknown-token",
            practice_id=token.practice_id if token else None,
        )
        return None
    practice = db.get(Practice, token.practice_id)
    if practice is None:
        return None
    now = utcnow()
    stale = token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION
    return TokenAuth(token, practice, needs_touch=stale)


def touch(db: Session, token_id: int) -> None:
    """Record that a token was used (the caller decides when: a read request writes after reading)."""
    db.exec(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=utcnow()))
