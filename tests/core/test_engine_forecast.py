"""Forecast, personal durability (empirical Bayes) and the explanation (docs/engine.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lasting_core.engine import (
    EngineSettings,
    PatientHistory,
    PopulationPrior,
    SignalKind,
    WarningRule,
    assess_patient,
    fit_population_prior,
)
from lasting_core.engine.durability import (
    conditional_survival,
    gamma_rate_for_median,
    posterior_median,
    relief_intervals,
)
from lasting_core.engine.forecast import normal_cdf
from lasting_core.engine.returns import Hazard, ReturnArrays, onset_in_time, two_readings
from tests.core.engine_factories import INDUCTION_DAYS, make_responder


def test_the_normal_cdf_matches_erf() -> None:
    x = np.linspace(-6.0, 6.0, 49)
    expected = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    np.testing.assert_allclose(normal_cdf(x), expected, rtol=2e-7, atol=1e-12)


class TestPrior:
    def test_the_default_prior_reproduces_mcinnes(self) -> None:
        prior = PopulationPrior.default()
        a, b, k = (np.array([v]) for v in (prior.gamma_shape, prior.gamma_rate, 0.0))
        s28 = conditional_survival(a, b, prior.shape, np.zeros(1), np.array([28.0]))
        s56 = conditional_survival(a, b, prior.shape, np.zeros(1), np.array([56.0]))
        assert float(s28[0]) == pytest.approx(0.80, abs=1e-9)
        assert float(s56[0]) == pytest.approx(0.60, abs=1e-9)
        del k

    def test_conditional_survival_chains(self) -> None:
        """P(T > 60 | T > 20) = P(T > 40 | T > 20) P(T > 60 | T > 40)."""
        a, b = np.array([2.0]), np.array([500.0])
        whole = conditional_survival(a, b, 1.3, np.array([20.0]), np.array([60.0]))
        parts = conditional_survival(a, b, 1.3, np.array([20.0]), np.array([40.0]))
        parts *= conditional_survival(a, b, 1.3, np.array([40.0]), np.array([60.0]))
        assert float(whole[0]) == pytest.approx(float(parts[0]), rel=1e-12)

    def test_half_the_patients_are_still_in_response_at_the_median(self) -> None:
        a, b, k = 2.5, 700.0, 1.3
        median = posterior_median(a, b, k)
        survival = conditional_survival(
            np.array([a]), np.array([b]), k, np.zeros(1), np.array([median])
        )
        assert float(survival[0]) == pytest.approx(0.5, abs=1e-12)
        assert gamma_rate_for_median(median, a, k) == pytest.approx(b, rel=1e-12)

    def test_the_median_is_the_same_for_numbers_and_arrays(self) -> None:
        a, b = np.array([2.0, 3.5]), np.array([400.0, 90.0])
        medians = posterior_median(a, b, 1.2)
        assert medians.shape == (2,)
        for i in range(2):
            assert medians[i] == posterior_median(float(a[i]), float(b[i]), 1.2)


def patient_with_intervals(lengths: list[float], rng_day: float = 0.0) -> PatientHistory:
    """A responder given a booster each time relief faded after ``lengths`` days."""
    phq9 = [(5.0 + rng_day, 20.0), (31.0 + rng_day, 4.0)]
    sessions = [(d + rng_day, "induction") for d in INDUCTION_DAYS]
    day = INDUCTION_DAYS[-1] + rng_day
    for length in lengths:
        day += length
        phq9.append((day - 0.5, 6.0))
        sessions.append((day, "booster"))
        phq9.append((day + 3.0, 4.0))
    return PatientHistory(phq9=tuple(phq9), sessions=tuple(sessions))


class TestDurability:
    def test_intervals_end_at_boosters_and_are_censored_by_maintenance(self) -> None:
        history = patient_with_intervals([30.0, 40.0])
        history = PatientHistory(
            phq9=(*history.phq9, (130.0, 4.0)),
            sessions=(*history.sessions, (125.0, "maintenance")),
        )
        assert relief_intervals(history, censor_at=140.0) == [
            (30.0, True),
            (40.0, True),
            (31.0, False),
            (15.0, False),
        ]

    def test_a_patient_whose_relief_is_short_gets_a_shorter_usual_interval(self) -> None:
        short = assess_patient(patient_with_intervals([15.0, 16.0, 14.0]), 80.0)
        long = assess_patient(patient_with_intervals([110.0, 120.0, 115.0]), 380.0)
        clinic = PopulationPrior.default().median_days()
        assert short.usual_interval_days is not None
        assert long.usual_interval_days is not None
        # Shrunk towards the clinic: between the patient's own intervals and the clinic's.
        assert 15.0 < short.usual_interval_days < clinic < long.usual_interval_days

    def test_fitting_recovers_a_known_population(self) -> None:
        rng = np.random.default_rng(12)
        shape, a, median = 1.5, 3.0, 40.0
        b = median**shape / (2 ** (1 / a) - 1)
        histories = []
        for _ in range(250):
            rate = rng.gamma(a, 1.0 / b)
            lengths = (rng.exponential(size=3) / rate) ** (1 / shape)
            histories.append(patient_with_intervals([max(float(x), 2.0) for x in lengths]))
        prior = fit_population_prior(histories)
        assert prior.shape == pytest.approx(shape, rel=0.2)
        assert prior.median_days() == pytest.approx(median, rel=0.15)
        assert prior.events == 750

    def test_too_little_history_keeps_the_default(self) -> None:
        assert fit_population_prior([patient_with_intervals([30.0])]) == PopulationPrior.default()


class TestForecast:
    def test_a_rising_patient_is_more_at_risk_than_a_stable_one(self) -> None:
        stable = assess_patient(make_responder(weekly=[4, 4, 5, 4, 4, 4]), 66.0)
        rising = assess_patient(make_responder(weekly=[4, 4, 5, 7, 9, 10]), 66.0)
        assert stable.p_relapse_28d is not None
        assert rising.p_relapse_28d is not None
        assert stable.p_relapse_28d < 0.3 < rising.p_relapse_28d
        assert rising.slope_per_week is not None
        assert rising.slope_per_week > 0.5

    def test_relief_that_usually_fades_soon_raises_the_forecast(self) -> None:
        """Same readings, same days since the booster: only the personal durability differs."""

        def at_usual_time(lengths: list[float]) -> float:
            history = patient_with_intervals(lengths)
            last_booster = max(day for day, kind in history.sessions if kind == "booster")
            calm = tuple((last_booster + 3.0 + 3.5 * i, 4.0) for i in range(4))
            history = PatientHistory(phq9=history.phq9 + calm, sessions=history.sessions)
            p = assess_patient(history, last_booster + 14.0).p_relapse_28d
            assert p is not None
            return p

        assert at_usual_time([15.0, 16.0, 14.0]) > 2 * at_usual_time([110.0, 120.0, 115.0])

    def test_a_calm_patient_is_watched_more_closely_as_their_usual_relief_length_nears(
        self,
    ) -> None:
        """Same calm readings (4 points), more days since the booster: a clinic whose
        returns come at a regular time (Weibull shape 2.5) raises the forecast before
        symptoms move."""
        shape, a, median = 2.5, 4.0, 40.0
        prior = PopulationPrior(
            shape=shape,
            gamma_shape=a,
            gamma_rate=median**shape / (2 ** (1 / a) - 1),
            rise_days=14.0,
        )
        history = patient_with_intervals([40.0, 42.0, 38.0])
        last_booster = max(day for day, kind in history.sessions if kind == "booster")
        forecasts = []
        for since in (7.0, 21.0, 35.0):
            calm = tuple((last_booster + 3.0 + 3.5 * i, 4.0) for i in range(int(since / 3.5)))
            calm_history = PatientHistory(phq9=history.phq9 + calm, sessions=history.sessions)
            p = assess_patient(calm_history, last_booster + since, prior=prior).p_relapse_28d
            assert p is not None
            forecasts.append(p)
        assert forecasts[0] < forecasts[1] < forecasts[2]
        assert forecasts[2] > 1.5 * forecasts[0]

    def test_a_return_that_may_start_counts_once_for_both_check_ins(self) -> None:
        """The criteria need two check-ins over the bar; a return that puts the first one
        over keeps climbing, so its chance must not be squared as if the two were
        independent events."""
        settings = EngineSettings()
        calm = ReturnArrays.empty(1, settings)
        calm.level0[0], calm.var0[0], calm.returning[0], calm.day[0] = 3.0, 0.25, 0.0, 60.0
        hazard = Hazard(
            rate=np.array([0.6]),
            elapsed=np.array([30.0]),
            gamma_shape=np.array([4.0]),
            gamma_rate=np.array([2000.0]),
            weibull_shape=2.0,
            rise_days=12.0,
            rise_log_sd=0.5,
        )
        bar = np.array([10.0])
        both = float(two_readings(calm, bar, 21.0, 28.0, hazard, settings)[0])
        climb = (9.5 - 3.0) / 0.6
        starts = float(onset_in_time(hazard, np.array([climb]), np.array([21.0]))[0])
        assert starts > 0.1
        assert both == pytest.approx(starts, rel=0.02)

    def test_within_28_days_is_at_least_within_14_days(self) -> None:
        for weekly in ([4, 4, 5, 4], [4, 6, 9, 12], [12, 11, 10, 9], [4, 13]):
            a = assess_patient(make_responder(weekly=[float(w) for w in weekly]), 60.0)
            assert a.p_relapse_14d is not None
            assert a.p_relapse_28d is not None
            assert a.p_relapse_14d <= a.p_relapse_28d

    def test_the_crossing_interval_brackets_the_crossing_day(self) -> None:
        a = assess_patient(make_responder(weekly=[3, 4, 6, 8, 9]), 60.0)
        assert a.crossing_day is not None
        assert a.crossing_interval is not None
        low, high = a.crossing_interval
        assert 60.0 <= low <= a.crossing_day <= high

    def test_there_is_no_relapse_forecast_before_a_response(self) -> None:
        a = assess_patient(make_responder(weekly=[14, 15, 16]), 60.0)
        assert a.relapse_state == "not_responded"
        assert a.p_relapse_28d is None
        assert a.crossing_day is None


class TestExplanation:
    def test_an_early_warning_names_its_numbers(self) -> None:
        weekly = [3.0, 4.0, 3.0, 4.0, 8.0, 11.0]
        daily = tuple((float(d) + 0.5, 7.0 if d < 62 else 4.0, 6.0, 3.0) for d in range(24, 67))
        a = assess_patient(make_responder(weekly=weekly, daily=daily), 66.9)
        kinds = {s.kind for s in a.signals}
        assert SignalKind.EARLY_WARNING in kinds
        assert SignalKind.DAILY_DECLINE in kinds
        # Every driver is in the sentence, but the ones said in words (signals.py): the
        # slope's size with its direction, and the 14-day probability kept as data only.
        in_words = {"slope_per_week", "p_relapse_14d_percent"}
        for signal in a.signals:
            for name, value in signal.drivers.items():
                if value is not None and name not in in_words:
                    assert str(value) in signal.sentence, (name, value, signal.sentence)
        warning = next(s for s in a.signals if s.kind == SignalKind.EARLY_WARNING)
        slope = warning.drivers["slope_per_week"]
        assert isinstance(slope, int | float)
        assert slope > 0
        assert f"rising about {slope} point" in warning.sentence
        assert "PHQ-9 11, up from 3 at its lowest 3 weeks earlier" in a.explanation
        assert "last session 42 days ago" in a.explanation
        assert "below usual" in a.explanation

    def test_a_relapse_is_a_signal_dated_on_the_confirmation(self) -> None:
        a = assess_patient(make_responder(weekly=[3.0, 4.0, 13.0, 14.0]), 60.0)
        relapse = next(s for s in a.signals if s.kind == SignalKind.RELAPSE)
        assert relapse.day == 52.0
        assert a.relapse_state == "relapsed"
        assert a.p_relapse_28d is None

    def test_reliable_worsening_is_six_points_above_the_nadir(self) -> None:
        a = assess_patient(make_responder(weekly=[3.0, 4.0, 9.0]), 46.0)
        assert SignalKind.RELIABLE_WORSENING in {s.kind for s in a.signals}
        b = assess_patient(make_responder(weekly=[3.0, 4.0, 8.0]), 46.0)
        assert SignalKind.RELIABLE_WORSENING not in {s.kind for s in b.signals}


class TestSimpleRules:
    """The two simple rules the engine is compared with, judged only after a response."""

    def warns(self, rule: WarningRule, weekly: list[float], as_of: float = 52.0) -> bool:
        settings = EngineSettings(early_warning_rule=rule)
        a = assess_patient(make_responder(weekly=weekly), as_of, settings)
        return SignalKind.EARLY_WARNING in {s.kind for s in a.signals}

    def test_the_threshold_rule_warns_at_a_phq9_of_ten(self) -> None:
        assert self.warns(WarningRule.PHQ9_THRESHOLD, [3.0, 4.0, 10.0])
        assert not self.warns(WarningRule.PHQ9_THRESHOLD, [3.0, 4.0, 9.0])

    def test_the_rise_rule_warns_six_points_above_the_nadir(self) -> None:
        assert self.warns(WarningRule.RISE_FROM_NADIR, [2.0, 4.0, 8.0])
        assert not self.warns(WarningRule.RISE_FROM_NADIR, [3.0, 4.0, 8.0])

    def test_neither_rule_warns_before_a_response(self) -> None:
        assert not self.warns(WarningRule.PHQ9_THRESHOLD, [12.0, 14.0, 18.0])
        assert not self.warns(WarningRule.RISE_FROM_NADIR, [12.0, 11.0, 18.0])


def daily_rows(
    first: int,
    last: int,
    composite_rise_from: int | None = None,
    rise_per_day: float = 0.0,
    better_by: float = 0.0,
) -> tuple[tuple[float, float | None, float | None, float | None], ...]:
    """Return daily checks from ``first`` to ``last``: steady (mood 7, sleep 6, stress 3),
    worsening on all three items by ``rise_per_day`` points a day from ``composite_rise_from``.
    A mild alternating wobble keeps the usual spread realistic."""
    rows = []
    for day in range(first, last + 1):
        wobble = 1.0 if day % 2 else -1.0
        worse = 0.0 if composite_rise_from is None else max(day - composite_rise_from, 0)
        worse = worse * rise_per_day - better_by
        mood = min(max(round(7.0 + wobble - worse), 0.0), 10.0)
        sleep = min(max(round(6.0 - wobble - worse), 0.0), 10.0)
        stress = min(max(round(3.0 + wobble + worse), 0.0), 10.0)
        rows.append((day + 0.5, mood, sleep, stress))
    return tuple(rows)


class TestDailyChangeInTheForecast:
    """The daily composite's change since the post-session baseline feeds the forecast."""

    def test_a_worsening_daily_composite_raises_the_forecast(self) -> None:
        weekly = [4.0, 4.0, 5.0, 4.0, 5.0, 5.0, 5.0]
        steady = make_responder(weekly=weekly, daily=daily_rows(25, 72))
        worsening = make_responder(weekly=weekly, daily=daily_rows(25, 72, 58, 0.2))
        p_steady = assess_patient(steady, 72.9).p_relapse_28d
        p_worse = assess_patient(worsening, 72.9).p_relapse_28d
        without = assess_patient(make_responder(weekly=weekly), 72.9).p_relapse_28d
        assert p_steady is not None
        assert p_worse is not None
        assert without is not None
        assert p_worse > 2.0 * without
        assert p_steady <= without

    def test_the_baseline_is_re_anchored_after_a_session(self) -> None:
        """A steady level after a booster is no change, though it differs from the level
        before it (each item a point better before the booster on day 60)."""
        weekly = [4.0, 4.0, 4.0, 4.0, 5.0, 4.0, 4.0, 4.0, 4.0, 4.0]
        before = daily_rows(25, 59, better_by=1.0)
        after = daily_rows(61, 93)
        history = make_responder(weekly=weekly, boosters=(60.0,), daily=before + after)
        steady = make_responder(weekly=weekly, boosters=(60.0,), daily=daily_rows(25, 93))
        p = assess_patient(history, 93.9).p_relapse_28d
        p_steady = assess_patient(steady, 93.9).p_relapse_28d
        assert p is not None
        assert p_steady is not None
        assert p == pytest.approx(p_steady, rel=0.3)

    def test_a_stale_daily_check_adds_no_evidence(self) -> None:
        weekly = [4.0, 4.0, 5.0, 4.0, 5.0, 5.0, 5.0]
        stopped = make_responder(weekly=weekly, daily=daily_rows(25, 66, 58, 0.2))
        without = make_responder(weekly=weekly)
        p = assess_patient(stopped, 72.9).p_relapse_28d
        assert p == assess_patient(without, 72.9).p_relapse_28d
