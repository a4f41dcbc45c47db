"""The durability hazard inside the one 28-day probability (docs/engine.md 2.5-2.7).

The personal relief length, shrunk to the clinic's curve, must raise the probability of a
relapse within 28 days as a calm patient approaches it, before any symptom moves; the
two check-ins of the criteria may be read as sharing one latent course
(``EngineSettings.joint_readings``); every probability stays in [0, 1].
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lasting_core.engine import EngineSettings, PopulationPrior, assess_cohort, assess_patient
from lasting_core.engine.durability import posterior_median
from lasting_core.engine.normal import bivariate_normal_cdf, normal_cdf
from lasting_core.engine.returns import Hazard, ReturnArrays, two_readings
from tests.core.engine_factories import make_random_history
from tests.core.test_engine_forecast import patient_with_intervals

JOINT = EngineSettings(joint_readings=True)
PRIOR = PopulationPrior.default()


def calm_hazard(elapsed: np.ndarray, gamma_shape: float, gamma_rate: float) -> Hazard:
    return Hazard(
        rate=np.full(elapsed.size, 0.35),
        elapsed=elapsed,
        gamma_shape=np.full(elapsed.size, gamma_shape),
        gamma_rate=np.full(elapsed.size, gamma_rate),
        weibull_shape=PRIOR.shape,
        rise_days=PRIOR.rise_days,
        rise_log_sd=PRIOR.rise_log_sd,
    )


def calm_state(n: int, settings: EngineSettings) -> ReturnArrays:
    r = ReturnArrays.empty(n, settings)
    r.level0[:], r.var0[:], r.returning[:], r.day[:] = 4.0, 1.0, 0.0, 60.0
    return r


@pytest.mark.parametrize("settings", [EngineSettings(), JOINT], ids=["independent", "joint"])
def test_a_calm_patient_is_watched_more_closely_as_the_usual_relief_length_nears(
    settings: EngineSettings,
) -> None:
    """Same calm scores; only the days since the session change, around the usual length.

    The patient has 4 own courses (posterior a + 4, b + 4 L^k), so the personal pace is
    known; without own courses the clinic's spread of paces (Gamma a = 2) makes lasting
    past the clinic's median evidence of a slow patient, and the hazard flattens there
    (docs/engine.md 6).
    """
    courses, length, k = 4, PRIOR.median_days(), PRIOR.shape
    a, b = PRIOR.gamma_shape + courses, PRIOR.gamma_rate + courses * length**k
    usual = float(posterior_median(a, b, k))
    elapsed = usual * np.array([0.25, 0.5, 0.75, 1.0, 1.25])
    n = elapsed.size
    bar = np.full(n, 10.0)
    p = two_readings(calm_state(n, settings), bar, 21.0, 28.0, calm_hazard(elapsed, a, b), settings)
    assert np.all(np.diff(p) > 0.0), p
    assert np.all((p > 0.0) & (p < 0.2))  # calm: watched more closely, not alarmed


def test_a_patient_whose_relief_is_short_is_more_at_risk_at_the_same_day() -> None:
    """The personal hazard, not the clinic's alone: same calm day, shorter usual relief."""
    short = assess_patient(patient_with_intervals([20.0, 21.0, 19.0, 20.0]), 24.0 + 80.0 + 14.0)
    long = assess_patient(patient_with_intervals([70.0, 72.0, 68.0, 70.0]), 24.0 + 280.0 + 14.0)
    assert short.days_since_session == long.days_since_session == 14.0
    assert short.p_relapse_28d is not None
    assert long.p_relapse_28d is not None
    assert short.p_relapse_28d > long.p_relapse_28d


def test_few_own_courses_stay_near_the_clinic_and_many_move_to_the_patient() -> None:
    clinic = PRIOR.median_days()
    own = 15.0
    usual = []
    for courses in (1, 3, 8):
        lengths = [own] * courses
        a = assess_patient(patient_with_intervals(lengths), 24.0 + own * courses + 5.0)
        assert a.usual_interval_days is not None
        usual.append(a.usual_interval_days)
    # Shrunk towards the clinic, less so with each course of the patient's own.
    assert clinic > usual[0] > usual[1] > usual[2] > own
    assert clinic - usual[0] < usual[0] - own  # one course: still nearer the clinic


