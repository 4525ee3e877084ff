"""The words of a lab file's report, shared by the command line and the page: each outcome's name and
each line's reason as one sentence in the reader's language (a refused value says why, in words)."""

from typing import Any

from asalee_track.i18n import N_, translations
from asalee_track.protocols import InputRefused

OUTCOMES = {
    "imported": N_("imported"),
    "known": N_("already known"),
    "review": N_("to review"),
    "not-followed": N_("not followed"),
    "refused": N_("refused"),
}


def outcome(name: str, locale: str) -> str:
    return translations(locale).gettext(OUTCOMES.get(name, name))


def reason(message: str | None, params: dict[str, Any], locale: str) -> str:
    """The reason's sentence; a value the protocol engine refused is put in its own words."""
    if not message:
        return ""
    text = translations(locale).gettext(message)
    values = dict(params)
    if "refusal" in values:
        code = values.pop("refusal")
        detail = InputRefused(code, values).message(locale)
        values = {"detail": detail[:1].lower() + detail[1:]}  # it follows a colon
    try:
        return text % values if values else text
    except (KeyError, TypeError, ValueError):
        return text
