"""Properties of the regime generator (the reporting family) and of the closed loop.

Calibration, structure and determinism by seed: tests/core/test_regimes.py. Here: every
instrument stays in its range, the relapse criteria are met at plausible rates on the
observed check-ins, the daily items lag the symptoms by personal lags, and the closed
loop adds the app's mid-week check-ins only while risk is raised, from the generator's own
observation model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lasting_core.engine import EngineSettings, PopulationPrior
from lasting_core.schedules import ScheduleSettings
from lasting_core.simulation import simulate_cohort
from lasting_core.simulation.closed_loop import (
    closed_loop_histories,
    first_generator_answers,
    midweek_slots,
    regime_answers,
)
from lasting_core.simulation.evaluation import observed_relapses
from lasting_core.simulation.regime_cohort import (
    RegimeCohort,
    draw_daily_items,
    simulate_regime_cohort,
)
from lasting_core.simulation.regime_settings import RegimeSettings
from lasting_core.simulation.regimes import draw_regime_patients, random_streams, run_regimes


@pytest.fixture(scope="module")
def natural_year() -> RegimeCohort:
    """A year without boosters, everyone enrolled in the first two months."""
    return simulate_regime_cohort(400, 365, seed=17, enrolment_days=60)


def test_every_instrument_stays_in_its_range(natural_year: RegimeCohort) -> None:
    phq9 = daily = 0
    for patient in natural_year.patients:
        for o in patient.observations:
            if o.instrument == "phq9":
                phq9 += 1
                assert o.total is not None
                assert 0 <= o.total <= 27
                assert len(o.items) == 9
                assert all(0 <= item <= 3 for item in o.items)
                assert sum(o.items) == o.total
            else:
                daily += 1
                assert o.instrument == "daily"
                assert len(o.items) == 3
                assert all(0 <= item <= 10 for item in o.items)
    assert phq9 > 5000
    assert daily > 5000


def test_the_relapse_criteria_are_met_at_plausible_rates(natural_year: RegimeCohort) -> None:
    """Among responders without boosters, most latent relapses are seen on the check-ins
    (two at or above the bar), some are missed between sparse answers, and few are seen
    without a latent one."""
    latent = observed = observed_without_latent = responders = 0
    for patient in natural_year.patients:
        if not patient.responded:
            continue
        responders += 1
        seen = observed_relapses(patient)
        latent += patient.relapse_day is not None
        observed += bool(seen)
        observed_without_latent += bool(seen) and patient.relapse_day is None
    assert responders > 100
    # Untreated, the onset hazard keeps rising: nearly every responder relapses in a year
    # (S(56) is about 0.6, tests/core/test_regimes.py).
    assert latent / responders > 0.7
    assert 0.5 * latent < observed <= latent + observed_without_latent
    assert observed_without_latent < 0.1 * observed


def test_daily_items_follow_the_symptoms_after_personal_lags() -> None:
    """Without noise, each keeper's mood tracks the regime's level best at a lag that
    differs between patients, spread over the 0-10 days the settings allow."""
    settings = dataclasses.replace(RegimeSettings(), daily_noise_sd=(0.0, 0.0))
    rngs = random_streams(21)
    days = 300
    draws = draw_regime_patients(300, days, 30, 0.0, settings, rngs)
    run = run_regimes(draws, settings, days, rngs)
    daily = draw_daily_items(draws, run, settings, rngs["daily"])
    best_lags = []
    for i in np.flatnonzero(draws.daily_keeper):
        answered = np.flatnonzero(daily[i, :, 0] >= 0)
        answered = answered[answered >= 20]
        mood = daily[i, answered, 0].astype(np.float64)
        if answered.size < 60 or mood.std() == 0:
            continue
        fits = []
        for lag in range(0, 13):
            level = run.level[i, answered - lag]
            fits.append(-np.corrcoef(mood, level)[0, 1] if level.std() > 0 else -1.0)
        best_lags.append(int(np.argmax(fits)))
    lags = np.asarray(best_lags)
    assert lags.size > 40
    assert np.mean(lags >= 3) > 0.4  # most keepers' mood lags their symptoms by days
    assert np.mean(lags <= 1) > 0.05  # ...and some follow them at once
    assert len(set(lags.tolist())) >= 6  # personal, not one lag for everyone


def test_a_share_of_patients_keep_no_daily_items(natural_year: RegimeCohort) -> None:
    without = [p for p in natural_year.patients if not p.daily_checkins]
    assert 0.4 < len(without) / len(natural_year.patients) < 0.7
    assert all(o.instrument == "phq9" for p in without for o in p.observations)


class TestClosedLoop:
    def test_answers_come_only_while_the_patient_is_in_care(self) -> None:
        cohort = simulate_regime_cohort(60, 150, seed=5, enrolment_days=30)
        model = regime_answers(cohort, 30)
        for patient in cohort.patients:
            allowed = model.completion[patient.index] > 0
            end = patient.induction_end_day
            assert not allowed[: (end if end is not None else 150) + 1].any()
        assert 0.0 < (model.completion > 0).mean() < 1.0
        assert model.completion.max() <= 1.0

    def test_mid_week_check_ins_come_only_while_risk_is_raised(self) -> None:
        cohort = simulate_cohort(80, 160, seed=8, enrolment_days=30)
        model = first_generator_answers(cohort, 30)
        settings, prior = EngineSettings(), PopulationPrior.default()
        # At a bar no P28 reaches, only an early warning that holds raises risk.
        rare = dataclasses.replace(ScheduleSettings(), raised_risk_probability=0.999)
        quiet = closed_loop_histories(
            cohort.patients, model, settings, prior, 159, seed=1, schedule=rare
        )
        loop = closed_loop_histories(cohort.patients, model, settings, prior, 159, seed=1)
        slots = midweek_slots(cohort.patients, 159, ScheduleSettings())
        assert quiet.asked < loop.asked < sum(len(rows) for rows in slots.values())
        assert 0 < loop.answered <= loop.asked
        added = 0
        for patient in cohort.patients:
            pid = str(patient.index)
            own = {d for d, _ in quiet.histories[pid].phq9}
            for day, total in loop.histories[pid].phq9:
                assert 0 <= total <= 27
                if day not in own:
                    added += 1
                    assert patient.induction_end_day is not None
                    assert (day - patient.induction_end_day) % 7 == 3
        assert added >= loop.answered - quiet.answered > 0

    def test_the_same_seed_gives_the_same_closed_loop(self) -> None:
        cohort = simulate_regime_cohort(40, 120, seed=5, enrolment_days=20)
        model = regime_answers(cohort, 20)
        settings, prior = EngineSettings(), PopulationPrior.default()
        first = closed_loop_histories(cohort.patients, model, settings, prior, 119, seed=3)
        again = closed_loop_histories(cohort.patients, model, settings, prior, 119, seed=3)
        assert first == again
