"""Jinja2 set up once: translations through the request's locale, Babel formatting as filters."""

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from asalee_track import i18n
from asalee_track.i18n import N_
from asalee_track.protocols import Duration, Measure, parse_duration
from asalee_track.protocols.rules import format_duration
from asalee_track.protocols.units import display_unit, format_quantity, format_value

HTMX = "htmx-2.0.11.min.js"

# The protocols' severity words (protocols.schema.SEVERITIES) as pages name them.
SEVERITY_WORDS = {"high": N_("high severity"), "moderate": N_("moderate severity"), "low": N_("low severity")}


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
    env.filters["day_time"] = i18n.format_day_time
    env.filters["duration"] = _duration
    env.filters["value"] = _value
    env.filters["in_protocol_order"] = _in_protocol_order
    env.filters["severity"] = _severity
    # A text that is a message of the catalog when the app wrote it ("Session corrected"), or the
    # user's own words: translated if it is one, never read as a format string (``_()`` would be).
    env.filters["translated"] = i18n.gettext
    env.globals.update(htmx=HTMX, locale=i18n.current_locale, born=i18n.born)
    return Jinja2Templates(env=env)


def _severity(word: str) -> str:
    return i18n.gettext(SEVERITY_WORDS.get(word, word))


def _duration(value: Duration | str) -> str:
    """``P6M`` → ``6 mois`` in the page's language."""
    duration = value if isinstance(value, Duration) else parse_duration(value)
    return format_duration(duration, i18n.current_locale())


def _value(value: float | None, measure: Measure | None = None, unit: str | None = None) -> str:
    """Every page shows a measure's value through ``units.format_value``: its protocol's precision,
    thousands grouped, the unit as clinicians write it. Without the measure (a protocol since removed),
    the stored unit and up to two decimals."""
    if value is None:
        return ""
    locale = i18n.current_locale()
    if measure is not None:
        return format_value(value, measure, locale)
    return format_quantity(value, unit, locale)


@pass_context
def _in_protocol_order(
    context: Context, observations: Iterable[Any], pathway_ids: Sequence[str] = ()
) -> list[Any]:
    """A session's values in the order its pathways' protocols list their measures (as the session
    form asks them), measures of no known pathway last."""
    protocols = context.get("protocols")
    order: dict[str, int] = {}
    for protocol_id in pathway_ids:
        if protocols is not None and protocol_id in protocols:
            for measure in protocols[protocol_id].measures:
                order.setdefault(measure.id, len(order))
    for measure_id in context.get("measures") or {}:
        order.setdefault(measure_id, len(order))
    return sorted(observations, key=lambda o: (order.get(o.measure_id, len(order)), o.measure_id))
