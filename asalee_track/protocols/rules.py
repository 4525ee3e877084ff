"""Evaluate a protocol's escalation rules against a patient's observation history.

Semantics (documented here because alerts depend on them):

* Values are canonical (the protocol's unit); coded measures carry their code as a string.
* Observations after ``now`` are ignored; ties on time keep the input order (the later one wins).
* Thresholds (``above`` >, ``below`` <, ``at_least`` ≥, ``at_most`` ≤), ``outside_target`` and
  ``one_of`` test the LATEST value of the measure (or each of the ``last: n`` latest values).
* Windows and absences are spans measured by ``schedule.compare_span``, the one definition: days,
  weeks, months and years count *calendar dates in Europe/Paris* (any hour, either side of a clock
  change); only a duration written with a time part (``PT12H``) counts elapsed hours.
* ``rises_by``/``falls_by`` compare the latest value with every earlier value within ``within`` of it:
  ``within: P3D`` takes values from day D−3 (Paris dates) up to the latest, so a weighing on Monday at
  08:00 and one on Thursday at 08:30 are within 3 days. The edge is inclusive. The change is "at
  least" the amount (``rises_by: 2`` fires on +2.0). ``percent: true`` measures the change in % of the
  earlier value.
* ``missing_for`` fires once ``duration`` has passed since the reference, the later of the latest value
  and ``since`` (the enrolment start): ``missing_for: P6M`` after a value on 10 Sept fires from 10 March
  at 00:00 Paris time. With neither reference, it does not fire: a patient with no history and no
  enrolment date has nothing to be late on. Hence an empty history fires nothing unless ``since`` is
  given.
* ``any`` fires when one of its conditions fires, ``all`` when every one does; evidence is the union.

No eval, no exec: conditions are pydantic models built from the YAML vocabulary.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import reduce

from .durations import Duration
from .schedule import as_utc, compare_span, local_date
from .schema import Condition, Measure, Obs, Protocol, Target, Text
from .units import format_number, format_quantity
from .wording import N_, say, wording

__all__ = ["Firing", "evaluate", "format_date", "format_duration"]


@dataclass(frozen=True)
class Firing:
    rule_id: str
    severity: str
    message: Text
    evidence: list[Obs]
    explain: Callable[[str], str] = field(repr=False, compare=False)

    @property
    def explanation(self) -> Text:
        """Why, with values and dates: "Poids +2,4 kg en 2 jours (80,0 → 82,4 kg)". Worded when asked:
        most firings are of a rule already open, whose explanation nobody reads again."""
        return Text(fr=self.explain("fr"), en=self.explain("en"))


@dataclass(frozen=True)
class _Hit:
    evidence: list[Obs]
    words: Callable[[str], str]


Series = Mapping[str, list[Obs]]

# The threshold conditions (``schema.THRESHOLDS``): how each compares the latest value with its
# threshold, and the symbol the explanation shows.
_THRESHOLDS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "above": (operator.gt, ">"),
    "below": (operator.lt, "<"),
    "at_least": (operator.ge, "≥"),
    "at_most": (operator.le, "≤"),
}

# ---------------------------------------------------------------------------------------------------
# Wording helpers: message ids rendered by the installed wording (Babel's catalogues in the app)


def format_date(moment: datetime | date, locale: str = "fr") -> str:
    """``22 nov. 2026`` / ``22 Nov 2026``, in the practices' time zone."""
    day = local_date(moment) if isinstance(moment, datetime) else moment
    return wording().day(day, locale)


def _years(n: int, locale: str) -> str:
    return wording().ngettext("{n} year", "{n} years", n, locale).format(n=n)


def _months(n: int, locale: str) -> str:
    return wording().ngettext("{n} month", "{n} months", n, locale).format(n=n)


def _weeks(n: int, locale: str) -> str:
    return wording().ngettext("{n} week", "{n} weeks", n, locale).format(n=n)


