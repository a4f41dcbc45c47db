"""The engine's words: one horizon, one trend, the relapse level explained, no "0 days"."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from lasting_core.engine import EngineSettings, SignalKind, assess_patient
from lasting_core.engine.assess import AssessmentArrays
from lasting_core.engine.signals import (
    _Row,
    forecast_part,
    relapse_level_part,
    trend_part,
    trend_words,
)
from tests.core.engine_factories import make_responder

SETTINGS = EngineSettings()


def row(**values: float) -> Any:
    """Return one patient's numbers as the signals read them (a one-patient array set)."""
    crossing = values.pop("crossing", (np.nan, np.nan, np.nan))
    arrays = SimpleNamespace(
        **{name: np.array([value]) for name, value in values.items()},
        crossing=np.array(crossing, dtype=np.float64).reshape(3, 1),
    )
    return _Row(cast(AssessmentArrays, arrays), 0)


def forecast_row(
    *, level: float, bar: float, crossing: tuple[float, float, float], p28: float = 0.6
) -> Any:
    return row(level=level, bar=bar, p14=0.3, p28=p28, crossing=crossing)


class TestForecastWords:
    def test_a_collapsed_interval_reads_as_one_day(self) -> None:
        r = forecast_row(level=9.0, bar=11.5, crossing=(3.2, 3.4, 3.45))
        drivers, sentence = forecast_part(r, SETTINGS)
        assert "in about 3 days (80 % interval: that day)" in sentence
        assert "3–3" not in sentence
        assert (drivers["low_days"], drivers["high_days"]) == (3, "3")

    def test_a_wider_interval_names_both_ends_in_days(self) -> None:
        r = forecast_row(level=9.0, bar=11.5, crossing=(2.0, 9.0, 20.0))
        _, sentence = forecast_part(r, SETTINGS)
        assert "in about 9 days (80 % interval 2–20 days)" in sentence

    def test_a_level_at_or_above_the_relapse_level_reads_already_above(self) -> None:
        r = forecast_row(level=12.4, bar=12.0, crossing=(0.0, 0.05, 0.05))
        drivers, sentence = forecast_part(r, SETTINGS)
        assert "already above the relapse level (PHQ-9 12)" in sentence
        assert "12.4" in sentence
        assert "0 days" not in sentence
        assert "interval" not in sentence
        # The drivers stay the data they were.
        assert drivers["crossing_in_days"] == 0

    def test_a_crossing_under_a_day_ahead_reads_within_a_day(self) -> None:
        r = forecast_row(level=10.5, bar=12.0, crossing=(0.05, 0.09, 179.0))
        _, sentence = forecast_part(r, SETTINGS)
        assert "reaches the relapse level (PHQ-9 12) within a day" in sentence
        assert "about 0 days" not in sentence

    def test_one_day_is_singular(self) -> None:
        r = forecast_row(level=10.5, bar=12.0, crossing=(0.6, 1.2, 5.0))
        _, sentence = forecast_part(r, SETTINGS)
        assert "in about 1 day (" in sentence

    def test_the_sentence_has_one_horizon_and_the_drivers_keep_both(self) -> None:
        r = forecast_row(level=9.0, bar=11.5, crossing=(2.0, 9.0, 20.0), p28=0.81)
        drivers, sentence = forecast_part(r, SETTINGS)
        assert "within 28 days: 81 %" in sentence
        assert "14 days" not in sentence
        assert drivers["p_relapse_14d_percent"] == 30
        assert drivers["p_relapse_28d_percent"] == 81


class TestTrendWords:
    @pytest.mark.parametrize(
        ("slope", "words"),
        [
            (1.6, "rising about 1.6 points a week"),
            (1, "rising about 1 point a week"),
            (-0.8, "falling about 0.8 points a week"),
            (0, "holding steady (0 points a week)"),
        ],
    )
    def test_the_slope_is_said_as_direction_and_size(self, slope: float, words: str) -> None:
        assert trend_words(slope) == words

    def test_a_rise_from_the_nadir_has_one_trend_estimate_not_a_second_slope(self) -> None:
        r = row(slope_per_week=0.54, latest=19.0, nadir=7.0, latest_day=60.0, nadir_day=46.0)
        drivers, sentence = trend_part(r)
        assert "slope" not in sentence
        assert "/week" not in sentence
        assert "PHQ-9 19, up from 7 at its lowest 2 weeks earlier" in sentence
        assert "rising about 0.5 points a week (the engine's trend estimate" in sentence
        assert drivers == {
            "from_phq9": 7,
            "to_phq9": 19,
            "over": "2 weeks",
            "slope_per_week": 0.5,
        }


class TestRelapseLevelWords:
    def test_above_the_floor_the_level_names_best_and_baseline(self) -> None:
        # Baseline 20, best 3: half way back is 3 + 0.5 (20 - 3) = 11.5.
        r = row(bar=11.5, baseline=20.0)
        assert relapse_level_part(r, SETTINGS) == (
            "the relapse level for this patient, PHQ-9 11.5, is half way back from their "
            "best score (3) to their baseline (20), and never below 10"
        )

    def test_at_the_floor_the_level_says_half_way_would_be_lower(self) -> None:
        # Baseline 14, best 2: half way back is 8, so the floor of 10 holds.
        r = row(bar=10.0, baseline=14.0)
        sentence = relapse_level_part(r, SETTINGS)
        assert sentence is not None
        assert sentence.startswith("the relapse level for this patient is PHQ-9 10, the floor")
        assert "baseline (14) would be lower" in sentence

    def test_another_share_is_said_as_a_percentage(self) -> None:
        settings = dataclasses.replace(SETTINGS, relapse_improvement_lost_share=0.4)
        # Baseline 20, best 5: 5 + 0.4 (20 - 5) = 11.
        sentence = relapse_level_part(row(bar=11.0, baseline=20.0), settings)
        assert sentence is not None
        assert "40 % of the way back from their best score (5) to their baseline (20)" in sentence

    def test_no_relapse_level_says_nothing(self) -> None:
        assert relapse_level_part(row(bar=np.nan, baseline=20.0), SETTINGS) is None


class TestAssessedWords:
    """The same words from a real assessment, through the engine end to end."""

    def test_a_return_already_over_the_level_reads_already_above(self) -> None:
        a = assess_patient(make_responder(weekly=[4.0, 4.0, 5.0, 4.0, 7.0, 19.0]), 66.9)
        warning = next(s for s in a.signals if s.kind == SignalKind.EARLY_WARNING)
        assert warning.drivers["crossing_in_days"] == 0
        assert "already above the relapse level (PHQ-9 12)" in warning.sentence
        assert "about 0 days" not in a.explanation
        assert "0–0" not in a.explanation

    def test_the_explanation_explains_the_relapse_level_and_one_trend(self) -> None:
        a = assess_patient(make_responder(weekly=[3.0, 4.0, 3.0, 4.0, 8.0, 11.0]), 66.9)
        assert "the relapse level for this patient, PHQ-9 11.5, is half way back" in a.explanation
        assert "best score (3) to their baseline (20)" in a.explanation
        assert "slope" not in a.explanation
        assert "14 days" not in a.explanation
