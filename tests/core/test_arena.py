"""The policy arena: common random numbers, closed loop, no look-ahead (docs/engine.md)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lasting_core.simulation import dynamics
from lasting_core.simulation.arena import (
    ArenaPolicy,
    ArenaResult,
    PolicyKind,
    PolicyResult,
    draw_arena_cohort,
    parse_policy,
    run_arena,
    run_policy,
)
from lasting_core.simulation.arena_rules import ForecastRule, SeenRule
from lasting_core.simulation.arena_verdicts import judge_forecasts, judge_oracle_at_equal_sessions
from lasting_core.simulation.presets import PRESETS, REAL_WORLD

POLICIES = [
    parse_policy(text)
    for text in (
        "fixed:14",
        "fixed:28",
        "fixed:56",
        "fixed:84",
        "symptom",
        "oracle",
    )
]


@pytest.fixture(scope="module")
def arena() -> dict[str, tuple[float, float]]:
    result = run_arena(POLICIES, 400, 240, seed=3)
    return {
        r.policy: (r.sessions_per_patient_year, r.relapse_days_per_patient_year)
        for r in result.results
    }


def test_it_reads_policies_by_name() -> None:
    assert parse_policy("fixed:28") == ArenaPolicy(PolicyKind.FIXED, 28.0)
    assert parse_policy("forecast:0.3").label == "forecast:0.3"
    assert parse_policy("oracle").label == "oracle"
    assert parse_policy("seen:2.5") == ArenaPolicy(PolicyKind.SEEN, 2.5)
    assert parse_policy("closed:0.3") == ArenaPolicy(PolicyKind.CLOSED, 0.3)


@pytest.mark.parametrize(
    "text",
    [
        "weekly",
        "fixed",
        "fixed:3",
        "fixed:two",
        "forecast:1.5",
        "forecast:",
        "symptom:4",
        "seen",
        "seen:0",
        "seen:30",
        "seen:much",
        "closed:2",
        "closed",
    ],
)
def test_it_rejects_unknown_or_malformed_policies(text: str) -> None:
    with pytest.raises(ValueError, match=r"policy|fixed|forecast|seen|closed"):
        parse_policy(text)


def test_the_same_policy_twice_gives_identical_results() -> None:
    policies = [parse_policy("symptom"), parse_policy("forecast:0.5"), parse_policy("symptom")]
    first = run_arena(policies, 80, 120, seed=5)
    second = run_arena(policies, 80, 120, seed=5)
    numbers = [dataclasses.replace(r, seconds=0.0, engine_seconds=0.0) for r in first.results]
    again = [dataclasses.replace(r, seconds=0.0, engine_seconds=0.0) for r in second.results]
    # Every policy booked boosters, so the closed loop itself was repeated, not only induction.
    assert all(r.sessions_per_patient_year > 0 for r in numbers)
    assert numbers == again
    assert numbers[0] == numbers[2]


def test_different_policies_see_the_same_patients() -> None:
    cohort = draw_arena_cohort(200, 150, REAL_WORLD, seed=2)
    runs = [run_policy(parse_policy(p), cohort) for p in ("fixed:14", "symptom", "oracle")]
    # Until the first booster, nothing can differ: same patients, same draws.
    first_booster = min(
        int(np.flatnonzero((run.sessions >= dynamics.BOOSTER_SESSION).any(axis=0))[0])
        for run in runs
    )
    assert first_booster > 20
    for run in runs[1:]:
        np.testing.assert_array_equal(
            run.latent[:, :first_booster], runs[0].latent[:, :first_booster]
        )
        np.testing.assert_array_equal(run.phq9[:, :first_booster], runs[0].phq9[:, :first_booster])


def test_boosters_change_the_latent_course() -> None:
    cohort = draw_arena_cohort(200, 150, REAL_WORLD, seed=2)
    often = run_policy(parse_policy("fixed:14"), cohort)
    rarely = run_policy(parse_policy("fixed:84"), cohort)
    assert np.nanmean(often.latent[:, 100:]) < np.nanmean(rarely.latent[:, 100:])


@pytest.mark.parametrize("interval", [14, 28])
def test_fixed_schedules_give_about_a_booster_every_n_days(
    arena: dict[str, tuple[float, float]], interval: int
) -> None:
    sessions, _ = arena[f"fixed:{interval}"]
    assert sessions == pytest.approx(365.25 / interval, rel=0.15)


def test_the_oracle_beats_fixed_schedules_with_the_same_sessions(
    arena: dict[str, tuple[float, float]],
) -> None:
    fixed = sorted(value for key, value in arena.items() if key.startswith("fixed:"))
    sessions, relapse_days = arena["oracle"]
    assert fixed[0][0] <= sessions <= fixed[-1][0]
    same_sessions = np.interp(sessions, [f[0] for f in fixed], [f[1] for f in fixed])
    assert relapse_days < same_sessions


def test_more_frequent_fixed_boosters_mean_fewer_relapse_days(
    arena: dict[str, tuple[float, float]],
) -> None:
    days = [arena[f"fixed:{n}"][1] for n in (14, 28, 56, 84)]
    assert days == sorted(days)


@pytest.mark.parametrize("policy", ["symptom", "forecast:0.5"])
def test_observed_data_policies_do_not_look_ahead(policy: str) -> None:
    cohort = draw_arena_cohort(100, 130, REAL_WORLD, seed=4)
    cut = 90
    # Another future: different answers, latent wobble and life events from the cut on.
    rng = np.random.default_rng(9)
    drivers = cohort.drivers
    future = dataclasses.replace(
        drivers,
        phq9_noise=np.concatenate(
            [drivers.phq9_noise[:, :cut], rng.normal(0, 4, drivers.phq9_noise[:, cut:].shape)],
            axis=1,
        ),
        wobble=np.concatenate(
            [drivers.wobble[:, :cut], rng.normal(0, 2, drivers.wobble[:, cut:].shape)], axis=1
        ),
        stress=np.concatenate(
            [drivers.stress[:, :cut], rng.exponential(1.0, drivers.stress[:, cut:].shape)], axis=1
        ),
    )
    other = dataclasses.replace(cohort, drivers=future)
    original = run_policy(parse_policy(policy), cohort)
    changed = run_policy(parse_policy(policy), other)
    boosters_before_cut = original.sessions[:, : cut + 2] >= dynamics.BOOSTER_SESSION
    assert boosters_before_cut.sum() >= 10  # decisions were taken before the cut
    np.testing.assert_array_equal(original.phq9[:, :cut], changed.phq9[:, :cut])
    # A booster decided before the cut happens at the earliest two days later.
    np.testing.assert_array_equal(original.sessions[:, : cut + 2], changed.sessions[:, : cut + 2])
    assert not np.array_equal(original.sessions, changed.sessions)


def test_forecast_verdicts_compare_with_fixed_and_oracle() -> None:
    result = run_arena([*POLICIES, parse_policy("forecast:0.5")], 100, 120, seed=1)
    (verdict,) = judge_forecasts(result)
    assert verdict.policy == "forecast:0.5"
    oracle = next(r for r in result.results if r.policy == "oracle")
    assert verdict.oracle_relapse_days == oracle.relapse_days_per_patient_year


def test_the_forecast_rule_books_as_a_daily_resweep_of_the_whole_history_would() -> None:
    """The rule steps the engine's state by each day's records; the reference packs and
    sweeps every record so far each day. Same records, same order: same boosters (the lab
    preset's short relief gives many of them within 80 days)."""
    cohort = draw_arena_cohort(80, 80, PRESETS["lab"], seed=7)
    runs = [
        run_policy(
            parse_policy("forecast:0.5"),
            cohort,
            rule=ForecastRule(cohort, 0.5, None, None, incremental=incremental),
        )
        for incremental in (True, False)
    ]
    boosters = runs[0].sessions >= dynamics.BOOSTER_SESSION
    assert boosters.sum() > 20
    np.testing.assert_array_equal(runs[0].sessions, runs[1].sessions)
    np.testing.assert_array_equal(runs[0].phq9, runs[1].phq9)


def test_run_arena_rejects_bad_counts() -> None:
    with pytest.raises(ValueError, match="n_patients"):
        run_arena(POLICIES, 0, 100)
    with pytest.raises(ValueError, match="days"):
        run_arena(POLICIES, 10, 0)


def arena_of(*rows: tuple[str, float, float]) -> ArenaResult:
    """An arena result with the given (policy, sessions, relapse-days) per patient-year."""
    results = tuple(PolicyResult(name, x, y, 0.5, 500 * x, 1.0) for name, x, y in rows)
    return ArenaResult("real-world", 1000, 365, 1, 500.0, 800, 400.0, results, 1.0)


def test_the_oracle_is_met_at_its_own_sessions_along_the_forecast_curve() -> None:
    """The forecast thresholds trace a curve of sessions against relapse-days; at the
    oracle's 10 sessions it lies halfway between 8 (40 days) and 12 (30 days): 35 days,
    1.75 times the oracle's 20."""
    result = arena_of(
        ("fixed:28", 12.0, 45.0),
        ("forecast:0.5", 6.0, 60.0),
        ("forecast:0.3", 8.0, 40.0),
        ("forecast:0.1", 12.0, 30.0),
        ("oracle", 10.0, 20.0),
    )

    verdict = judge_oracle_at_equal_sessions(result)

    assert verdict is not None
    assert verdict.sessions_per_patient_year == 10.0
    assert verdict.relapse_days == pytest.approx(35.0)
    assert verdict.ratio == pytest.approx(1.75)
    assert not verdict.meets_step
    assert verdict.between == ("forecast:0.3", "forecast:0.1")


def test_no_oracle_verdict_when_no_forecast_threshold_gives_as_many_sessions() -> None:
    result = arena_of(
        ("forecast:0.5", 6.0, 60.0),
        ("forecast:0.3", 8.0, 40.0),
        ("oracle", 10.0, 20.0),
    )

    assert judge_oracle_at_equal_sessions(result) is None


def day_view(day: int, latent: list[float], last_session: list[int]) -> dynamics.DayView:
    n = len(latent)
    none = np.zeros(n, dtype=bool)
    return dynamics.DayView(
        day=day,
        phq9=np.full(n, -1, dtype=np.int16),
        session_today=np.zeros(n, dtype=np.int8),
        boostable=~none,
        pending=none,
        active=~none,
        drive=np.zeros(n),
        latent=np.array(latent),
        rising=none,
        last_session_day=np.array(last_session, dtype=np.int64),
    )


def test_the_seen_bound_books_once_the_latent_rises_k_above_its_lowest_since_the_session() -> None:
    rule = SeenRule(3, rise=2.0)
    # Patient 0 rises from 4 to 6 (books), 1 from 4 to 5.5 (not yet), 2 is not enrolled.
    assert rule(day_view(10, [5.0, 5.0, np.nan], [8, 8, -1])).tolist() == [False] * 3
    assert rule(day_view(11, [4.0, 4.0, np.nan], [8, 8, -1])).tolist() == [False] * 3
    assert rule(day_view(12, [6.0, 5.5, np.nan], [8, 8, -1])).tolist() == [True, False, False]
    # A session starts the count again from that day's latent: 6 is the new lowest.
    assert rule(day_view(13, [6.0, 6.5, np.nan], [12, 8, -1])).tolist() == [False, True, False]


def test_the_seen_curve_is_read_at_the_oracles_sessions_like_the_forecasts() -> None:
    result = arena_of(
        ("forecast:0.3", 8.0, 40.0),
        ("forecast:0.1", 12.0, 30.0),
        ("seen:3", 7.0, 32.0),
        ("seen:2", 11.0, 24.0),
        ("oracle", 10.0, 20.0),
    )

    seen = judge_oracle_at_equal_sessions(result, PolicyKind.SEEN)
    forecast = judge_oracle_at_equal_sessions(result)

    assert seen is not None
    assert forecast is not None
    assert seen.between == ("seen:3", "seen:2")
    assert (seen.relapse_days, seen.ratio) == (pytest.approx(26.0), pytest.approx(1.3))
    assert forecast.ratio == pytest.approx(1.75)


def test_a_perfect_symptom_reader_is_worse_than_the_oracle_and_better_than_nothing() -> None:
    """seen:K sees the latent but not when a return begins: on the same patients it
    relapses more than the oracle with as many sessions, and less than with none."""
    result = run_arena(
        [parse_policy(p) for p in ("fixed:84", "seen:1", "seen:3", "oracle")], 400, 240, seed=3
    )
    by = {r.policy: r for r in result.results}
    assert by["seen:1"].sessions_per_patient_year > by["seen:3"].sessions_per_patient_year
    assert by["seen:1"].relapse_days_per_patient_year < by["seen:3"].relapse_days_per_patient_year
    assert by["seen:3"].relapse_days_per_patient_year < by["fixed:84"].relapse_days_per_patient_year
    assert by["oracle"].relapse_days_per_patient_year < by["seen:3"].relapse_days_per_patient_year


def test_the_closed_loop_asks_a_midweek_phq9_only_of_patients_with_raised_risk() -> None:
    """closed:P is forecast:P with the app's schedule: between the weekly check-ins (day 0
    of each week after induction) and session days, PHQ-9s come only from the mid-week
    check-in (day 3), which the open loop never asks for."""
    cohort = draw_arena_cohort(300, 200, REAL_WORLD, seed=4)
    since = np.arange(200)[None, :] - cohort.draws.induction_end_day[:, None]
    midweek = (since > 0) & (since % 7 == dynamics.MIDWEEK_OFFSET_DAYS)

    def midweek_answers(policy: str) -> int:
        run = run_policy(parse_policy(policy), cohort)
        return int((midweek & (run.sessions == 0) & (run.phq9 >= 0)).sum())

    assert midweek_answers("forecast:0.3") == 0
    closed = midweek_answers("closed:0.3")
    assert closed > 0
    # Only some weeks of some patients: those whose risk was raised.
    assert closed < 0.5 * int((midweek & (since < 200)).sum())


def test_the_closed_loop_watch_reads_earlier_days_only() -> None:
    cohort = draw_arena_cohort(20, 30, REAL_WORLD, seed=1)
    open_loop = ForecastRule(cohort, 0.3, None, None)
    closed = ForecastRule(cohort, 0.3, None, None, closed_loop=True)
    assert open_loop.watch is None
    assert closed.watch is not None
    watched = closed.watch()
    watched[:] = True  # a copy: the simulator cannot change whom the rule watches
    assert not closed.watch().any()
