"""Values and dates as labs write them."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from asalee_track.protocols import TIMEZONE

_NUMBER = re.compile(r"^\s*(<=|>=|<|>|≤|≥)?\s*([+-]?\d+(?:[.,]\d+)?)\s*$")


@dataclass(frozen=True)
class Value:
    number: float | None  # None: not a number ("voir commentaire", "négatif")
    comparator: str | None = None  # "<", ">", "<=", ">=": the lab gives a bound, not a value


def read_value(text: str) -> Value:
    """ "7,2" → 7.2; ">10" → bound 10; anything else is not a number. Thousands separators and
    exponents are not lab practice and are refused rather than guessed."""
    match = _NUMBER.match(text.replace("\u00a0", " "))
    if not match:
        return Value(None)
    comparator = {"≤": "<=", "≥": ">="}.get(match.group(1) or "", match.group(1))
    return Value(float(match.group(2).replace(",", ".")), comparator or None)


def hl7_datetime(text: str) -> datetime | None:
    """YYYYMMDD[HHMM[SS]][±ZZZZ] (HL7 TS, HPRIM Santé dates); local French time unless an offset is
    given. None when empty; ValueError when unreadable."""
    text = text.strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{8})(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?", text)
    if not match:
        raise ValueError(text)
    day, hour, minute, second, offset = match.groups()
    moment = datetime(
        int(day[:4]), int(day[4:6]), int(day[6:8]), int(hour or 0), int(minute or 0), int(second or 0)
    )
    if offset:
        sign = 1 if offset[0] == "+" else -1
        minutes = sign * (int(offset[1:3]) * 60 + int(offset[3:5]))
        return moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).astimezone(UTC)
    return moment.replace(tzinfo=TIMEZONE).astimezone(UTC)


def hl7_date(text: str) -> date | None:
    moment = text.strip()[:8]
    if not moment:
        return None
    if not re.fullmatch(r"\d{8}", moment):
        raise ValueError(text)
    return date(int(moment[:4]), int(moment[4:6]), int(moment[6:8]))


def french_date(text: str) -> date | None:
    """JJ/MM/AAAA (also JJ/MM/AA, JJ.MM.AAAA, JJ-MM-AAAA), as HPRIM Net headers write it."""
    text = text.strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})", text)
    if not match:
        raise ValueError(text)
    day, month, year = (int(part) for part in match.groups())
    if year < 100:  # two-digit years: lab headers use them for recent dates only
        year += 2000 if year <= datetime.now(TIMEZONE).year % 100 else 1900
    return date(year, month, day)


def at_noon(day: date | None) -> datetime | None:
    """A date without a time (HPRIM Net), placed at noon Paris time so it never slips to another day."""
    if day is None:
        return None
    return datetime(day.year, day.month, day.day, 12, tzinfo=TIMEZONE).astimezone(UTC)


SEXES = {"F": "female", "M": "male", "H": "male"}
NIR_SHAPE = re.compile(r"^[12378]\d{4}(?:\d{2}|2A|2B)\d{8}$")
