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

from babel import Locale, dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from asalee_track.protocols import TIMEZONE, wording

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
SUPPORTED = ("fr", "en")
DEFAULT_LOCALE = "fr"

# A fixed locale, or where to read it: a request's locale may change once its user is known (their own
# preference), in a dependency running on another thread, after the context was set.
_current: ContextVar[str | Callable[[], str]] = ContextVar("locale", default=DEFAULT_LOCALE)


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


def follow_locale(source: Callable[[], str]) -> None:
    """Translate by whatever locale ``source`` gives when a text is rendered (a request's, set once)."""
    _current.set(source)


def current_locale() -> str:
    found = _current.get()
    locale = found() if callable(found) else found
    return locale if locale in SUPPORTED else DEFAULT_LOCALE


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


def pgettext(context: str, message: str) -> str:
    return str(translations(current_locale()).pgettext(context, message))


def born(sex: str | None, when: str) -> str:
    """``née le 1 juillet 1957`` for a woman, ``né le`` for a man: French agrees with the patient's sex
    (``né(e) le`` when it is not known); English says ``born`` for all."""
    if sex == "female":
        text = pgettext("female", "born %(date)s")
    elif sex == "male":
        text = pgettext("male", "born %(date)s")
    else:
        text = gettext("born %(date)s")
    return text % {"date": when}


def format_date(value: date | str | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # an ISO date kept as text (a lab's patient identity)
        try:
            value = date.fromisoformat(text := value)
        except ValueError:
            return text
    if isinstance(value, datetime):
        value = value.astimezone(TIMEZONE).date()
    return _formatted(current_locale(), fmt, value)


def date_formatter(fmt: str = "medium", locale_name: str | None = None) -> Callable[[date], str]:
    """``format_date`` for many dates in a row (a chart labels hundreds of points), in the given locale
    or the request's."""
    locale_name = locale_name or current_locale()

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


def format_day_time(value: datetime | None) -> str:
    """``12 mars 2026, 20:18``: the day in words and the time to the minute (sessions are typed to the
    minute; ``20:18:00`` would claim a precision nobody entered)."""
    if value is None:
        return ""
    locale = current_locale()
    day = dates.format_date(value.astimezone(TIMEZONE), format="medium", locale=locale)
    hour = dates.format_time(value, format="short", tzinfo=TIMEZONE, locale=locale)
    return str(dates.get_datetime_format("medium", locale=locale)).format(hour, day)


def format_decimal(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return numbers.format_decimal(
        value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=current_locale()
    )


def local_today() -> date:
    """Today in France: the server may run on UTC, the practice does not."""
    return datetime.now(TIMEZONE).date()


def _supported(locale: str) -> str:
    """``en-GB`` → ``en``: the catalogue of the locale's language, French when there is none."""
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in SUPPORTED else DEFAULT_LOCALE


@lru_cache
def _number_symbols(locale: str) -> tuple[str, str]:
    """Babel's decimal and group signs for a locale as the engine names it (``fr``, ``en-GB``)."""
    language = _supported(locale)
    return numbers.get_decimal_symbol(language), numbers.get_group_symbol(language)


class _BabelWording:
    """The protocol engine's texts (alert explanations, refusals, units) through these catalogues and
    Babel's formatters, in the locale the engine is asked for (alerts are stored in French and English)."""

    def gettext(self, message: str, locale: str) -> str:
        return translations(_supported(locale)).gettext(message)

    def ngettext(self, singular: str, plural: str, n: int, locale: str) -> str:
        return translations(_supported(locale)).ngettext(singular, plural, n)

    def number(self, written: str, locale: str) -> str:
        # Babel's signs on digits grouped by three, as French and English group them: Babel's own pattern
        # formatter costs 30 µs a number, and a trend chart labels thousands of them.
        sign, group = _number_symbols(locale)
        if (sign, group) == (".", ","):
            return written
        if group != ".":
            return written.replace(",", group).replace(".", sign)
        return written.replace(",", "\0").replace(".", sign).replace("\0", group)

    def day(self, day: date, locale: str) -> str:
        return dates.format_date(day, "d MMM y", locale=_locale(_supported(locale)))


wording.install(_BabelWording())
for _language in SUPPORTED:  # read now, as the module says: not inside the first alert or page
    translations(_language)
