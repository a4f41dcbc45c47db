"""Drift guard (CUSUM on innovations), daily-item EWMA and disengagement (docs/engine.md)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from lasting_core.engine import EngineSettings, SignalKind, assess_cohort, assess_patient
from lasting_core.engine.drift import (
    CusumArrays,
    DailyArrays,
    DailyConstants,
    step_cusum,
    step_daily,
)
from tests.core.engine_factories import make_responder

SETTINGS = EngineSettings()


def run_lengths(z: np.ndarray) -> np.ndarray:
    """Return, per series (columns), the first step at which the CUSUM signals (or inf)."""
    steps, n = z.shape
    c = CusumArrays.empty(n)
    first = np.full(n, np.inf)
    everyone = np.ones(n, dtype=bool)
    nobody = np.zeros(n, dtype=bool)
    for t in range(steps):
        step_cusum(c, everyone, z[t], np.full(n, float(t)), nobody, SETTINGS)
        first = np.where(np.isinf(first) & (c.value >= SETTINGS.cusum_h), t + 1, first)
    return first


class TestCusum:
    def test_in_control_run_length_is_years_of_weekly_data(self) -> None:
        """Siegmund's approximation for k = 0.5, h = 4 gives an in-control ARL of about 338
        check-ins (6.5 years of weekly data); no more than a few per cent signal in a year."""
        rng = np.random.default_rng(5)
        lengths = run_lengths(rng.standard_normal((1500, 1000)))
        mean_run = float(np.mean(np.minimum(lengths, 1500)))
        delta, b = -SETTINGS.cusum_k, SETTINGS.cusum_h + 1.166
        siegmund = (math.exp(-2 * delta * b) + 2 * delta * b - 1) / (2 * delta**2)
        assert mean_run == pytest.approx(siegmund, rel=0.15)
        assert np.mean(lengths <= 52) < 0.15

    def test_it_detects_a_sustained_shift_within_a_few_check_ins(self) -> None:
        rng = np.random.default_rng(6)
        lengths = run_lengths(rng.standard_normal((40, 1000)) + 1.5)
        assert np.median(lengths) <= 5

    def test_a_session_resets_it(self) -> None:
        c = CusumArrays.empty(1)
        yes = np.ones(1, dtype=bool)
        for day in range(5):
            step_cusum(c, yes, np.array([3.0]), np.array([float(day)]), ~yes, SETTINGS)
        assert c.value[0] >= SETTINGS.cusum_h
        assert c.since[0] == 1.0
        step_cusum(c, ~yes, np.zeros(1), np.array([6.0]), yes, SETTINGS)
        assert c.value[0] == 0.0
        assert math.isnan(c.since[0])


def daily_series(
    rng: np.random.Generator, n: int, days: int, drop_from: int | None, drop: float
) -> np.ndarray:
    """Mood, sleep, stress with AR(1) noise (phi 0.4, SD 1); mood falls from ``drop_from``."""
    noise = np.zeros((days, 3, n))
    state = rng.standard_normal((3, n))
    for t in range(days):
        state = 0.4 * state + math.sqrt(1 - 0.16) * rng.standard_normal((3, n))
        noise[t] = state
    values = np.array([[7.0], [6.0], [3.0]]) + noise
    if drop_from is not None:
        values[drop_from:, 0, :] -= drop
    return np.round(np.clip(values, 0, 10)).astype(np.float32)


def run_daily(values: np.ndarray) -> tuple[DailyArrays, np.ndarray]:
    days, _, n = values.shape
    d = DailyArrays.empty(n)
    constants = DailyConstants.of(SETTINGS)
    flagged_mood = np.zeros((days, n), dtype=bool)
    for t in range(days):
        step_daily(d, np.full(n, float(t)), values[t], constants)
        flagged_mood[t] = d.flagged()[0]
    return d, flagged_mood


class TestDailyItems:
    def test_a_sustained_drop_in_mood_is_flagged_within_days(self) -> None:
        rng = np.random.default_rng(7)
        _, flagged = run_daily(daily_series(rng, 200, 60, drop_from=40, drop=2.5))
        first = np.argmax(flagged[40:], axis=0)
        assert np.mean(flagged[40:].any(axis=0)) > 0.85
        assert np.median(first) <= 5

    def test_stable_items_are_rarely_flagged(self) -> None:
        """Mood alone: about 1 patient in 20 over two months (a nudge, not an alert)."""
        rng = np.random.default_rng(8)
        _, flagged = run_daily(daily_series(rng, 400, 60, drop_from=None, drop=0.0))
        assert np.mean(flagged.any(axis=0)) < 0.08

    def test_better_mood_is_not_a_decline(self) -> None:
        rng = np.random.default_rng(9)
        _, flagged = run_daily(daily_series(rng, 200, 60, drop_from=40, drop=-3.0))
        assert np.mean(flagged[40:].any(axis=0)) < 0.10

    def test_missing_days_and_items_change_nothing(self) -> None:
        d = DailyArrays.empty(1)
        constants = DailyConstants.of(SETTINGS)
        step_daily(d, np.array([1.0]), np.array([[7.0], [6.0], [3.0]], dtype=np.float32), constants)
        before = {name: getattr(d, name).copy() for name in ("fast", "ref_mean", "ref_var")}
        step_daily(d, np.array([np.nan]), np.full((3, 1), np.nan, dtype=np.float32), constants)
        for name, array in before.items():
            np.testing.assert_array_equal(getattr(d, name), array)

    def test_a_decline_is_a_signal_with_its_item_and_duration(self) -> None:
        daily = tuple(
            (float(day) + 0.5, 7.0 if day < 60 else 3.0, 6.0, 3.0) for day in range(24, 66)
        )
        history = make_responder(weekly=[4, 4, 5, 4, 4, 4], daily=daily)
        assessment = assess_patient(history, 65.9)
        decline = [s for s in assessment.signals if s.kind == SignalKind.DAILY_DECLINE]
        assert len(decline) == 1
        assert decline[0].drivers["item"] == "mood"
        assert decline[0].drivers["for_days"] == 6
        points = decline[0].drivers["points_from_usual"]
        assert f"Daily mood {points} points below usual for 6 days" in decline[0].sentence


class TestDisengagement:
    def test_two_missed_weekly_check_ins_are_a_signal(self) -> None:
        history = make_responder(weekly=[4, 5, 4, 3])  # last check-in on day 52
        on_time = assess_patient(history, 62.0)
        assert on_time.missed_checkins == 1
        assert SignalKind.DISENGAGEMENT not in [s.kind for s in on_time.signals]
        silent = assess_patient(history, 68.0)
        assert silent.missed_checkins == 2
        signal = next(s for s in silent.signals if s.kind == SignalKind.DISENGAGEMENT)
        assert signal.day == 52.0 + SETTINGS.checkin_grace_days + 14.0
        assert "no data, not a sign of being well" in signal.sentence

    def test_no_data_is_not_the_same_as_well(self) -> None:
        """Silence widens the uncertainty; it does not look like a stable patient."""
        history = make_responder(weekly=[4, 5, 4, 3])
        current = assess_patient(history, 53.0)
        silent = assess_patient(history, 95.0)
        assert silent.level_sd is not None
        assert current.level_sd is not None
        assert silent.level_sd > current.level_sd + 0.5
        assert silent.p_relapse_28d is not None
        assert current.p_relapse_28d is not None
        assert silent.p_relapse_28d > current.p_relapse_28d

    def test_a_patient_checking_in_weekly_is_not_disengaged(self) -> None:
        history = make_responder(weekly=[4, 5, 4, 3, 4, 4, 5, 4])
        assessment = assess_patient(history, 31.0 + 7 * 7 + 3)
        assert assessment.missed_checkins == 0
        assert SignalKind.DISENGAGEMENT not in [s.kind for s in assessment.signals]


class TestScheduledMissedCheckIns:
    """With a schedule, disengagement counts the check-ins the patient actually missed
    (missed check-ins feed the engine) instead of estimating them from a weekly interval."""

    def test_two_missed_scheduled_checkins_are_disengagement(self) -> None:
        history = dataclasses.replace(make_responder(), missed_checkins=(58.0, 65.0))
        assessment = assess_patient(history, 66.0)
        assert assessment.missed_checkins == 2
        assert SignalKind.DISENGAGEMENT in [s.kind for s in assessment.signals]

    def test_one_missed_checkin_is_not_yet_disengagement(self) -> None:
        history = dataclasses.replace(make_responder(), missed_checkins=(58.0,))
        assessment = assess_patient(history, 62.0)
        assert assessment.missed_checkins == 1
        assert SignalKind.DISENGAGEMENT not in [s.kind for s in assessment.signals]

    def test_a_sparse_schedule_kept_is_not_disengagement(self) -> None:
        """Every 14 days after stable weeks: 20 silent days are not two missed check-ins."""
        history = dataclasses.replace(make_responder(), missed_checkins=())
        estimated = assess_patient(make_responder(), 52.0 + 20.0)
        scheduled = assess_patient(history, 52.0 + 20.0)
        assert estimated.missed_checkins == 2  # the weekly estimate would call it silence
        assert scheduled.missed_checkins == 0
        assert SignalKind.DISENGAGEMENT not in [s.kind for s in scheduled.signals]

    def test_misses_before_the_latest_contact_do_not_count(self) -> None:
        history = dataclasses.replace(make_responder(), missed_checkins=(40.0, 47.0))
        assessment = assess_patient(history, 55.0)
        assert assessment.missed_checkins == 0

    def test_a_miss_after_the_assessment_day_is_not_seen(self) -> None:
        history = dataclasses.replace(make_responder(), missed_checkins=(58.0, 65.0))
        assert assess_patient(history, 60.0).missed_checkins == 1

    def test_the_batch_path_counts_the_same(self) -> None:
        histories = [
            dataclasses.replace(make_responder(), missed_checkins=(58.0, 65.0)),
            dataclasses.replace(make_responder(), missed_checkins=()),
            make_responder(),
        ]
        batch = assess_cohort(histories, 74.0)
        single = [assess_patient(history, 74.0) for history in histories]
        assert [a.missed_checkins for a in batch] == [a.missed_checkins for a in single]
        assert [a.missed_checkins for a in batch] == [2, 0, 2]
