"""Calibration per clinic: the fit recovers what a cohort was generated with, the threshold
keeps the clinic's budget on the history it was fitted on, and the Brier score and the
reliability table are what the hand computes."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from lasting_core.engine import EngineSettings, PatientHistory
from lasting_core.engine.calibrate import (
    MIN_NOISE_PAIRS,
    THRESHOLD_GRID,
    Calibration,
    InsufficientHistory,
    calibrate_clinic,
    estimate_daily_scale,
    estimate_observation_sd,
    fit_threshold,
    probability_calibration,
    relapse_days,
    settings_from,
)
from lasting_core.engine.patients import assess_cohort, assess_patient
from lasting_core.engine.recalibration import (
    apply_probability_map,
    check_probability_map,
    fit_platt,
    platt_map,
)
from lasting_core.simulation import simulate_cohort
from lasting_core.simulation.evaluation import history_of
from lasting_core.simulation.observations import DAILY_SEVERITY_SLOPES
from lasting_core.simulation.presets import REAL_WORLD

# Stated tolerances: the observation SD within 10 % and the daily scale within 10 % on a
# few hundred patients (the estimates rest on hundreds of pairs; rounding to whole points
# and the latent's own movement are not removed exactly).
NOISE_TOLERANCE = 0.10
SCALE_TOLERANCE = 0.10


def simulated_histories(observation_sd: float, patients: int = 200) -> dict[str, PatientHistory]:
    """A year of the tuning family's real-world preset with the given PHQ-9 noise."""
    preset = dataclasses.replace(REAL_WORLD, observation_sd=observation_sd)
    cohort = simulate_cohort(patients, 365, preset=preset, seed=5)
    return {str(p.index): history_of(p) for p in cohort.patients}


def generated_daily(scale: float, patients: int = 80, seed: int = 3) -> list[PatientHistory]:
    """Patients whose latent PHQ-9 swings between about 4 and 16 over 90-day cycles, a
    weekly PHQ-9 (noise SD 2.2, whole points) and a daily check whose items move ``scale``
    points per PHQ-9 point (mood and sleep down, stress up), each with a personal offset
    and noise SD 1."""
    rng = np.random.default_rng(seed)
    histories = []
    for _ in range(patients):
        phase = rng.uniform(0, 2 * math.pi)
        offsets = rng.normal(0.0, 0.7, 3)
        days = np.arange(180)
        latent = 10.0 + 6.0 * np.sin(2 * math.pi * days / 90.0 + phase)
        phq9 = tuple(
            (float(day), float(np.clip(np.rint(latent[day] + rng.normal(0, 2.2)), 0, 27)))
            for day in range(0, 180, 7)
        )
        daily = []
        for day in days:
            mood = 8.0 + offsets[0] - scale * latent[day] + rng.normal(0, 1)
            sleep = 8.0 + offsets[1] - scale * latent[day] + rng.normal(0, 1)
            stress = 2.0 + offsets[2] + scale * latent[day] + rng.normal(0, 1)
            daily.append(
                (float(day) + 0.5, *(float(np.clip(v, 0, 10)) for v in (mood, sleep, stress)))
            )
        histories.append(PatientHistory(phq9=phq9, daily=tuple(daily)))
    return histories


class TestObservationNoise:
    @pytest.mark.parametrize("observation_sd", [2.2, 3.0])
    def test_it_recovers_the_cohorts_phq9_noise(self, observation_sd: float) -> None:
        histories = list(simulated_histories(observation_sd).values())
        fitted, pairs = estimate_observation_sd(histories, EngineSettings())
        assert pairs >= MIN_NOISE_PAIRS
        assert fitted == pytest.approx(observation_sd, rel=NOISE_TOLERANCE)

    def test_a_noisier_cohort_gets_a_larger_noise(self) -> None:
        quiet, _ = estimate_observation_sd(
            list(simulated_histories(2.2).values()), EngineSettings()
        )
        noisy, _ = estimate_observation_sd(
            list(simulated_histories(3.0).values()), EngineSettings()
        )
        assert noisy > quiet + 0.4

    def test_too_few_pairs_say_how_many_are_needed(self) -> None:
        history = PatientHistory(phq9=((0.0, 12.0), (7.0, 13.0)))
        with pytest.raises(InsufficientHistory, match=f"at least {MIN_NOISE_PAIRS}"):
            estimate_observation_sd([history], EngineSettings())