def _days(n: int, locale: str) -> str:
    return wording().ngettext("{n} day", "{n} days", n, locale).format(n=n)


def _hours(n: int, locale: str) -> str:
    return wording().ngettext("{n} hour", "{n} hours", n, locale).format(n=n)


def format_duration(duration: Duration, locale: str = "fr") -> str:
    """``P1Y6M`` → ``1 an 6 mois``."""
    parts = [
        words(value, locale)
        for words, value in (
            (_years, duration.years),
            (_months, duration.months),
            (_weeks, duration.weeks),
            (_days, duration.days),
            (_hours, duration.hours),
        )
        if value
    ]
    return " ".join(parts) or _days(0, locale)


def _format_elapsed(earlier: datetime, later: datetime, within: Duration, locale: str) -> str:
    """A human span between two observations, counted as the window is (``compare_span``): calendar
    days in Paris (hours within one day, or when the window is written in hours), months past 60 days."""
    days = (local_date(later) - local_date(earlier)).days
    if within.has_time or days < 1:
        elapsed = later.astimezone(UTC) - earlier.astimezone(UTC)  # real hours, across clock changes
        return _hours(max(1, round(elapsed.total_seconds() / 3600)), locale)
    if days < 60:
        return _days(days, locale)
    return _months(round(days / 30.44), locale)


def _dated(value: str, moment: datetime, locale: str) -> str:
    return say(locale, N_("{value} on {date}"), value=value, date=format_date(moment, locale))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------------


