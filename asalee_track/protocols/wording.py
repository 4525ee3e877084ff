"""How the engine words its texts (alert explanations, refusals, units, dates, spans of time).

Every sentence is a message id in English, marked for extraction; numbers and days are typed values.
The application installs the wording that renders them in the reader's language, Babel's catalogues and
formatters (`asalee_track.i18n`), so French lives in the .po catalogue like every other text. The engine
says *what* to write and stays free of Babel and of the application: until a wording is installed (the
engine used on its own, a benchmark), texts come out as their English message ids.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated where it is rendered."""
    return message


class Wording(Protocol):
    def gettext(self, message: str, locale: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, locale: str) -> str: ...

    def number(self, written: str, locale: str) -> str:
        """A number as Python writes it rounded and grouped (``1,250.5``), with the locale's signs."""
        ...

    def day(self, day: date, locale: str) -> str:
        """A calendar day in the short form alerts use: ``22 nov. 2026``, ``22 Nov 2026``."""
        ...


class _MessageIds:
    def gettext(self, message: str, locale: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int, locale: str) -> str:
        return singular if n == 1 else plural

    def number(self, written: str, locale: str) -> str:
        return written

    def day(self, day: date, locale: str) -> str:
        return f"{day.day} {day:%b} {day.year}"


_installed: list[Wording] = [_MessageIds()]


def install(wording: Wording) -> None:
    """Render the engine's texts with ``wording`` from now on (the application does so once, at import)."""
    _installed[0] = wording


def wording() -> Wording:
    return _installed[0]


def say(locale: str, message: str, **params: object) -> str:
    """``message`` in ``locale``, its ``{placeholders}`` filled with ``params`` (already worded)."""
    return wording().gettext(message, locale).format(**params)
