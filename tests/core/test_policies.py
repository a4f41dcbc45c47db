"""Booster policies propose when their rule says so, with a window and readable reasons."""

from __future__ import annotations

import pytest

from lasting_core.policies import (
    Policy,
    PolicySettings,
    RiskSnapshot,
    probability_within_21_days,
    propose,
)

FORECAST = PolicySettings(policy=Policy.FORECAST)
SYMPTOM = PolicySettings(policy=Policy.SYMPTOM)
FIXED = PolicySettings(policy=Policy.FIXED, fixed_interval_days=42)


def test_21_day_probability_lies_between_the_14_and_28_day_values():
    p21 = probability_within_21_days(0.3, 0.6)
    assert 0.3 < p21 < 0.6
    assert p21 == pytest.approx(1 - (0.7 * 0.4) ** 0.5)


def test_forecast_proposes_at_the_threshold_and_not_below():
    high = RiskSnapshot(as_of_day=100, p_relapse_14d=0.4, p_relapse_28d=0.62, last_session_day=60)
    low = RiskSnapshot(as_of_day=100, p_relapse_14d=0.1, p_relapse_28d=0.3, last_session_day=60)
    proposal = propose(FORECAST, high)
    assert proposal is not None
    assert "chance of relapse within 3 weeks" in proposal.reasons[0]
    assert propose(FORECAST, low) is None


def test_forecast_window_ends_before_the_forecast_crossing():
    risk = RiskSnapshot(as_of_day=100, p_relapse_14d=0.6, p_relapse_28d=0.9, crossing_day=104.5)
    proposal = propose(FORECAST, risk)
    assert proposal is not None
    assert (proposal.earliest_day, proposal.latest_day) == (100, 103.5)


def test_a_window_is_never_shorter_than_three_days():
    risk = RiskSnapshot(as_of_day=100, p_relapse_14d=0.9, p_relapse_28d=0.99, crossing_day=100.5)
    proposal = propose(FORECAST, risk)
    assert proposal is not None
    assert proposal.latest_day - proposal.earliest_day == 3


def test_an_open_early_warning_alone_proposes():
    proposal = propose(FORECAST, RiskSnapshot(as_of_day=50, early_warning=True))
    assert proposal is not None
    assert proposal.reasons == ("a confirmed early warning is open",)


def test_no_proposal_within_the_minimum_spacing_after_a_session():
    risk = RiskSnapshot(as_of_day=100, early_warning=True, last_session_day=95)
    assert propose(FORECAST, risk) is None
    assert (
        propose(FORECAST, RiskSnapshot(as_of_day=100, early_warning=True, last_session_day=93))
        is not None
    )


def test_symptom_policy_proposes_on_threshold_or_reliable_worsening():
    at_threshold = RiskSnapshot(as_of_day=10, latest_phq9=10, latest_phq9_day=9, nadir_phq9=6)
    worsened = RiskSnapshot(as_of_day=10, latest_phq9=8, latest_phq9_day=9, nadir_phq9=2)
    steady = RiskSnapshot(as_of_day=10, latest_phq9=7, latest_phq9_day=9, nadir_phq9=3)
    assert propose(SYMPTOM, at_threshold) is not None
    proposal = propose(SYMPTOM, worsened)
    assert proposal is not None
    assert "rose 6 points" in proposal.reasons[0]
    assert propose(SYMPTOM, steady) is None


def test_fixed_policy_proposes_once_a_week_before_the_due_date():
    early = RiskSnapshot(as_of_day=130, last_session_day=100)
    due_soon = RiskSnapshot(as_of_day=136, last_session_day=100)
    already = RiskSnapshot(
        as_of_day=137, last_session_day=100, last_proposal_day=136, pending_proposal_day=136
    )
    assert propose(FIXED, early) is None
    proposal = propose(FIXED, due_soon)
    assert proposal is not None
    assert proposal.earliest_day == pytest.approx(138.5)
    assert proposal.latest_day == pytest.approx(145.5)
    assert propose(FIXED, already) is None


def test_as_needed_never_proposes():
    risk = RiskSnapshot(as_of_day=10, early_warning=True, latest_phq9=20, last_session_day=0)
    assert propose(PolicySettings(policy=Policy.AS_NEEDED), risk) is None


def test_no_proposal_outside_maintenance():
    risk = RiskSnapshot(as_of_day=10, early_warning=True, in_maintenance=False)
    assert propose(FORECAST, risk) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"probability_threshold": 0},
        {"probability_threshold": 1.2},
        {"fixed_interval_days": 0},
        {"window_days": 0},
    ],
)
def test_impossible_settings_are_refused(bad):
    with pytest.raises(ValueError):
        PolicySettings(**bad)


def test_symptom_policy_ignores_stale_scores_and_scores_from_before_the_last_session():
    stale = RiskSnapshot(as_of_day=100, latest_phq9=14, latest_phq9_day=80, nadir_phq9=4)
    before_booster = RiskSnapshot(
        as_of_day=100, latest_phq9=14, latest_phq9_day=95, nadir_phq9=4, last_session_day=96
    )
    assert propose(SYMPTOM, stale) is None
    assert propose(SYMPTOM, before_booster) is None


def test_fixed_policy_proposes_again_a_week_after_a_declined_proposal():
    declined_yesterday = RiskSnapshot(as_of_day=140, last_session_day=100, last_proposal_day=139)
    declined_last_week = RiskSnapshot(as_of_day=147, last_session_day=100, last_proposal_day=139)
    assert propose(FIXED, declined_yesterday) is None
    assert propose(FIXED, declined_last_week) is not None


def test_no_proposal_while_a_booster_is_booked():
    risk = RiskSnapshot(as_of_day=100, early_warning=True, booked_booster_day=104)
    assert propose(FORECAST, risk) is None


def test_forecast_proposes_on_a_fresh_phq9_at_the_relapse_threshold_whatever_the_forecast():
    """Symptoms already back need no forecast: a PHQ-9 of 10 or more, taken after the last
    session and at most 14 days old, proposes even when P(21 d) is below p."""
    calm = {"p_relapse_14d": 0.05, "p_relapse_28d": 0.1, "last_session_day": 60}
    proposal = propose(
        FORECAST, RiskSnapshot(as_of_day=100, latest_phq9=12, latest_phq9_day=98, **calm)
    )
    assert proposal is not None
    assert proposal.reasons == ("PHQ-9 12 is at or above 10",)
    assert proposal.drivers["latest_phq9"] == 12


@pytest.mark.parametrize(
    ("score", "day", "why"),
    [
        (9, 98, "below the threshold"),
        (12, 80, "older than 14 days"),
        (12, 60, "taken before the last session (the booster is not judged yet)"),
    ],
)
def test_forecast_does_not_act_on_a_phq9_below_stale_or_before_the_session(score, day, why):
    calm = {"p_relapse_14d": 0.05, "p_relapse_28d": 0.1, "last_session_day": 60}
    risk = RiskSnapshot(as_of_day=100, latest_phq9=score, latest_phq9_day=day, **calm)
    assert propose(FORECAST, risk) is None, why
