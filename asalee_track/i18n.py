"""Translations (Babel gettext catalogs, French first) and locale-aware formatting.

Messages are written in English in the code and marked for extraction; the catalogs under
`asalee_track/locales/` translate them. Catalogs are read from their .po source at start-up, so there is
no compile step and no binary file to keep in step.
"""

import io
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
SUPPORTED = ("fr", "en")
DEFAULT_LOCALE = "fr"
TIMEZONE = ZoneInfo("Europe/Paris")

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def negotiate(accept_language: str | None) -> str:
    """The best supported locale for an Accept-Language header, French when nothing matches."""
    if not accept_language:
        return DEFAULT_LOCALE
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in accept_language.split(",")]
    best = Locale.negotiate(wanted, list(SUPPORTED), sep="_")
    return str(best) if best else DEFAULT_LOCALE


def set_locale(locale: str) -> None:
    _current.set(locale if locale in SUPPORTED else DEFAULT_LOCALE)


def current_locale() -> str:
    return _current.get()


@lru_cache
def translations(locale: str) -> NullTranslations:
    po_file = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po_file.exists():
        return NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    return translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale()).ngettext(singular, plural, n)


def format_date(value: date | str | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # an ISO date kept as text (a lab's patient identity)
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(TIMEZONE).date()
    return _formatted(current_locale(), fmt, value)


def date_formatter(fmt: str = "medium") -> Callable[[date], str]:
    """``format_date`` for many dates in a row (a chart labels hundreds of points)."""
    locale_name = current_locale()

    def format_one(value: date) -> str:
        day = value.astimezone(TIMEZONE).date() if isinstance(value, datetime) else value
        return _formatted(locale_name, fmt, day)

    return format_one


@lru_cache
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=64)
def _date_pattern(locale_name: str, fmt: str) -> tuple[Locale, dates.DateTimePattern]:
    """What babel's format_date parses on every call (a worklist page formats hundreds of dates)."""
    locale = _locale(locale_name)
    return locale, dates.parse_pattern(locale.date_formats[fmt] if fmt in locale.date_formats else fmt)


@lru_cache(maxsize=16_384)
def _formatted(locale_name: str, fmt: str, day: date) -> str:
    """Kept: a practice's sessions fall on the same few thousand days, shown again on every page (babel
    takes a tenth of a millisecond per date)."""
    locale, pattern = _date_pattern(locale_name, fmt)
    return pattern.apply(day, locale)


def format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_datetime(value, format=fmt, tzinfo=TIMEZONE, locale=current_locale())


def format_decimal(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return numbers.format_decimal(
        value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=current_locale()
    )


def local_today() -> date:
    """Today in France: the server may run on UTC, the practice does not."""
    return datetime.now(TIMEZONE).date()
