"""The "known device" cookie: a browser that logged in to an account before is spared the account's
failure count (care/login_throttle.py), so that a stranger failing on purpose cannot lock its owner out."""

import hashlib

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from asalee_track.config import Settings

COOKIE = "asalee_device"


def cookie_name(settings: Settings, name: str) -> str:
    """Over HTTPS a cookie is named ``__Host-…``: browsers then refuse it unless Secure, for this host
    only and for every path, so a sibling subdomain cannot plant or shadow it."""
    return f"__Host-{name}" if settings.https_only else name


LIFETIME = 90 * 24 * 3600  # seconds
MAX_ACCOUNTS = 5  # a shared practice computer remembers its last few users


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key(), salt="known-device")


def _account(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def _accounts(request: Request, settings: Settings) -> list[str]:
    raw = request.cookies.get(cookie_name(settings, COOKIE), "")
    if not raw or len(raw) > 2000:
        return []
    try:
        value = _serializer(settings).loads(raw, max_age=LIFETIME)
    except BadSignature:
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


def knows(request: Request, settings: Settings, email: str) -> bool:
    return _account(email) in _accounts(request, settings)


def remember(response: Response, settings: Settings, email: str, request: Request | None = None) -> None:
    known = [a for a in (_accounts(request, settings) if request else []) if a != _account(email)]
    value = _serializer(settings).dumps([_account(email), *known][:MAX_ACCOUNTS])
    response.set_cookie(
        cookie_name(settings, COOKIE),
        value,
        max_age=LIFETIME,
        httponly=True,
        samesite="lax",
        secure=settings.https_only,
    )
