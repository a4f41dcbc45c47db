"""The policy arena cut into shards: the same results on one process, several or a Dask cluster."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from distributed import LocalCluster

from lasting.dask_runner import dask_shard_map
from lasting_core.simulation import dynamics
from lasting_core.simulation.arena import (
    DAYS_PER_YEAR,
    ArenaResult,
    ShardSums,
    ShardTask,
    _scored_patients,
    parse_policy,
    run_arena,
    run_policy,
    run_shard,
    shard_sizes,
)
from lasting_core.simulation.arena_rules import draw_arena_cohort
from lasting_core.simulation.draws import RELAPSE_PHQ9
from lasting_core.simulation.presets import get_preset

POLICIES = [parse_policy(text) for text in ("fixed:28", "symptom", "forecast:0.5", "oracle")]
PATIENTS = 250
DAYS = 90
SHARD = 100  # three shards: 100, 100 and 50 patients


def outcomes(result: ArenaResult) -> list[tuple[object, ...]]:
    """Everything a result says except the times, which differ from run to run."""
    return [
        (
            r.policy,
            r.sessions_per_patient_year,
            r.relapse_days_per_patient_year,
            r.relapsed_share,
            r.cost_per_patient_year,
            r.engine_assessments,
        )
        for r in result.results
    ] + [(result.scored_patients, result.patient_years, result.n_patients)]


@pytest.fixture(scope="module")
def on_one_process() -> ArenaResult:
    return run_arena(POLICIES, PATIENTS, DAYS, seed=5, shard_patients=SHARD)


def test_a_cohort_is_cut_into_full_shards_and_the_remainder() -> None:
    assert shard_sizes(250, 100) == [100, 100, 50]
    assert shard_sizes(200, 100) == [100, 100]
    assert shard_sizes(7, 100) == [7]


def test_one_shard_scores_the_cohort_drawn_from_the_seed_itself() -> None:
    # The arena before shards, written out: one cohort from the seed, rates over it.
    preset = get_preset("real-world")
    cohort = draw_arena_cohort(120, DAYS, preset, 4)
    scored = _scored_patients(cohort.draws, DAYS)
    expected = []
    for policy in POLICIES[:2]:
        run = run_policy(policy, cohort)
        grid = np.arange(DAYS)[None, :]
        in_maintenance = (
            scored[:, None]
            & (grid > cohort.draws.induction_end_day[:, None])
            & (grid < run.discontinued_day[:, None])
        )
        years = float(in_maintenance.sum()) / DAYS_PER_YEAR
        boosters = (run.sessions == dynamics.BOOSTER_SESSION) | (
            run.sessions == dynamics.MAINTENANCE_SESSION
        )
        expected.append(
            (
                float((boosters & in_maintenance).sum()) / years,
                float(((np.nan_to_num(run.latent) >= RELAPSE_PHQ9) & in_maintenance).sum()) / years,
                float((run.relapse_day[scored] >= 0).mean()),
            )
        )
    result = run_arena(POLICIES[:2], 120, DAYS, seed=4)
    assert [
        (r.sessions_per_patient_year, r.relapse_days_per_patient_year, r.relapsed_share)
        for r in result.results
    ] == expected
    assert result.scored_patients == int(scored.sum())


def test_each_shard_draws_other_patients(on_one_process: ArenaResult) -> None:
    preset = get_preset("real-world")
    shards = [
        run_shard(
            ShardTask(
                shard=i,
                n_patients=SHARD,
                days=DAYS,
                preset=preset,
                seed=5,
                policies=tuple(POLICIES[:1]),
            )
        )
        for i in range(2)
    ]
    assert shards[0].policies != shards[1].policies
    # Shard 0 of a cohort is the cohort of its size drawn from the seed.
    alone = run_arena(POLICIES[:1], SHARD, DAYS, seed=5)
    assert alone.scored_patients == shards[0].scored


def test_the_sums_of_the_shards_make_the_rates(on_one_process: ArenaResult) -> None:
    preset = get_preset("real-world")
    sums = [
        run_shard(
            ShardTask(
                shard=i, n_patients=n, days=DAYS, preset=preset, seed=5, policies=tuple(POLICIES)
            )
        )
        for i, n in enumerate(shard_sizes(PATIENTS, SHARD))
    ]
    fixed = [s.policies[0] for s in sums]
    years = sum(c.maintenance_days for c in fixed) / DAYS_PER_YEAR
    result = on_one_process.results[0]
    assert result.sessions_per_patient_year == sum(c.booster_sessions for c in fixed) / years
    assert result.relapsed_share == sum(c.relapsed for c in fixed) / sum(s.scored for s in sums)
    assert on_one_process.scored_patients == sum(s.scored for s in sums)


def test_two_processes_give_the_results_of_one(on_one_process: ArenaResult) -> None:
    on_two = run_arena(POLICIES, PATIENTS, DAYS, seed=5, shard_patients=SHARD, workers=2)
    assert outcomes(on_two) == outcomes(on_one_process)
    assert all(math.isfinite(r.relapse_days_per_patient_year) for r in on_two.results)


def test_the_order_shards_finish_in_does_not_change_the_results(
    on_one_process: ArenaResult,
) -> None:
    def last_first(tasks: list[ShardTask]) -> Iterator[ShardSums]:
        return (run_shard(task) for task in reversed(tasks))

    result = run_arena(
        POLICIES, PATIENTS, DAYS, seed=5, shard_patients=SHARD, map_shards=last_first
    )
    assert outcomes(result) == outcomes(on_one_process)


def test_a_lost_shard_is_an_error_not_a_smaller_cohort() -> None:
    def drop_one(tasks: list[ShardTask]) -> Iterator[ShardSums]:
        return (run_shard(task) for task in tasks[1:])

    with pytest.raises(ValueError, match="shards 0-2"):
        run_arena(POLICIES[:1], PATIENTS, DAYS, shard_patients=SHARD, map_shards=drop_one)


def test_a_dask_cluster_gives_the_results_of_one_process(on_one_process: ArenaResult) -> None:
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        dask_shard_map(cluster.scheduler_address) as on_dask,
    ):
        result = run_arena(
            POLICIES, PATIENTS, DAYS, seed=5, shard_patients=SHARD, map_shards=on_dask
        )
    assert outcomes(result) == outcomes(on_one_process)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"workers": 0}, "workers"), ({"workers": -2}, "workers"), ({"shard_patients": 0}, "shard")],
)
def test_bad_scale_out_arguments_are_refused(arguments: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_arena(POLICIES[:1], 10, 10, **arguments)  # type: ignore[arg-type]
