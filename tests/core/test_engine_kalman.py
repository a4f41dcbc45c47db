"""The continuous-time local level + damped trend filter (docs/engine.md)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from lasting_core.engine import EngineSettings
from lasting_core.engine.kalman import KalmanArrays, intervene, predict, transition, update

SETTINGS = EngineSettings()


def run(
    days: list[float], scores: list[float], settings: EngineSettings = SETTINGS
) -> KalmanArrays:
    k = KalmanArrays.empty(1, settings)
    for day, score in zip(days, scores, strict=True):
        predict(k, np.array([day]), settings)
        update(k, np.ones(1, dtype=bool), np.array([score]), settings)
    return k


def test_a_steady_series_converges_to_its_level() -> None:
    rng = np.random.default_rng(1)
    days = [7.0 * i for i in range(30)]
    k = run(days, list(8.0 + rng.normal(0, 2.2, 30)))
    assert k.level[0] == pytest.approx(8.0, abs=1.0)
    assert abs(k.slope[0] * 7) < 0.5
    assert math.sqrt(k.p11[0]) < SETTINGS.obs_sd  # tighter than one check-in


def test_a_rising_series_gets_a_positive_slope() -> None:
    days = [7.0 * i for i in range(10)]
    k = run(days, [4.0 + 2.0 * i for i in range(10)])
    assert k.slope[0] * 7.0 > 1.0
    assert k.level[0] > 18.0


def test_a_session_resets_the_trend_and_inflates_the_level_variance() -> None:
    k = run([7.0 * i for i in range(8)], [4.0 + 2.0 * i for i in range(8)])
    before = k.p11[0]
    intervene(k, np.ones(1, dtype=bool), SETTINGS)
    assert k.slope[0] == 0.0
    assert k.p12[0] == 0.0
    assert k.p11[0] == pytest.approx(before + SETTINGS.session_level_sd**2)


def test_one_long_gap_equals_two_short_ones() -> None:
    """Irregular gaps are exact: predicting 10 days equals predicting 3 then 7."""
    one = run([0.0, 7.0], [10.0, 12.0])
    two = run([0.0, 7.0], [10.0, 12.0])
    predict(one, np.array([17.0]), SETTINGS)
    predict(two, np.array([10.0]), SETTINGS)
    predict(two, np.array([17.0]), SETTINGS)
    for name in ("level", "slope", "p11", "p12", "p22"):
        assert getattr(one, name)[0] == pytest.approx(getattr(two, name)[0], rel=1e-12, abs=1e-15)


def test_a_zero_gap_and_a_missing_observation_change_nothing() -> None:
    k = run([0.0, 7.0, 14.0], [10.0, 12.0, 11.0])
    before = dataclasses.astuple(k)
    predict(k, np.array([14.0]), SETTINGS)
    predict(k, np.array([np.nan]), SETTINGS)
    update(k, np.zeros(1, dtype=bool), np.array([27.0]), SETTINGS)
    for a, b in zip(before, dataclasses.astuple(k), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_level_only_case_matches_the_closed_form() -> None:
    """With no slope noise the filter is a random-walk level; check it by hand."""
    settings = dataclasses.replace(SETTINGS, slope_sd_per_day=1e-12)
    q = settings.level_sd_per_sqrt_day**2
    r = settings.obs_sd**2
    p0 = settings.initial_level_sd**2
    m0 = settings.initial_level
    k = run([0.0, 5.0], [9.0, 12.0], settings)
    # First check-in: the prior at day 0 is not moved (no earlier record).
    p1 = p0 * r / (p0 + r)
    m1 = m0 + p0 / (p0 + r) * (9.0 - m0)
    # Five days of random walk, then the second check-in.
    p_pred = p1 + 5.0 * q
    m2 = m1 + p_pred / (p_pred + r) * (12.0 - m1)
    p2 = p_pred * r / (p_pred + r)
    assert k.level[0] == pytest.approx(m2, rel=1e-9)
    assert k.p11[0] == pytest.approx(p2, rel=1e-9)


def test_weekly_check_ins_reach_the_steady_state_of_the_level_only_filter() -> None:
    """Steady state of the predicted variance: P = (q + sqrt(q^2 + 4 q R)) / 2, q per week."""
    settings = dataclasses.replace(SETTINGS, slope_sd_per_day=1e-12)
    q = 7.0 * settings.level_sd_per_sqrt_day**2
    r = settings.obs_sd**2
    k = run([7.0 * i for i in range(200)], [5.0] * 200, settings)
    predicted = k.p11[0] + q
    assert predicted == pytest.approx((q + math.sqrt(q * q + 4.0 * q * r)) / 2.0, rel=1e-6)


def test_process_noise_is_a_valid_covariance_for_any_gap() -> None:
    t = transition(np.array([0.0, 0.01, 1.0, 7.0, 90.0, 3650.0]), SETTINGS)
    assert np.all(t.q11 >= 0)
    assert np.all(t.q22 >= 0)
    assert np.all(t.q11 * t.q22 - t.q12**2 >= -1e-12)
    np.testing.assert_array_equal(t.q11[:1], 0.0)
    np.testing.assert_array_equal(t.decay[:1], 1.0)
