"""SMART Backend Services (SMART App Launch 2, "backend services"): clients registered by a practice's
administrator with their public JWKS, the client_credentials grant with a signed JWT assertion, and the
short-lived access tokens it yields.

The JOSE work (parsing, signature, algorithms) is joserfc's; this module decides what to accept: RS384 or
ES384 only, the registered client as issuer and subject, this token endpoint as audience, an expiry at
most five minutes ahead, a jti never seen before, and scopes within what the client was granted. Every
refusal is audited and raised as `Refused` with the status and message the token endpoint answers.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from asalee_track.care import audit
from asalee_track.care.actor import Actor
from asalee_track.care.errors import CareError, Forbidden, Invalid, NotFound
from asalee_track.i18n import N_
from asalee_track.store.tables import SmartAccessToken, SmartAssertion, SmartClient
from asalee_track.store.types import utcnow

ALGORITHMS = ["RS384", "ES384"]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PREFIX = "sat_"  # tells a SMART access token from a static API token (asl_)
TOKEN_LIFETIME = timedelta(minutes=5)
MAX_ASSERTION_LIFETIME = timedelta(minutes=5)  # SMART: exp no more than five minutes in the future
CLOCK_SKEW = timedelta(seconds=30)
# Scopes an administrator grants in one click (narrower ones may be typed): this server only reads.
GRANTS = ("system/*.read", "system/*.rs")
_SCOPE = re.compile(r"^system/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|[cruds]{1,5})$")


class Refused(CareError):
    """A token request refused: `status` 400, 401 or 403, and the OAuth error code beside the message."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---------------------------------------------------------------------------------------------------
# Scopes


@dataclass(frozen=True)
class Scope:
    resource_type: str  # a type or "*"
    read: bool
    search: bool


def parse_scope(text: str) -> Scope | None:
    """system/Type.read (v1) or system/Type.rs (v2); None for anything else, a write scope included."""
    match = _SCOPE.match(text)
    if match is None:
        return None
    kind, access = match.groups()
    if access == "write":
        return None
    if access in ("read", "*"):
        read = search = True
        writes = access == "*"
    else:
        read, search = "r" in access, "s" in access
        writes = any(letter in access for letter in "cud")
    if writes:
        return None
    return Scope(kind, read, search)


def scopes_allow(scopes: str, resource_type: str, interaction: str) -> bool:
    """interaction: "r" (read) or "s" (search)."""
    for text in scopes.split():
        scope = parse_scope(text)
        if scope and scope.resource_type in ("*", resource_type):
            if (interaction == "r" and scope.read) or (interaction == "s" and scope.search):
                return True
    return False


def _within(requested: Scope, granted: str) -> bool:
    for text in granted.split():
        scope = parse_scope(text)
        if (
            scope
            and scope.resource_type in ("*", requested.resource_type)
            and (scope.read or not requested.read)
            and (scope.search or not requested.search)
        ):
            return True
    return False


# ---------------------------------------------------------------------------------------------------
# Registration (administrators)


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden()


def _public_jwks(raw: str) -> dict[str, Any] | None:
    """The JWKS as typed, if it is one with public RSA or EC keys only, each with a kid."""
    try:
        document = orjson.loads(raw)
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list) or not keys:
            return None
        if any(
            not isinstance(k, dict) or k.get("kty") not in ("RSA", "EC") or not k.get("kid") for k in keys
        ):
            return None
        if any(private in k for k in keys for private in ("d", "p", "q", "dp", "dq", "qi")):
            return None
        KeySet.import_key_set(document)
    except (orjson.JSONDecodeError, ValueError, TypeError, JoseError, AttributeError):
        return None
    return {"keys": keys}


def register(db: Session, actor: Actor, name: str, jwks: str, scopes: str) -> SmartClient:
    _require_admin(actor)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = (N_("Required."), {})
    elif len(name) > 100:
        errors["name"] = (N_("At most %(n)s characters."), {"n": 100})
    keys = _public_jwks(jwks)
    if keys is None:
        errors["jwks"] = (
            N_("Paste the client's public JWKS (RSA or EC keys, each with a kid, no private key)."),
            {},
        )
    scopes = " ".join(scopes.split())
    if not scopes or len(scopes) > 500 or any(parse_scope(s) is None for s in scopes.split()):
        errors["scopes"] = (
            N_("Give read scopes separated by spaces, such as system/*.read or system/Observation.rs."),
            {},
        )
    if errors:
        raise Invalid(errors)
    client = SmartClient(
        practice_id=actor.practice_id,
        client_id=secrets.token_urlsafe(18),
        name=name,
        jwks=keys or {},
        scopes=scopes,
        created_by=actor.user_id,
    )
    db.add(client)
    db.flush()
    audit.record(db, actor, "create", "SmartClient", client.id, detail=f"{name}: {scopes}")
    return client


def list_clients(db: Session, actor: Actor) -> list[SmartClient]:
    _require_admin(actor)
    query = select(SmartClient).where(SmartClient.practice_id == actor.practice_id)
    return list(db.exec(query.order_by(col(SmartClient.id).desc())).all())


def revoke(db: Session, actor: Actor, client_id: int) -> SmartClient:
    _require_admin(actor)
    client = db.get(SmartClient, client_id)
    if client is None or client.practice_id != actor.practice_id:
        raise NotFound()
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        db.add(client)
        db.flush()
        audit.record(db, actor, "update", "SmartClient", client.id, detail="revoked")
    return client


# ---------------------------------------------------------------------------------------------------
# The token endpoint


@dataclass(frozen=True)
class Issued:
    access_token: str
    expires_in: int
    scope: str
    client: SmartClient


