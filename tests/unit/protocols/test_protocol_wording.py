"""The engine's texts are catalogue messages: the installed wording renders them, Babel's in the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from asalee_track import i18n
from asalee_track.protocols import InputRefused, Obs, check_text, evaluate, wording

PROTOCOL = """
id: wording-under-test
version: "2026.1"
title: {fr: Mots, en: Words}
condition: {snomed: ["44054006"], icd10: [E11]}
measures:
  - id: hba1c
    loinc: 4548-4
    label: {fr: HbA1c, en: HbA1c}
    category: laboratory
    unit: "%"
    plausible: [3, 20]
    decimals: 1
escalation:
  - {id: high, when: {measure: hba1c, above: 10}, severity: high, message: {fr: a, en: a}}
  - {id: missing, when: {measure: hba1c, missing_for: P1Y2M}, severity: low, message: {fr: b, en: b}}
"""


class Recording:
    """Words every message by its id in brackets, and remembers what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def gettext(self, message: str, locale: str) -> str:
        self.asked.append(message)
        return f"[{message}]"

    def ngettext(self, singular: str, plural: str, n: int, locale: str) -> str:
        self.asked.append(plural)
        return f"[{singular if n == 1 else plural}]"

    def number(self, written: str, locale: str) -> str:
        return f"<{written}>"

    def day(self, day: date, locale: str) -> str:
        return day.isoformat()


@pytest.fixture
def recording() -> Iterator[Recording]:
    installed = wording.wording()
    words = Recording()
    wording.install(words)
    yield words
    wording.install(installed)


def test_alert_explanations_are_worded_by_the_installed_wording(recording: Recording) -> None:
    protocol, errors = check_text(PROTOCOL, "wording.yaml")
    assert errors == [] and protocol is not None
    now = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    [high] = evaluate(protocol, [Obs("hba1c", 10.5, now)], now)
    assert high.explanation.fr == "[HbA1c [<10.5> [%] on 2026-03-10] ([threshold: > <10> [%]])]"
    [missing] = evaluate(protocol, [], now, since=datetime(2024, 1, 8, tzinfo=UTC))
    assert (
        missing.explanation.en
        == "[HbA1c: no value since enrolment on 2024-01-08 (more than [1 year] [2 months])]"
    )
    assert {"{n} years", "{n} months"} <= set(recording.asked)  # plurals asked of the catalogue


def test_refusals_are_worded_by_the_installed_wording(recording: Recording) -> None:
    refused = InputRefused("outside_plausible", {"min": 3, "max": 20, "unit": "%"})
    assert refused.message("fr") == "[Value outside the plausible range <3>–<20> [%]]"
    assert recording.asked[0] == "Value outside the plausible range {range}"


def test_the_app_words_the_engine_with_its_french_catalogue() -> None:
    french = i18n.translations("fr")
    assert wording.say("fr", "{measure}: {answers}", measure="Pieds", answers="Plaie") == "Pieds : Plaie"
    assert french.ngettext("{n} day", "{n} days", 0) == "{n} jour"  # French: 0 is singular
    assert wording.wording().day(date(2025, 9, 8), "en-GB") == "8 Sep 2025"
