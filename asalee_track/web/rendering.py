"""Rendering pages and fragments in the request's language."""

from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from asalee_track import i18n
from asalee_track.care.errors import Invalid
from asalee_track.web.security import csrf_token


def request_locale(request: Request) -> str:
    return getattr(request.state, "locale", None) or i18n.DEFAULT_LOCALE


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    # Error pages for failures outside the session middleware still render, without a form token.
    token = csrf_token(request) if "session" in request.scope else ""
    values = {
        "request": request,
        "csrf_token": token,
        "actor": getattr(request.state, "actor", None),
        "practices": getattr(request.state, "practices", []),
        "measures": request.app.state.measures,
        "now": datetime.now(UTC),
    }
    values.update(context or {})
    # The request's locale is settled by now: fixed for the render, each of a page's hundreds of texts
    # reads it from the context instead of asking the request again.
    i18n.set_locale(request_locale(request))
    return request.app.state.templates.TemplateResponse(
        request, template, values, status_code=status_code, headers=headers
    )


def field_errors(request: Request, error: Invalid) -> dict[str, str]:
    """Each refused field's message, translated for this request."""
    return {
        field: i18n.gettext(message) % params if params else i18n.gettext(message)
        for field, (message, params) in error.errors.items()
    }


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"