class TestDailyScale:
    @pytest.mark.parametrize("scale", [0.1, 0.35])
    def test_it_recovers_the_generated_scale(self, scale: float) -> None:
        fitted, points = estimate_daily_scale(generated_daily(scale), 2.2)
        assert points > 1000
        assert fitted == pytest.approx(scale, rel=SCALE_TOLERANCE)

    def test_it_recovers_the_simulators_scale(self) -> None:
        # The simulator's items move 6.5, 5 and 5 points over the PHQ-9's 27 (their mean).
        truth = float(np.mean(np.abs(DAILY_SEVERITY_SLOPES))) / 27.0
        histories = list(simulated_histories(2.2).values())
        fitted, _ = estimate_daily_scale(histories, 2.2)
        assert fitted == pytest.approx(truth, rel=SCALE_TOLERANCE)

    def test_without_daily_checks_there_is_no_scale(self) -> None:
        no_daily = [dataclasses.replace(h, daily=()) for h in generated_daily(0.2, patients=5)]
        assert estimate_daily_scale(no_daily, 2.2) == (None, 0)


class TestProbabilityCalibration:
    def test_brier_and_bins_match_the_hand_computation(self) -> None:
        # (0.1 - 0)² + (0.1 - 1)² + (0.6 - 1)² + (0.8 - 1)² = 0.01 + 0.81 + 0.16 + 0.04.
        result = probability_calibration([0.1, 0.1, 0.6, 0.8], [0, 1, 1, 1])
        assert result.brier == pytest.approx(1.02 / 4)
        assert result.forecasts == 4
        assert result.relapses_within_horizon == 3
        table = [(b.low, b.high, b.mean_predicted, b.observed_share, b.count) for b in result.bins]
        assert table == [
            (0.1, 0.2, pytest.approx(0.1), 0.5, 2),
            (0.5, 0.7, pytest.approx(0.6), 1.0, 1),
            (0.7, 1.0, pytest.approx(0.8), 1.0, 1),
        ]

    def test_the_last_bin_holds_a_certain_forecast(self) -> None:
        result = probability_calibration([1.0, 0.0], [1, 0])
        assert [(b.low, b.count) for b in result.bins] == [(0.0, 1), (0.7, 1)]
        assert result.brier == 0.0

    def test_lengths_must_agree(self) -> None:
        with pytest.raises(ValueError, match="length"):
            probability_calibration([0.5], [1, 0])


class TestRecalibrationMap:
    def test_platt_recovers_the_generating_curve(self) -> None:
        rng = np.random.default_rng(8)
        predicted = rng.uniform(0.02, 0.98, 20_000)
        truth = 1.0 / (1.0 + np.exp(-(-1.0 + 0.5 * np.log(predicted / (1 - predicted)))))
        observed = (rng.uniform(0, 1, predicted.size) < truth).astype(float)
        a, b = fit_platt(predicted, observed)
        assert a == pytest.approx(-1.0, abs=0.1)
        assert b == pytest.approx(0.5, abs=0.05)

    def test_calibrated_forecasts_keep_about_the_identity(self) -> None:
        rng = np.random.default_rng(9)
        predicted = rng.uniform(0.02, 0.98, 20_000)
        observed = (rng.uniform(0, 1, predicted.size) < predicted).astype(float)
        a, b = fit_platt(predicted, observed)
        assert a == pytest.approx(0.0, abs=0.1)
        assert b == pytest.approx(1.0, abs=0.1)

    def test_the_map_is_linear_between_knots_and_keeps_nan(self) -> None:
        knots = ((0.0, 0.0), (0.5, 0.25), (1.0, 0.5))
        mapped = apply_probability_map(np.array([0.0, 0.25, 0.75, 1.0, np.nan]), knots)
        assert mapped[:4] == pytest.approx([0.0, 0.125, 0.375, 0.5])
        assert math.isnan(mapped[4])

    def test_the_platt_map_rises_strictly_and_matches_its_curve(self) -> None:
        knots = platt_map(-1.0, 0.5)
        check_probability_map(knots)
        calibrated = [c for _, c in knots]
        assert all(later > earlier for earlier, later in itertools.pairwise(calibrated))
        at_half = apply_probability_map(np.array([0.5]), knots)[0]
        assert at_half == pytest.approx(1.0 / (1.0 + math.exp(1.0)))

    def test_on_miscalibrated_forecasts_the_map_lowers_the_brier_score(self) -> None:
        rng = np.random.default_rng(10)
        predicted = rng.uniform(0.02, 0.98, 2000)
        observed = (rng.uniform(0, 1, predicted.size) < predicted**2).astype(float)
        mapped = apply_probability_map(predicted, platt_map(*fit_platt(predicted, observed)))
        raw = probability_calibration(predicted, observed).brier
        assert probability_calibration(mapped, observed).brier < raw - 0.01

    def test_settings_refuse_a_falling_map(self) -> None:
        with pytest.raises(ValueError, match="probability_map"):
            EngineSettings(probability_map=((0.1, 0.5), (0.2, 0.4)))

    def test_the_engine_applies_the_map_to_both_probabilities(self) -> None:
        history = next(
            h
            for h in simulated_histories(2.2, patients=40).values()
            if (p := assess_patient(h, 200.0).p_relapse_28d) is not None and p > 0.1
        )
        plain = assess_patient(history, 200.0)
        halved = assess_patient(history, 200.0, EngineSettings(probability_map=((0, 0), (1, 0.5))))
        assert plain.p_relapse_28d is not None
        assert plain.p_relapse_14d is not None
        assert halved.p_relapse_28d == pytest.approx(plain.p_relapse_28d / 2)
        assert halved.p_relapse_14d == pytest.approx(plain.p_relapse_14d / 2)

    def test_both_paths_apply_the_map_alike(self) -> None:
        settings = EngineSettings(probability_map=platt_map(-1.0, 0.7))
        histories = list(simulated_histories(2.2, patients=30).values())
        batch = assess_cohort(histories, 200.0, settings)
        for history, together in zip(histories, batch, strict=True):
            alone = assess_patient(history, 200.0, settings)
            assert alone.p_relapse_28d == pytest.approx(together.p_relapse_28d, nan_ok=True)
            assert alone.p_relapse_14d == pytest.approx(together.p_relapse_14d, nan_ok=True)


