"""Scoring early-warning episodes against relapses (docs/engine.md 5, Definitions)."""

from __future__ import annotations

import math

from lasting_core.engine.scoring import FALSE_HORIZON_DAYS, MIN_LEAD_DAYS, score_rule


def scored(episodes, truth, last_day=365.0):  # type: ignore[no-untyped-def]
    return score_rule(episodes, truth, last_day, FALSE_HORIZON_DAYS, MIN_LEAD_DAYS, 1.0, 2.0)


def test_an_open_episode_begun_a_week_before_catches_the_relapse_with_its_lead() -> None:
    score = scored({"a": [(80.0, 100.0, "relapse")]}, {"a": (100.0,)})
    assert (score.relapses, score.caught, score.median_lead_caught) == (1, 1, 20.0)
    assert score.false_episodes == 0


def test_an_episode_begun_under_seven_days_before_is_open_but_not_caught() -> None:
    score = scored({"a": [(95.0, 100.0, "relapse")]}, {"a": (100.0,)})
    assert (score.caught, score.with_open_episode, score.median_lead_open) == (0, 1, 5.0)
    assert score.sensitivity == 0.0


def test_an_episode_ended_by_a_session_before_the_relapse_does_not_catch_it() -> None:
    score = scored({"a": [(50.0, 60.0, "session")]}, {"a": (100.0,)})
    assert score.caught == 0
    # The relapse came within 56 days of the start, so the episode is not false.
    assert (score.false_episodes, score.ended_by_session) == (0, 1)


def test_an_episode_with_no_relapse_within_the_horizon_is_false() -> None:
    score = scored({"a": [(10.0, 30.0, "quiet")]}, {"a": (10.0 + FALSE_HORIZON_DAYS + 1,)})
    assert score.false_episodes == 1
    assert score.false_per_at_risk_year == 1.0
    assert score.false_per_enrolled_year == 0.5


def test_relapses_after_the_last_day_are_not_counted() -> None:
    score = scored({}, {"a": (10.0, 400.0)})
    assert score.relapses == 1


def test_sensitivity_is_undefined_without_relapses() -> None:
    assert math.isnan(scored({}, {}).sensitivity)