@dataclass
class _Evaluator:
    protocol: Protocol
    series: Series
    now: datetime
    targets: Mapping[str, Target]
    since: datetime | None

    def check(self, condition: Condition) -> _Hit | None:
        if condition.any is not None:
            hits = [hit for child in condition.any if (hit := self.check(child)) is not None]
            return _combine(hits) if hits else None
        if condition.all is not None:
            checked = [self.check(child) for child in condition.all]
            found = [hit for hit in checked if hit is not None]
            return _combine(found) if len(found) == len(checked) else None
        assert condition.measure is not None  # guaranteed by the schema
        measure = self.protocol.measure(condition.measure)
        values = self.series.get(condition.measure, [])
        if condition.missing_for is not None:
            return self._missing(measure, values, condition.missing_for)
        if not values:
            return None
        if condition.rises_by is not None or condition.falls_by is not None:
            return self._change(measure, values, condition)
        return self._latest(measure, values, condition)

    # -- latest values --------------------------------------------------------------------------------

    def _latest(self, measure: Measure, values: list[Obs], condition: Condition) -> _Hit | None:
        recent = values[-condition.last :]
        if len(recent) < condition.last:
            return None
        if condition.one_of is not None:
            return self._coded(measure, recent, condition.one_of)
        if not all(_is_number(obs.value) for obs in recent):
            return None
        test, describe = self._test(measure, condition)
        if test is None or not all(test(float(obs.value)) for obs in recent):
            return None
        decimals = measure.decimals

        def shown(value: float, locale: str) -> str:
            return format_quantity(value, measure.unit, locale, _decisive(value, decimals, test))

        def words(locale: str) -> str:
            listed = ", ".join(
                _dated(shown(float(obs.value), locale), obs.effective, locale) for obs in recent
            )
            return say(
                locale,
                N_("{measure} {values} ({rule})"),
                measure=measure.label.get(locale),
                values=listed,
                rule=describe(locale),
            )

        return _Hit(list(recent), words)

    def _test(
        self, measure: Measure, condition: Condition
    ) -> tuple[Callable[[float], bool] | None, Callable[[str], str]]:
        """The predicate of a threshold/target condition, and the words that describe it."""
        unit = measure.unit

        def quantity(value: float, locale: str) -> str:
            return format_quantity(value, unit, locale)  # thresholds as written in the protocol

        def threshold_words(symbol: str, value: float) -> Callable[[str], str]:
            def describe(locale: str) -> str:
                bound = f"{symbol} {quantity(value, locale)}"
                if condition.last == 1:
                    return say(locale, N_("threshold: {bound}"), bound=bound)
                return say(
                    locale,
                    N_("threshold: {bound} on the last {count} values"),
                    bound=bound,
                    count=condition.last,
                )

            return describe

        comparator = condition.comparator
        if comparator in _THRESHOLDS:
            compare, symbol = _THRESHOLDS[comparator]
            threshold: float = getattr(condition, comparator)
            return (lambda v: compare(v, threshold)), threshold_words(symbol, threshold)
        target = self.targets.get(measure.id) or measure.target
        if target is None:
            return None, lambda locale: ""

        def target_words(locale: str) -> str:
            bound = _target_text(target, quantity, locale)
            if condition.last == 1:
                return say(locale, N_("target: {bound}"), bound=bound)
            return say(
                locale, N_("target: {bound} on the last {count} values"), bound=bound, count=condition.last
            )

        return (lambda v: not target.contains(v)), target_words

    def _coded(self, measure: Measure, recent: list[Obs], codes: list[str]) -> _Hit | None:
        if not all(isinstance(obs.value, str) and obs.value in codes for obs in recent):
            return None

        def words(locale: str) -> str:
            answers = ", ".join(
                _dated(_code_label(measure, str(obs.value), locale), obs.effective, locale) for obs in recent
            )
            return say(locale, N_("{measure}: {answers}"), measure=measure.label.get(locale), answers=answers)

        return _Hit(list(recent), words)

    # -- changes within a window -------------------------------------------------------------------------

    def _change(self, measure: Measure, values: list[Obs], condition: Condition) -> _Hit | None:
        latest = values[-1]
        if not _is_number(latest.value) or condition.within is None:
            return None
        rising = condition.rises_by is not None
        amount = condition.rises_by if rising else condition.falls_by
        assert amount is not None
        within = condition.within
        best: tuple[float, Obs] | None = None
        for earlier in reversed(values[:-1]):
            if compare_span(earlier.effective, latest.effective, within, counted_from="end") > 0:
                break  # sorted by time: everything before is outside the window too
            if not _is_number(earlier.value) or earlier.effective >= latest.effective:
                continue
            change = _change_of(float(earlier.value), float(latest.value), rising, condition.percent)
            if change is not None and (best is None or change > best[0]):
                best = (change, earlier)
        tolerance = 1e-9 * max(1.0, abs(amount))  # 81.1 − 79.1 must count as a 2.0 rise
        if best is None or best[0] < amount - tolerance:
            return None
        change, earlier = best
        return self._change_hit(measure, earlier, latest, change, amount, rising, condition.percent, within)

    def _change_hit(
        self,
        measure: Measure,
        earlier: Obs,
        latest: Obs,
        change: float,
        threshold: float,
        rising: bool,
        percent: bool,
        within: Duration,
    ) -> _Hit:
        sign = "+" if rising else "-"
        unit, decimals = measure.unit, measure.decimals
        tolerance = 1e-9 * max(1.0, abs(threshold))
        before, after = float(earlier.value), float(latest.value)

        def words(locale: str) -> str:
            # At the precision that decided: a 5.7 % loss reads "-5,7 %", never "-6 %".
            if percent:
                shown = _decisive(change, 1, lambda value: value >= threshold - tolerance)
                amount = f"{sign}{format_number(change, locale, shown)} %"
            else:
                shown = _decisive(change, decimals, lambda value: value >= threshold - tolerance)
                amount = f"{sign}{format_quantity(change, unit, locale, shown)}"
            span = _format_elapsed(earlier.effective, latest.effective, within, locale)
            start = format_number(before, locale, decimals)
            values = f"{start} → {format_quantity(after, unit, locale, decimals)}"
            return say(
                locale,
                N_("{measure} {change} in {span} ({values})"),
                measure=measure.label.get(locale),
                change=amount,
                span=span,
                values=values,
            )

        return _Hit([earlier, latest], words)

    # -- absence ---------------------------------------------------------------------------------------------

    def _missing(self, measure: Measure, values: list[Obs], duration: Duration) -> _Hit | None:
        last = values[-1] if values else None
        candidates = [moment for moment in (last.effective if last else None, self.since) if moment]
        if not candidates:
            return None
        reference = max(candidates)
        if compare_span(reference, self.now, duration) < 0:
            return None
        from_enrolment = last is None or (self.since is not None and self.since > last.effective)

        def words(locale: str) -> str:
            message = (
                N_("{measure}: no value since enrolment on {date} (more than {span})")
                if from_enrolment
                else N_("{measure}: no value since {date} (more than {span})")
            )
            return say(
                locale,
                message,
                measure=measure.label.get(locale),
                date=format_date(reference, locale),
                span=format_duration(duration, locale),
            )

        return _Hit([last] if last else [], words)


