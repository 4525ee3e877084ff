"""Jinja2 set up once: translations through the request's locale, Babel formatting as filters."""

from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from asalee_track import i18n
from asalee_track.protocols import Duration, parse_duration
from asalee_track.protocols.rules import format_duration
from asalee_track.protocols.units import display_unit

HTMX = "htmx-2.0.11.min.js"


def make_templates(directory: Path) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html", "xml", "svg"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(date=i18n.format_date, datetime=i18n.format_datetime, decimal=i18n.format_decimal)
    env.filters["unit"] = lambda code: display_unit(code, i18n.current_locale())
    env.filters["duration"] = _duration
    env.globals.update(htmx=HTMX, locale=i18n.current_locale)
    return Jinja2Templates(env=env)


def _duration(value: Duration | str) -> str:
    """``P6M`` → ``6 mois`` in the page's language."""
    duration = value if isinstance(value, Duration) else parse_duration(value)
    return format_duration(duration, i18n.current_locale())
