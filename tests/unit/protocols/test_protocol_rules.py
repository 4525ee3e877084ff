"""Escalation rules: the condition vocabulary, window edges, and no alert from an empty history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asalee_track.protocols import Obs, Protocol, ProtocolSet, Target, add_duration, check_text, evaluate
from asalee_track.protocols.schedule import TIMEZONE as PARIS
from asalee_track.protocols.schedule import local_date

T0 = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def fired(protocol: Protocol, history: list[Obs], now: datetime = T0, **kwargs: object) -> list[str]:
    return [firing.rule_id for firing in evaluate(protocol, history, now, **kwargs)]  # type: ignore[arg-type]


RULES = """
id: rules-under-test
version: "2026.1"
title: {fr: Règles, en: Rules}
condition: {snomed: ["44054006"], icd10: [E11]}
measures:
  - id: weight
    loinc: 29463-7
    label: {fr: Poids, en: Weight}
    category: vital-signs
    unit: kg
    plausible: [20, 350]
    decimals: 1
  - id: hba1c
    loinc: 4548-4
    label: {fr: HbA1c, en: HbA1c}
    category: laboratory
    unit: "%"
    plausible: [3, 20]
    decimals: 1
    target: {max: 7.0}
  - id: feet
    snomed: "134388005"
    label: {fr: Pieds, en: Feet}
    category: exam
    kind: coded
    codes:
      - {system: local, code: normal, label: {fr: Normal, en: Normal}}
      - {system: local, code: wound, label: {fr: Plaie, en: Wound}}
escalation:
  - {id: above, when: {measure: hba1c, above: 10}, severity: high, message: {fr: a, en: a}}
  - {id: below, when: {measure: hba1c, below: 4}, severity: low, message: {fr: b, en: b}}
  - {id: at-least, when: {measure: weight, at_least: 150}, severity: low, message: {fr: c, en: c}}
  - {id: at-most, when: {measure: weight, at_most: 40}, severity: low, message: {fr: d, en: d}}
  - {id: target, when: {measure: hba1c, outside_target: true}, severity: low, message: {fr: e, en: e}}
  - {id: target-twice, when: {measure: hba1c, outside_target: true, last: 2}, severity: low,
     message: {fr: f, en: f}}
  - {id: rise, when: {measure: weight, rises_by: 2, within: P3D}, severity: high, message: {fr: g, en: g}}
  - {id: fall-pct, when: {measure: weight, falls_by: 5, percent: true, within: P1M}, severity: moderate,
     message: {fr: h, en: h}}
  - {id: missing, when: {measure: hba1c, missing_for: P6M}, severity: low, message: {fr: i, en: i}}
  - {id: wound, when: {measure: feet, one_of: [wound]}, severity: high, message: {fr: j, en: j}}
  - id: any
    when: {any: [{measure: hba1c, above: 12}, {measure: feet, one_of: [wound]}]}
    severity: high
    message: {fr: k, en: k}
  - id: all
    when: {all: [{measure: hba1c, above: 8}, {measure: weight, at_least: 150}]}
    severity: high
    message: {fr: l, en: l}
