"""Scoring questionnaires and averaging home blood-pressure series, on the shipped protocols."""

from __future__ import annotations

import pytest

from asalee_track.protocols import Protocol
from asalee_track.protocols.instruments import HomeReading, UnknownAnswer, home_average, score

HEAVY_SMOKER = {
    "premiere-cigarette": "5-min-ou-moins",  # 3
    "lieux-interdits": "oui",  # 1
    "cigarette-preferee": "premiere-du-matin",  # 1
    "cigarettes-par-jour": "21-30",  # 2
    "fume-plus-le-matin": "non",  # 0
    "fume-malade": "oui",  # 1
}


def test_fagerstrom_total_and_band(copd: Protocol) -> None:
    scored = score(copd.instrument("fagerstrom"), HEAVY_SMOKER)
    assert scored.complete and scored.total == 8
    assert scored.band is not None and scored.band.label.fr == "Dépendance forte"
    assert scored.answers["cigarettes-par-jour"] == ("21-30", 2)


def test_an_unanswered_item_leaves_the_instrument_incomplete_without_a_total(copd: Protocol) -> None:
    answers = {**HEAVY_SMOKER, "fume-malade": ""}
    scored = score(copd.instrument("fagerstrom"), answers)
    assert not scored.complete
    assert scored.missing == ["fume-malade"]
    assert scored.total is None and scored.band is None
    assert len(scored.answers) == 5  # the answers given are kept


def test_an_answer_outside_the_options_is_refused(copd: Protocol) -> None:
    with pytest.raises(UnknownAnswer) as refused:
        score(copd.instrument("fagerstrom"), {**HEAVY_SMOKER, "cigarettes-par-jour": "40"})
    assert (refused.value.item_id, refused.value.code) == ("cigarettes-par-jour", "40")


def test_shared_options_score_every_item(cognition: Protocol) -> None:
    phq9 = cognition.instrument("phq9")
    scored = score(phq9, {item.id: "plus-de-la-moitie" for item in phq9.items})
    assert scored.total == 18
    assert scored.band is not None and scored.band.label.en == "Moderately severe depression"


def _series(count: int) -> list[HomeReading]:
    cells = [(d, p, r) for d in (1, 2, 3) for p in ("morning", "evening") for r in (1, 2, 3)]
    return [HomeReading(d, p, r, 130.0 + i, 80.0 + i % 3) for i, (d, p, r) in enumerate(cells[:count])]


def test_rule_of_3_average_over_every_reading(cv: Protocol) -> None:
    assert cv.home_bp is not None
    average = home_average(cv.home_bp, _series(18))
    assert average is not None
    assert (average.sbp, average.dbp, average.count) == (138.5, 81.0, 18)  # 130..147, mean 138.5


def test_too_few_readings_give_no_average(cv: Protocol) -> None:
    assert cv.home_bp is not None
    assert home_average(cv.home_bp, _series(11)) is None
    twelve = home_average(cv.home_bp, _series(12))
    assert twelve is not None and twelve.count == 12