def _decisive(value: float, decimals: int | None, test: Callable[[float], bool]) -> int | None:
    """The measure's precision, or more decimals when rounding would hide what decided the rule
    (10,04 % converted from mmol/mol is "above 10 %": shown 10,04, not 10,0)."""
    if decimals is None or not test(value):
        return decimals
    for shown in range(decimals, 5):
        if test(round(value, shown)):
            return shown
    return decimals


def _change_of(before: float, after: float, rising: bool, percent: bool) -> float | None:
    delta = after - before if rising else before - after
    if not percent:
        return delta
    if before == 0:
        return None  # a percentage of zero means nothing
    return delta / abs(before) * 100.0


def _target_text(target: Target, quantity: Callable[[float, str], str], locale: str) -> str:
    if target.min is not None and target.max is not None:
        return f"{quantity(target.min, locale)} – {quantity(target.max, locale)}"
    if target.max is not None:
        return f"≤ {quantity(target.max, locale)}"
    assert target.min is not None
    return f"≥ {quantity(target.min, locale)}"


def _code_label(measure: Measure, code: str, locale: str) -> str:
    coded = measure.code(code)
    return coded.label.get(locale) if coded else code


def _combine(hits: list[_Hit]) -> _Hit:
    evidence: list[Obs] = []
    for hit in hits:
        evidence.extend(obs for obs in hit.evidence if obs not in evidence)

    def joined(locale: str) -> str:
        texts = [hit.words(locale) for hit in hits]
        return reduce(lambda first, then: say(locale, N_("{first}; {then}"), first=first, then=then), texts)

    return _Hit(evidence, joined)


def _series(history: Sequence[Obs], now: datetime) -> dict[str, list[Obs]]:
    """Observations per measure, oldest first; the future is ignored."""
    series: dict[str, list[Obs]] = {}
    for obs in history:
        if obs.effective <= now:
            series.setdefault(obs.measure, []).append(obs)
    for values in series.values():
        values.sort(key=lambda obs: obs.effective)  # stable: input order breaks ties
    return series


def evaluate(
    protocol: Protocol,
    history: Sequence[Obs],
    now: datetime,
    targets: Mapping[str, Target] | None = None,
    since: date | datetime | None = None,
) -> list[Firing]:
    """Rules of ``protocol`` that fire on ``history`` at ``now``, in the protocol's order.

    ``targets`` overrides a measure's target (personal target agreed with the GP); ``since`` is the
    enrolment start, the earliest reference of ``missing_for``.
    """
    evaluator = _Evaluator(
        protocol, _series(history, now), now, targets or {}, as_utc(since) if since is not None else None
    )
    firings: list[Firing] = []
    for rule in protocol.escalation:
        hit = evaluator.check(rule.when)
        if hit is not None:
            firings.append(Firing(rule.id, rule.severity, rule.message, hit.evidence, hit.words))
    return firings
