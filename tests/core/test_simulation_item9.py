"""The simulator's PHQ-9 item 9 answers as outpatients do (Simon 2013).

Reference figures and their provenance: tests/reference/item9_rates.md and .json.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from lasting_core.simulation import MaintenancePolicy, get_preset, simulate_cohort
from lasting_core.simulation.calibration import (
    calibrate_item9_log_odds,
    clipped_normal_grid,
    expected_item9_rates,
)
from lasting_core.simulation.observations import draw_item9, item9_probabilities

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "item9_rates.json").read_text())
SHARES = REFERENCE["item9_shares"]
# Shares of each answer 1, 2, 3 and of item 9 >= 1, >= 2, >= 3.
EACH = (SHARES["several_days"], SHARES["more_than_half_the_days"], SHARES["nearly_every_day"])
AT_LEAST = (sum(EACH), EACH[1] + EACH[2], EACH[2])
MEAN = REFERENCE["matching_population"]["latent_phq9_mean"]
SD = REFERENCE["matching_population"]["latent_phq9_sd"]
TOLERANCE = REFERENCE["tolerance"]
PRESET = get_preset("real-world")
MIX = {
    MaintenancePolicy.NONE: 0.3,
    MaintenancePolicy.FIXED: 0.3,
    MaintenancePolicy.SYMPTOM: 0.4,
}


def test_the_intercepts_reproduce_the_published_outpatient_rates() -> None:
    expected = expected_item9_rates(PRESET, MEAN, SD)
    assert expected == pytest.approx(AT_LEAST, abs=TOLERANCE["exact_share"])
    calibrated = calibrate_item9_log_odds(PRESET, AT_LEAST, MEAN, SD)
    assert calibrated == pytest.approx(PRESET.item9_log_odds, abs=0.01)


def test_drawn_answers_match_the_reference_at_matching_severity() -> None:
    rng = np.random.default_rng(20131201)
    latent = np.clip(rng.normal(MEAN, SD, 200_000), 0.0, 27.0)
    answers = draw_item9(latent, PRESET, rng)
    shares = [float(np.mean(answers == value)) for value in (1, 2, 3)]
    assert shares == pytest.approx(EACH, abs=TOLERANCE["simulated_each_answer"])
    assert float(np.mean(answers > 0)) == pytest.approx(
        AT_LEAST[0], abs=TOLERANCE["simulated_any_positive"]
    )


def test_a_simulated_clinic_reweighted_to_outpatient_severity_matches_the_reference() -> None:
    """Every PHQ-9 of a simulated clinic's year, post-stratified by its latent severity
    (one-point bins, 22 and above pooled) to the outpatient population."""
    cohort = simulate_cohort(800, 365, seed=7, policy_mix=MIX)
    pairs = [
        (float(patient.latent_phq9[o.day]), o.items[8])
        for patient in cohort.patients
        for o in patient.observations
        if o.instrument == "phq9"
    ]
    latent = np.array([level for level, _ in pairs])
    item9 = np.array([answer for _, answer in pairs])
    edges = np.array([*range(23), 28.0])
    strata = len(edges) - 1

    def stratum(levels: np.ndarray) -> np.ndarray:
        return np.clip(np.searchsorted(edges, levels, side="right") - 1, 0, strata - 1)

    points, weights = clipped_normal_grid(MEAN, SD)
    population = np.bincount(stratum(points), weights=weights, minlength=strata)
    counts = np.bincount(stratum(latent), minlength=strata)
    assert counts.min() >= 50  # every stratum is measured
    shares = []
    for value in (1, 2, 3):
        hits = np.bincount(stratum(latent), weights=item9 == value, minlength=strata)
        shares.append(float(population @ (hits / counts)))
    assert shares == pytest.approx(EACH, abs=TOLERANCE["simulated_each_answer"])
    assert sum(shares) == pytest.approx(AT_LEAST[0], abs=TOLERANCE["simulated_any_positive"])


def test_item9_is_more_often_positive_and_more_often_severe_at_higher_severity() -> None:
    levels = np.arange(0.0, 27.5, 0.5)
    at_least = item9_probabilities(levels, PRESET)
    assert np.all(np.diff(at_least, axis=1) > 0)
    assert np.all(at_least[0] >= at_least[1])
    assert np.all(at_least[1] >= at_least[2])


def test_before_induction_the_seed_cohort_answers_positively_more_than_outpatients() -> None:
    """Baseline PHQ-9 about N(17, 4) (real-world preset): far more positive answers than at 11."""
    baseline_any = expected_item9_rates(PRESET, 17.0, 4.0)[0]
    assert 0.15 < baseline_any < 0.35
    assert baseline_any > 2 * AT_LEAST[0]


def test_nested_odds_are_required() -> None:
    with pytest.raises(ValueError, match="item9_log_odds"):
        dataclasses.replace(PRESET, item9_log_odds=(-4.0, -3.0, -5.0))
