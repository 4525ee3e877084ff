"""Forms that outlive their login: kept when posted after expiry, offered again after the next login."""

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session

from asalee_track.care import pending_forms
from asalee_track.store.db import transaction
from asalee_track.web.rendering import render
from asalee_track.web.security import CSRF_FIELD, FORM_TYPES

COOKIE_KEY = "pending"
_NOT_KEPT = {CSRF_FIELD, "password", "current", "new", "confirm"}


async def keep_posted_form(request: Request) -> bool:
    """Called when a POST meets an expired login: keep its fields for the user it belonged to. Files
    are not kept (an import is simply chosen again)."""
    user_id = getattr(request.state, "expired_user_id", None)
    content_type = request.headers.get("content-type", "")
    if user_id is None or request.url.path in ("/login", "/logout"):
        return False
    if not content_type.startswith(FORM_TYPES):
        return False
    form = await request.form()
    fields = [
        (name, value)
        for name, value in form.multi_items()
        if isinstance(value, str) and name not in _NOT_KEPT
    ]
    if not fields:
        return False
    # In the threadpool, as every database call: on the event loop a wait for a lock stops the process.
    request.session[COOKIE_KEY] = await run_in_threadpool(
        _keep, request.app.state.engine, user_id, request.url.path, fields
    )
    return True


def _keep(engine: Engine, user_id: int, path: str, fields: list[tuple[str, str]]) -> str:
    with transaction(engine) as db:
        return pending_forms.keep(db, user_id, path, fields)


def kept_token(request: Request) -> str:
    token = request.session.get(COOKIE_KEY)
    return token if isinstance(token, str) else ""


def resume_page(request: Request, db: Session, user_id: int, token: str) -> HTMLResponse | None:
    """After login: the kept form, ready to send again with one click (and the page says so)."""
    kept = pending_forms.take(db, token, user_id) if token else None
    if kept is None:
        return None
    return render(request, "resume.html", {"path": kept.path, "fields": kept.fields})