"""


@pytest.fixture(scope="module")
def rules() -> Protocol:
    protocol, errors = check_text(RULES, "rules.yaml")
    assert errors == []
    assert protocol is not None
    return protocol


def test_thresholds_are_strict_or_inclusive_as_named(rules: Protocol) -> None:
    assert fired(rules, [Obs("hba1c", 10.0, T0)]) == ["target"]
    assert fired(rules, [Obs("hba1c", 10.1, T0)]) == ["above", "target"]
    assert fired(rules, [Obs("hba1c", 4.0, T0)]) == []
    assert fired(rules, [Obs("hba1c", 3.9, T0)]) == ["below"]
    assert fired(rules, [Obs("weight", 150.0, T0)]) == ["at-least"]
    assert fired(rules, [Obs("weight", 40.0, T0)]) == ["at-most"]
    assert fired(rules, [Obs("weight", 40.1, T0)]) == []


def test_rules_look_at_the_latest_value_only(rules: Protocol) -> None:
    history = [Obs("hba1c", 11.0, at(-90)), Obs("hba1c", 6.5, T0)]
    assert fired(rules, history) == []
    assert fired(rules, list(reversed(history))) == []  # order of the input does not matter


def test_future_observations_are_ignored(rules: Protocol) -> None:
    assert fired(rules, [Obs("hba1c", 6.5, at(-1)), Obs("hba1c", 11.0, at(1))]) == []


def test_outside_target_uses_the_personal_target(rules: Protocol) -> None:
    history = [Obs("hba1c", 7.5, T0)]
    assert fired(rules, history) == ["target"]
    assert fired(rules, history, targets={"hba1c": Target(max=8.0)}) == []
    assert fired(rules, [Obs("hba1c", 6.4, T0)], targets={"hba1c": Target(min=6.5, max=8.0)}) == ["target"]


def test_last_n_values_must_all_match(rules: Protocol) -> None:
    assert "target-twice" not in fired(rules, [Obs("hba1c", 6.8, at(-90)), Obs("hba1c", 7.5, T0)])
    assert "target-twice" in fired(rules, [Obs("hba1c", 7.2, at(-90)), Obs("hba1c", 7.5, T0)])
    assert "target-twice" not in fired(rules, [Obs("hba1c", 7.5, T0)])  # one value is not "twice"


def test_rise_within_a_window_explains_itself(rules: Protocol) -> None:
    history = [Obs("weight", 80.0, at(-2)), Obs("weight", 82.4, T0)]
    [firing] = evaluate(rules, history, T0)
    assert firing.rule_id == "rise"
    assert firing.severity == "high"
    assert firing.evidence == history
    assert firing.explanation.fr == "Poids +2,4 kg en 2 jours (80,0 → 82,4 kg)"
    assert firing.explanation.en == "Weight +2.4 kg in 2 days (80.0 → 82.4 kg)"
    assert firing.message.get("fr") == "g"


def test_rise_takes_the_lowest_earlier_value_in_the_window(rules: Protocol) -> None:
    history = [
        Obs("weight", 79.0, at(-5)),
        Obs("weight", 80.0, at(-2)),
        Obs("weight", 81.0, at(-1)),
        Obs("weight", 82.1, T0),
    ]
    [firing] = evaluate(rules, history, T0)
    assert firing.evidence == [history[1], history[3]]  # 79.0 is outside the 3-day window


def test_rise_of_exactly_the_amount_counts_despite_float_error(rules: Protocol) -> None:
    assert fired(rules, [Obs("weight", 79.1, at(-1)), Obs("weight", 81.1, T0)]) == ["rise"]
    assert fired(rules, [Obs("weight", 79.1, at(-1)), Obs("weight", 81.0, T0)]) == []


def test_falls_by_percent(rules: Protocol) -> None:
    history = [Obs("weight", 70.0, at(-28)), Obs("weight", 66.5, T0)]
    [firing] = evaluate(rules, history, T0)
    assert firing.rule_id == "fall-pct"
    assert firing.explanation.fr == "Poids -5,0 % en 28 jours (70,0 → 66,5 kg)"
    assert fired(rules, [Obs("weight", 70.0, at(-28)), Obs("weight", 66.6, T0)]) == []
    assert fired(rules, [Obs("weight", 70.0, at(-30)), Obs("weight", 60.0, T0)]) == []  # 10 Feb is the edge


def test_month_windows_use_calendar_months(rules: Protocol) -> None:
    latest = datetime(2026, 3, 31, 12, tzinfo=UTC)  # P1M back from 31 March is 28 February
    inside = [Obs("weight", 70.0, datetime(2026, 2, 28, 12, tzinfo=UTC)), Obs("weight", 66.0, latest)]
    # Calendar dates in Paris: 28 February at any hour is inside, 27 February at 23:59 is not.
    early = [Obs("weight", 70.0, datetime(2026, 2, 27, 23, 5, tzinfo=UTC)), Obs("weight", 66.0, latest)]
    outside = [Obs("weight", 70.0, datetime(2026, 2, 27, 22, 59, tzinfo=UTC)), Obs("weight", 66.0, latest)]
    assert fired(rules, early, latest) == ["fall-pct"]  # 00:05 on 28 February in Paris
    assert fired(rules, inside, latest) == ["fall-pct"]
    assert fired(rules, outside, latest) == []


def test_missing_for_counts_from_the_last_value_or_the_enrolment(rules: Protocol) -> None:
    last = [Obs("hba1c", 6.5, at(-200))]
    assert "missing" in fired(rules, last)
    assert "missing" not in fired(rules, last, since=at(-30))  # enrolled a month ago: not late yet
    assert "missing" not in fired(rules, [])  # no history, no enrolment date: nothing to be late on
    assert fired(rules, [], since=at(-183)) == ["missing"]
    [firing] = evaluate(rules, [], T0, since=at(-183))
    assert firing.evidence == []
    assert (
        firing.explanation.fr == "HbA1c : aucune valeur depuis l'inclusion le 8 sept. 2025 (plus de 6 mois)"
    )
    assert firing.explanation.en == "HbA1c: no value since enrolment on 8 Sep 2025 (more than 6 months)"


def test_missing_for_boundary(rules: Protocol) -> None:
    since = datetime(2025, 9, 10, 9, 30, tzinfo=UTC)
    midnight = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)  # 10 March 00:00 in Paris: six calendar months
    assert fired(rules, [], since=since, now=midnight) == ["missing"]
    assert fired(rules, [], since=since, now=midnight - timedelta(seconds=1)) == []


def test_coded_answers(rules: Protocol) -> None:
    [wound, combined] = evaluate(rules, [Obs("feet", "wound", T0)], T0)
    assert (wound.rule_id, combined.rule_id) == ("wound", "any")
    assert wound.explanation.fr == "Pieds : Plaie le 10 mars 2026"
    assert wound.explanation.en == "Feet: Wound on 10 Mar 2026"
    assert fired(rules, [Obs("feet", "normal", T0)]) == []


def test_any_and_all(rules: Protocol) -> None:
    assert "any" in fired(rules, [Obs("hba1c", 12.5, T0)])
    assert "all" not in fired(rules, [Obs("hba1c", 9.0, T0)])
    both = evaluate(rules, [Obs("hba1c", 9.0, T0), Obs("weight", 151.0, T0)], T0)
    [combined] = [firing for firing in both if firing.rule_id == "all"]
    assert len(combined.evidence) == 2
    assert " ; " in combined.explanation.fr


def test_thresholds_explanations(rules: Protocol) -> None:
    [above, target] = evaluate(rules, [Obs("hba1c", 10.5, T0)], T0)
    assert above.explanation.fr == "HbA1c 10,5 % le 10 mars 2026 (seuil : > 10 %)"
    assert above.explanation.en == "HbA1c 10.5 % on 10 Mar 2026 (threshold: > 10 %)"
    assert target.explanation.fr == "HbA1c 10,5 % le 10 mars 2026 (cible : ≤ 7 %)"


# --- properties ------------------------------------------------------------------------------------


@given(
    protocol_id=st.sampled_from(["diabete-type-2", "insuffisance-cardiaque", "obesite", "suivi-cancer"]),
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_no_rule_fires_on_an_empty_history(
    protocol_set: ProtocolSet, protocol_id: str, now: datetime
) -> None:
    assert evaluate(protocol_set[protocol_id], [], now) == []


durations = st.sampled_from(["P3D", "P1W", "P1M", "P3M", "P6M", "P1Y", "PT12H", "P1M15D"])
moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))


def _window_edge(latest: datetime, within: str) -> datetime:
    """The earliest moment inside the window: the exact instant for a window in hours, 00:00 Paris
    time of the edge's calendar date for one in days or months."""
    if "T" in within:
        return add_duration(latest, within, sign=-1)
    day = add_duration(datetime.combine(local_date(latest), datetime.min.time()), within, sign=-1)
    return datetime.combine(day.date(), datetime.min.time(), tzinfo=PARIS)


