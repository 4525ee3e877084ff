"""What a form sent, as the use cases take it: text, each value cut to a length, never the form token.

Routes are plain functions, which FastAPI runs in its threadpool: a route written `async def` ran its
database work on the event loop, and one waiting there for a row lock (a save behind another save of the
same patient) stopped every request of the process, the one holding the lock included (measured: every
client timed out after 120 s on PostgreSQL). The body, already in memory (body_limit.ReadBodyFirst), is
parsed once on the loop by `read_posted`, an app-wide dependency; routes then read it with `posted`."""

from collections.abc import Iterable

from fastapi import Request
from starlette.datastructures import FormData

from asalee_track.web.security import CSRF_FIELD, FORM_TYPES, SAFE_METHODS


async def read_posted(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    try:
        request.state.posted_body = await request.body()
    except RuntimeError:  # a route with Form() parameters: FastAPI has parsed (and cached) the form
        request.state.posted_body = b""
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        request.state.posted_form = await request.form()


def posted(request: Request) -> FormData:
    """The form the request sent (empty when it sent none)."""
    form = getattr(request.state, "posted_form", None)
    return form if form is not None else FormData()


def posted_body(request: Request) -> bytes:
    return getattr(request.state, "posted_body", b"")


def typed_values(
    form: FormData, fields: Iterable[str] | None = None, max_length: int = 10_000
) -> dict[str, str]:
    """Every field sent (the form token aside), or only ``fields`` (absent ones empty), as text of at
    most ``max_length`` characters: a use case never sees a file object or a megabyte of text."""
    if fields is None:
        return {key: str(value)[:max_length] for key, value in form.items() if key != CSRF_FIELD}
    return {name: str(form.get(name, ""))[:max_length] for name in fields}
