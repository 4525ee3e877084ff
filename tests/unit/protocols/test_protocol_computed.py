"""Computed measures: BMI from weight and a height measured at an earlier session."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from asalee_track.protocols import Obs, Protocol, compute, computed_values

T0 = datetime(2026, 3, 10, tzinfo=UTC)


def test_bmi_from_weight_and_height(obesity: Protocol) -> None:
    bmi = obesity.measure("bmi")
    assert compute(obesity, bmi, {"weight": 95.0, "height": 170.0}) == pytest.approx(32.9)
    assert compute(obesity, bmi, {"weight": 95.0}) is None


def test_height_comes_from_an_earlier_session(obesity: Protocol) -> None:
    history = [
        Obs("height", 170.0, datetime(2024, 1, 5, tzinfo=UTC)),
        Obs("weight", 99.0, datetime(2024, 1, 5, tzinfo=UTC)),
    ]
    assert computed_values(obesity, {"weight": 95.0}, history) == {"bmi": pytest.approx(32.9)}


def test_no_bmi_when_no_input_was_entered_in_this_session(obesity: Protocol) -> None:
    history = [Obs("height", 170.0, T0), Obs("weight", 95.0, T0)]
    assert computed_values(obesity, {"waist": 102.0}, history) == {}


def test_no_bmi_without_height(cancer: Protocol) -> None:
    assert computed_values(cancer, {"weight": 60.0}, []) == {}


def test_bmi_outside_plausible_is_left_out(cancer: Protocol) -> None:
    assert computed_values(cancer, {"weight": 340.0, "height": 100.0}) == {}
