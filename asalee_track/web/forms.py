"""What a form sent, as the use cases take it: text, each value cut to a length, never the form token."""

from collections.abc import Iterable

from starlette.datastructures import FormData

from asalee_track.web.security import CSRF_FIELD


def typed_values(
    form: FormData, fields: Iterable[str] | None = None, max_length: int = 10_000
) -> dict[str, str]:
    """Every field sent (the form token aside), or only ``fields`` (absent ones empty), as text of at
    most ``max_length`` characters: a use case never sees a file object or a megabyte of text."""
    if fields is None:
        return {key: str(value)[:max_length] for key, value in form.items() if key != CSRF_FIELD}
    return {name: str(form.get(name, ""))[:max_length] for name in fields}
