"""The survival maths' fast paths give the same answers: the curve's steps read as whole
columns, and the proportional-hazards check on a sample of large data."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from lasting_core.analytics.survival import fit_cox, fit_kaplan_meier


def test_curve_steps_are_lifelines_values_at_every_time():
    rng = np.random.default_rng(3)
    durations = rng.integers(1, 200, 400).astype(float)
    events = rng.random(400) < 0.6
    curve = fit_kaplan_meier(durations, events)
    fitter = KaplanMeierFitter().fit(durations, events)
    band = fitter.confidence_interval_survival_function_
    assert len(curve.steps) == len(fitter.survival_function_)
    for step in curve.steps:
        assert step.survival == pytest.approx(fitter.survival_function_.loc[step.days].iloc[0])
        assert step.lower == pytest.approx(band.loc[step.days].iloc[0])
        assert step.upper == pytest.approx(band.loc[step.days].iloc[1])
        assert step.at_risk == int(fitter.event_table.loc[step.days, "at_risk"])


def test_a_sampled_ph_check_keeps_every_episode_s_hazard_ratios():
    rng = np.random.default_rng(5)
    n = 3000
    factor = rng.integers(0, 2, n).astype(float)
    durations = rng.exponential(60 / np.where(factor == 1, 2.0, 1.0)) + 1
    events = rng.random(n) < 0.7
    full = fit_cox({"f": factor}, durations, events)
    sampled = fit_cox({"f": factor}, durations, events, ph_sample=500)
    assert sampled.terms[0].hazard_ratio == full.terms[0].hazard_ratio
    assert sampled.terms[0].hazard_ratio == pytest.approx(2.0, rel=0.15)
    assert sampled.terms[0].ph_p is not None
    assert sampled.terms[0].ph_p != full.terms[0].ph_p  # checked on the sample