@lru_cache  # parsed once per window: a protocol per example made the first examples slow
def _window_protocol(within: str) -> Protocol:
    text = RULES.replace("rises_by: 2, within: P3D", f"rises_by: 2, within: {within}")
    protocol, errors = check_text(text, "w.yaml")
    assert protocol is not None, errors
    return protocol


@given(within=durations, latest=moments, before=st.floats(20, 300), rise=st.floats(2.0, 30.0))
def test_a_rise_exactly_at_the_window_edge_counts(
    within: str, latest: datetime, before: float, rise: float
) -> None:
    protocol = _window_protocol(within)
    history = [Obs("weight", before, _window_edge(latest, within)), Obs("weight", before + rise, latest)]
    assert "rise" in fired(protocol, history, latest)


def _just_outside(latest: datetime, within: str) -> datetime:
    return _window_edge(latest, within) - timedelta(microseconds=1)


@given(within=durations, latest=moments, before=st.floats(20, 300), rise=st.floats(2.0, 30.0))
def test_a_rise_just_outside_the_window_does_not(
    within: str, latest: datetime, before: float, rise: float
) -> None:
    protocol = _window_protocol(within)
    history = [Obs("weight", before, _just_outside(latest, within)), Obs("weight", before + rise, latest)]
    assert "rise" not in fired(protocol, history, latest)