def _refuse(db: Session, client: SmartClient | None, status: int, error: str, message: str) -> Refused:
    audit.record(
        db,
        None,
        "denied",
        "SmartClient",
        client.id if client else None,
        outcome="failure",
        detail=f"token request refused: {message}"[:500],
        practice_id=client.practice_id if client else None,
    )
    return Refused(status, error, message)


def issue_token(db: Session, form: dict[str, str], token_url: str) -> Issued:
    """client_credentials with a JWT assertion → an access token. Raises Refused (audited)."""
    if form.get("grant_type") != "client_credentials":
        raise _refuse(db, None, 400, "unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise _refuse(db, None, 400, "invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
    assertion = form.get("client_assertion", "")
    try:
        unverified = jws.extract_compact(assertion.encode())
        claims = _json(unverified.payload)
        header = unverified.protected
    except (JoseError, ValueError, TypeError):
        raise _refuse(db, None, 401, "invalid_client", "the client assertion is not a JWT") from None
    issuer = claims.get("iss")
    client = (
        db.exec(select(SmartClient).where(SmartClient.client_id == issuer)).first()
        if isinstance(issuer, str) and len(issuer) <= 64
        else None
    )
    if client is None or client.revoked_at is not None:
        raise _refuse(db, client, 401, "invalid_client", "unknown or revoked client")
    if header.get("alg") not in ALGORITHMS:
        raise _refuse(db, client, 401, "invalid_client", "the assertion must be signed with RS384 or ES384")
    try:
        token = jwt.decode(
            assertion, KeySet.import_key_set({"keys": client.jwks["keys"]}), algorithms=ALGORITHMS
        )
    except JoseError:
        raise _refuse(
            db, client, 401, "invalid_client", "the assertion's signature does not verify"
        ) from None
    claims = token.claims
    now = utcnow()
    expiry = claims.get("exp")
    if claims.get("sub") != client.client_id:
        raise _refuse(db, client, 401, "invalid_client", "sub must be the client_id")
    if claims.get("aud") != token_url and not (
        isinstance(claims.get("aud"), list) and token_url in claims["aud"]
    ):
        raise _refuse(db, client, 401, "invalid_client", f"aud must be the token endpoint {token_url}")
    if not isinstance(expiry, int | float):
        raise _refuse(db, client, 401, "invalid_client", "the assertion needs an exp")
    expires = datetime.fromtimestamp(expiry, now.tzinfo)
    if expires < now - CLOCK_SKEW:
        raise _refuse(db, client, 401, "invalid_client", "the assertion has expired")
    if expires > now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW:
        raise _refuse(db, client, 401, "invalid_client", "exp may be at most five minutes ahead")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise _refuse(db, client, 401, "invalid_client", "the assertion needs a jti")
    requested = form.get("scope", "").split()
    if not requested:
        raise _refuse(db, client, 400, "invalid_scope", "ask for a scope, e.g. system/*.read")
    for text in requested:
        scope = parse_scope(text)
        if scope is None:
            raise _refuse(
                db, client, 403, "invalid_scope", f"{text[:80]} is not granted here (read-only server)"
            )
        if not _within(scope, client.scopes):
            raise _refuse(
                db, client, 403, "invalid_scope", f"{text[:80]} is wider than granted ({client.scopes})"
            )
    _remember(db, client, jti, expires)
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    scope_text = " ".join(requested)
    db.add(
        SmartAccessToken(
            client_id=client.id or 0,
            practice_id=client.practice_id,
            token_hash=_hash(clear),
            scopes=scope_text,
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    db.flush()
    audit.record(
        db,
        None,
        "login",
        "SmartClient",
        client.id,
        detail=f"access token issued: {scope_text}"[:500],
        practice_id=client.practice_id,
    )
    return Issued(clear, int(TOKEN_LIFETIME.total_seconds()), scope_text, client)


def _json(payload: bytes) -> dict[str, Any]:
    claims = orjson.loads(payload)
    if not isinstance(claims, dict):
        raise ValueError("claims")
    return claims


def _remember(db: Session, client: SmartClient, jti: str, expires: datetime) -> None:
    """Record the jti; one already recorded is a replay. Expired records are dropped as we go."""
    db.execute(delete(SmartAssertion).where(col(SmartAssertion.expires_at) < utcnow() - CLOCK_SKEW))
    seen = db.exec(
        select(SmartAssertion).where(SmartAssertion.client_id == client.id, SmartAssertion.jti == jti)
    ).first()
    if seen is not None:
        raise _refuse(db, client, 401, "invalid_client", "this assertion (jti) was already used")
    try:
        with db.begin_nested():
            db.add(SmartAssertion(client_id=client.id or 0, jti=jti, expires_at=expires + CLOCK_SKEW))
            db.flush()
    except IntegrityError:  # the same assertion sent twice at once: one of the two wins
        raise _refuse(db, client, 401, "invalid_client", "this assertion (jti) was already used") from None


@dataclass(frozen=True)
class AccessAuth:
    client: SmartClient
    scopes: str


def authenticate(db: Session, clear: str) -> AccessAuth | None:
    """The client and scopes of a live access token; None when unknown, expired or its client revoked."""
    token = db.exec(select(SmartAccessToken).where(SmartAccessToken.token_hash == _hash(clear))).first()
    client = db.get(SmartClient, token.client_id) if token else None
    if token is None or client is None or client.revoked_at is not None or token.expires_at <= utcnow():
        audit.record(
            db,
            None,
            "denied",
            "SmartAccessToken",
            token.id if token else None,
            outcome="failure",
            detail="expired" if token else "unknown access token",
            practice_id=token.practice_id if token else None,
        )
        return None
    return AccessAuth(client, token.scopes)
