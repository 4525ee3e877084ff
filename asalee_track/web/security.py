"""Session cookie contents and CSRF protection."""

import secrets

from fastapi import Request
from starlette.datastructures import UploadFile

from asalee_track.care.errors import Forbidden

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
API_PREFIXES = ("/fhir/",)  # authenticated by bearer tokens, not by the login cookie


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")  # what browsers post


class CsrfRefused(Forbidden):
    """A state-changing request without the session's token."""


async def csrf_protect(request: Request) -> None:
    """Every unsafe request from a browser carries the session's token, in the form or (htmx) a header.

    The one exemption is the FHIR API called without a login cookie: its bearer token authenticates it
    and no browser sends that token by itself. A request that rides on the login cookie always needs
    the form token, whatever other header it carries."""
    if request.method in SAFE_METHODS:
        return
    if request.url.path.startswith(API_PREFIXES) and not signed_in(request):
        return  # no login to ride on: the FHIR layer answers 401 with an OperationOutcome
    expected = request.session.get("csrf")
    sent: str | UploadFile | None = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        sent = (await request.form()).get(CSRF_FIELD)  # cached by Starlette for the route's own Form fields
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(expected, sent):
        raise CsrfRefused()


def sign_in(request: Request, token: str, practice_id: int | None, locale: str) -> None:
    """A fresh cookie on login, so that a form token planted before login is worthless after it. The
    cookie holds the server-side session's token, never who the user is."""
    request.session.clear()
    request.session.update(sid=token, pid=practice_id, locale=locale)
    csrf_token(request)


def session_token(request: Request) -> str:
    token = request.session.get("sid")
    return token if isinstance(token, str) else ""


def signed_in(request: Request) -> bool:
    return bool(session_token(request))


def sign_out(request: Request) -> None:
    request.session.clear()