@pytest.fixture(scope="module")
def noisy_clinic() -> dict[str, PatientHistory]:
    return simulated_histories(3.0, patients=150)


@pytest.fixture(scope="module")
def calibration(noisy_clinic: dict[str, PatientHistory]) -> Calibration:
    return calibrate_clinic(noisy_clinic, 0.5, 364.0)


class TestCalibrateClinic:
    def test_the_threshold_keeps_the_budget_on_the_fitted_history(
        self, calibration: Calibration
    ) -> None:
        assert calibration.budget_met
        assert calibration.score.false_per_at_risk_year <= 0.5
        assert calibration.settings.early_warning_probability in THRESHOLD_GRID

    def test_the_threshold_is_the_lowest_tried_within_budget(
        self, calibration: Calibration
    ) -> None:
        chosen = calibration.settings.early_warning_probability
        below = [rate for threshold, rate in calibration.thresholds if threshold < chosen]
        assert below, "the bisection tried a lower threshold"
        assert all(rate > 0.5 for rate in below)

    def test_it_fits_the_noise_and_keeps_the_engine_working(self, calibration: Calibration) -> None:
        fitted = calibration.fitted()
        assert set(fitted) == {
            "obs_sd",
            "daily_points_per_phq9",
            "early_warning_probability",
            "probability_map",
        }
        assert fitted["obs_sd"] == pytest.approx(3.0, rel=NOISE_TOLERANCE)
        assert calibration.score.relapses >= 5
        assert 0 < calibration.score.caught <= calibration.score.relapses

    def test_it_reports_the_probabilities_calibration(self, calibration: Calibration) -> None:
        raw = calibration.raw_probabilities
        assert raw.forecasts == sum(b.count for b in raw.bins)
        assert 0.0 < raw.brier < 0.25
        assert raw.relapses_within_horizon > 0

    def test_a_calibrated_engine_gets_no_map(self, calibration: Calibration) -> None:
        # The tuning family's forecasts are calibrated already: Platt would not lower the
        # Brier score, so no map is kept and the probabilities stay the engine's own.
        assert calibration.settings.probability_map == ()
        assert calibration.probabilities == calibration.raw_probabilities

    def test_the_fitted_values_read_back_as_the_same_settings(
        self, calibration: Calibration
    ) -> None:
        assert settings_from(calibration.fitted(), EngineSettings()) == calibration.settings

    def test_a_tighter_budget_never_lowers_the_threshold(
        self, noisy_clinic: dict[str, PatientHistory], calibration: Calibration
    ) -> None:
        truth = {pid: relapse_days(history) for pid, history in noisy_clinic.items()}
        threshold, score, met, _ = fit_threshold(
            noisy_clinic, truth, calibration.settings, calibration.prior, 0.25, 0.0, 308.0
        )
        assert met
        assert threshold >= calibration.settings.early_warning_probability
        assert score.false_per_at_risk_year <= 0.25

    def test_a_short_history_says_how_many_relapses_are_needed(
        self, noisy_clinic: dict[str, PatientHistory]
    ) -> None:
        with pytest.raises(InsufficientHistory, match="at least 5"):
            calibrate_clinic(noisy_clinic, 0.5, 100.0)

    def test_an_empty_history_is_refused(self) -> None:
        with pytest.raises(InsufficientHistory, match="no records"):
            calibrate_clinic({}, 0.5, 100.0)