@given(values=st.lists(st.floats(3, 20), min_size=1, max_size=12), threshold_gap=st.floats(0.01, 5))
def test_above_fires_iff_the_latest_value_is_above(
    rules: Protocol, values: list[float], threshold_gap: float
) -> None:
    history = [Obs("hba1c", value, at(-10 * index)) for index, value in enumerate(reversed(values))]
    latest = values[-1]
    assert ("above" in fired(rules, history)) == (latest > 10)


@given(st.lists(st.tuples(st.sampled_from(["weight", "hba1c", "feet"]), st.integers(-800, 0)), max_size=30))
def test_evidence_is_always_part_of_the_history(rules: Protocol, items: list[tuple[str, int]]) -> None:
    history = [
        Obs(name, "wound" if name == "feet" else 60.0 + offset % 7, at(offset)) for name, offset in items
    ]
    for firing in evaluate(rules, history, T0, since=at(-900)):
        assert all(obs in history for obs in firing.evidence)
        assert firing.explanation.fr and firing.explanation.en


def test_alert_texts_keep_the_precision_that_decided_the_rule(protocol_set: ProtocolSet) -> None:
    cancer, t2d = protocol_set["suivi-cancer"], protocol_set["diabete-type-2"]
    history = [Obs("weight", 70.0, at(-20)), Obs("weight", 66.0, T0)]  # -5.714 %
    [loss] = [f for f in evaluate(cancer, history, T0) if f.rule_id == "perte-de-poids-1-mois"]
    assert loss.explanation.fr == "Poids -5,7 % en 20 jours (70,0 → 66,0 kg)"
    # 86 mmol/mol is 10.02 %: "above 10 %" must not read "10,0 % (seuil : > 10 %)".
    [high] = [f for f in evaluate(t2d, [Obs("hba1c", 10.0196, T0)], T0) if f.rule_id == "hba1c-tres-elevee"]
    assert high.explanation.fr == "HbA1c 10,02 % le 10 mars 2026 (seuil : > 10 %)"
    [usual] = [f for f in evaluate(t2d, [Obs("hba1c", 10.5, T0)], T0) if f.rule_id == "hba1c-tres-elevee"]
    assert usual.explanation.fr.startswith("HbA1c 10,5 % le")