def test_the_bivariate_normal_matches_reference_values() -> None:
    # Reference values: scipy.stats.multivariate_normal(...).cdf, computed once.
    cases = [
        (0.3, -0.5, 0.5, 0.2568074670936725),
        (1.0, 1.0, 0.9, 0.7981798295654441),
        (-1.0, 0.2, 0.99, 0.15865525393145707),
        (0.0, 0.0, 0.0, 0.25),
        (2.0, -1.0, 0.7, 0.1586516713224002),
    ]
    h, k, rho, expected = (np.array(column) for column in zip(*cases, strict=True))
    assert bivariate_normal_cdf(h, k, rho) == pytest.approx(expected, abs=2e-6)


def test_joint_readings_lie_between_the_product_and_the_smaller_reading() -> None:
    rng = np.random.default_rng(16)
    h, k = rng.normal(0.0, 2.0, 500), rng.normal(0.0, 2.0, 500)
    rho = rng.uniform(0.0, 1.0, 500)
    joint = bivariate_normal_cdf(h, k, rho)
    product = normal_cdf(h) * normal_cdf(k)
    assert np.all(joint >= product - 1e-9)  # Slepian: positive correlation never lowers it
    assert np.all(joint <= np.minimum(normal_cdf(h), normal_cdf(k)) + 1e-12)


@pytest.mark.parametrize("settings", [EngineSettings(), JOINT], ids=["independent", "joint"])
def test_probabilities_stay_in_the_unit_interval(settings: EngineSettings) -> None:
    rng = np.random.default_rng(7)
    n = 400
    r = ReturnArrays.empty(n, settings)
    r.level0[:], r.level1[:] = rng.uniform(0, 27, n), rng.uniform(0, 27, n)
    r.var0[:], r.p11[:] = rng.uniform(0.01, 60, n), rng.uniform(0.01, 60, n)
    r.p22[:] = rng.uniform(0.0, 0.2, n)
    r.p12[:] = rng.uniform(-0.9, 0.9, n) * np.sqrt(r.p11 * r.p22)
    r.slope1[:], r.returning[:] = rng.normal(0, 0.5, n), rng.uniform(0, 1, n)
    hazard = calm_hazard(rng.uniform(0, 400, n), 2.0, float(rng.uniform(10, 5000)))
    p = two_readings(r, rng.uniform(10, 20, n), 21.0, 28.0, hazard, settings)
    assert np.all((p >= 0.0) & (p <= 1.0))


def test_joint_readings_raise_the_forecast_of_a_return_under_way() -> None:
    """A patient already climbing: the two readings share the climb, so P28 is higher."""
    weekly = patient_with_intervals([40.0]).phq9
    rising = dataclasses.replace(
        patient_with_intervals([40.0]),
        phq9=(*weekly, (80.0, 5.0), (87.0, 7.0), (94.0, 8.0)),
    )
    plain = assess_patient(rising, 94.0)
    joint = assess_patient(rising, 94.0, JOINT)
    assert plain.p_relapse_28d is not None
    assert joint.p_relapse_28d is not None
    assert joint.p_relapse_28d > plain.p_relapse_28d


def test_the_batch_and_one_patient_paths_agree_with_joint_readings() -> None:
    rng = np.random.default_rng(99)
    cohort = [make_random_history(rng) for _ in range(12)]
    batch = assess_cohort(cohort, 150.0, JOINT)
    for history, a in zip(cohort, batch, strict=True):
        b = assess_patient(history, 150.0, JOINT)
        for name in ("p_relapse_14d", "p_relapse_28d", "crossing_day"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None), name
            if x is not None:
                assert x == pytest.approx(y, rel=1e-9, abs=1e-12), name
