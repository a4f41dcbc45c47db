"""The forecast's probabilities mean what they say, on a cohort of the tuning family.

P(relapse criteria met within 28 days) is compared with what happened: the relapse
criteria met on the simulated check-ins within 28 days of the assessment.
"""

from __future__ import annotations

import numpy as np
import pytest

from lasting_core.definitions import RESPONDING
from lasting_core.engine import EngineSettings, PopulationPrior, assess_packed, pack_histories
from lasting_core.simulation import simulate_cohort
from lasting_core.simulation.evaluation import history_of, observed_relapses


@pytest.fixture(scope="module")
def forecasts_and_outcomes() -> tuple[np.ndarray, np.ndarray]:
    """Patients in response, checking in, assessed every 15 days of a natural history."""
    cohort = simulate_cohort(600, 300, seed=31)
    histories = [history_of(p) for p in cohort.patients]
    relapses = [observed_relapses(p) for p in cohort.patients]
    predicted: list[float] = []
    happened: list[bool] = []
    for day in np.arange(100.0, 260.0, 15.0):
        as_of = day + 0.99
        m = assess_packed(
            pack_histories(histories, as_of),
            as_of,
            EngineSettings(),
            PopulationPrior.default(),
            crossing=False,
        )
        for i, days in enumerate(relapses):
            if m.state[i] == RESPONDING and not m.disengaged[i]:
                predicted.append(float(m.p28[i]))
                happened.append(any(day < d <= day + 28.0 for d in days))
    return np.asarray(predicted), np.asarray(happened)


def test_the_forecast_is_calibrated_in_the_large(
    forecasts_and_outcomes: tuple[np.ndarray, np.ndarray],
) -> None:
    predicted, happened = forecasts_and_outcomes
    assert predicted.size > 500
    assert predicted.mean() == pytest.approx(happened.mean(), abs=0.04)


def test_a_calm_patient_is_not_called_safer_than_calm_patients_are(
    forecasts_and_outcomes: tuple[np.ndarray, np.ndarray],
) -> None:
    """Returns can start any day; a low forecast must not claim near-certainty."""
    predicted, happened = forecasts_and_outcomes
    low = predicted < 0.1
    assert low.sum() > 100
    assert happened[low].mean() < 0.1 + 0.05
    assert predicted[low].mean() > happened[low].mean() - 0.04
