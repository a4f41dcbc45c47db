"""Compiled stream A agrees with the numpy reference (docs/decisions/0003).

``engine.compiled_stream_a`` runs ``sweep.step_a`` as one compiled loop per patient. The
relapse state machine, the relief intervals, the CUSUM's run and dates, the life events
and the latest session must be identical; the filters' numbers, which go through
``exp``/``log``/``expm1``/``power`` (numpy's vectorised routines in the reference, the C
library's in the kernel), must agree to a relative 1e-12 and be NaN in the same places.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lasting_core.engine import (
    CohortArrays,
    EngineSettings,
    PatientHistory,
    PopulationPrior,
    assess_cohort,
    assess_packed,
    assess_patient,
    compiled_stream_a,
    pack_histories,
)
from lasting_core.engine import sweep as engine_sweep
from lasting_core.engine.assess import AssessmentArrays
from lasting_core.engine.history import (
    BOOSTER,
    EVENT,
    INDUCTION,
    LIFE_EVENT,
    MAINTENANCE,
    PAD,
    PHQ9,
)
from lasting_core.engine.sweep import StreamState, flatten, run_stream_a
from tests.core.engine_factories import add_plan, make_random_history
from tests.core.test_engine_paths import assert_same_personal

# Columns that no exp, log, expm1 or power reaches: compared bit for bit.
EXACT = tuple(
    name
    for name in compiled_stream_a.COLUMNS
    if name.startswith(("relapse.", "last_session"))
    or name
    in (
        "life.day",
        "life.kind",
        "life.weight",
        "kalman.day",
        "cusum.run",
        "cusum.since",
        "durability.start",
        "durability.events",
        "durability.closed",
        "durability.event_days",
        "returns.day",
    )
)
RELATIVE = 1e-12


def assert_agree(compiled: StreamState, reference: StreamState) -> None:
    got, expected = flatten(compiled), flatten(reference)
    for name in compiled_stream_a.COLUMNS:
        a, b = got[name], expected[name]
        if name in EXACT:
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=name)
            np.testing.assert_allclose(a, b, rtol=RELATIVE, atol=0.0, err_msg=name)


def random_batch(rng: np.random.Generator, n: int, steps: int) -> CohortArrays:
    """Random packed stream A records: every kind, padding, missing scores, ties.

    Days rise per patient (some records share a day); each patient's records end in
    padding after a random count, which may be zero (a patient with no record at all).
    """
    kinds = np.array([PHQ9, INDUCTION, BOOSTER, MAINTENANCE, EVENT, LIFE_EVENT], dtype=np.int8)
    weights = np.array([0.55, 0.2, 0.08, 0.07, 0.04, 0.06])
    kind = rng.choice(kinds, size=(steps, n), p=weights).astype(np.int8)
    gaps = rng.choice([0.0, 0.5, 1.0, 2.0, 3.0, 7.0, 7.25, 14.0, 40.0], size=(steps, n))
    day = rng.uniform(0.0, 30.0, n)[None, :] + np.cumsum(gaps, axis=0)
    value = np.where(kind == PHQ9, rng.integers(0, 28, (steps, n)).astype(np.float64), 0.0)
    value = np.where(kind == LIFE_EVENT, rng.uniform(0.0, 1.0, (steps, n)), value)
    value[(kind == PHQ9) & (rng.random((steps, n)) < 0.03)] = np.nan  # missing scores
    used = rng.integers(0, steps + 1, n)
    used[:3] = (0, 1, steps)
    padding = np.arange(steps)[:, None] >= used[None, :]
    kind[padding] = PAD
    day[padding] = np.nan
    value[padding] = 0.0
    detail = rng.integers(0, 4, (steps, n)).astype(np.int8)
    return CohortArrays(
        a_day=day,
        a_kind=kind,
        a_value=value,
        d_day=np.zeros((0, n)),
        d_value=np.zeros((0, 3, n), dtype=np.float32),
        a_detail=detail,
    )


@pytest.fixture(scope="module")
def cohort() -> list[PatientHistory]:
    """Random histories, half with personal items and life events."""
    rng = np.random.default_rng(43)
    histories = [make_random_history(rng) for _ in range(30)]
    return [add_plan(rng, h) if i % 2 else h for i, h in enumerate(histories)]


def test_the_kernel_is_available_and_its_columns_are_the_states() -> None:
    assert compiled_stream_a.load() is not None
    columns = flatten(StreamState.empty(3, EngineSettings()))
    assert tuple(columns) == compiled_stream_a.COLUMNS
    assert compiled_stream_a.usable(columns)


@pytest.mark.parametrize("as_of", [20.0, 60.0, 121.5, 200.0])
def test_compiled_stream_a_agrees_with_the_reference_on_histories(
    cohort: list[PatientHistory], as_of: float
) -> None:
    arrays = pack_histories(cohort, as_of)
    settings, prior = EngineSettings(), PopulationPrior.default()
    reference, _ = run_stream_a(arrays, settings, prior, compiled=False)
    compiled, _ = run_stream_a(arrays, settings, prior, compiled=True)
    assert_agree(compiled, reference)
    if as_of == 200.0:  # the comparison covers responses, relapses and life events
        assert (reference.relapse.relapse_count > 0).any()
        assert (reference.returns.returning > 0.0).any()
        assert (~np.isnan(reference.life.day)).any()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compiled_stream_a_agrees_on_random_batches_with_edge_cases(seed: int) -> None:
    """Every record kind in random order, padding, no records, missing PHQ-9 scores."""
    arrays = random_batch(np.random.default_rng(seed), 400, 60)
    settings, prior = EngineSettings(), PopulationPrior.default()
    reference, _ = run_stream_a(arrays, settings, prior, compiled=False)
    compiled, _ = run_stream_a(arrays, settings, prior, compiled=True)
    assert_agree(compiled, reference)
    states = set(np.unique(reference.relapse.state).tolist())
    assert len(states) >= 5, states  # the state machine is exercised, not idle
    assert np.isnan(reference.kalman.level).any()  # a missing score propagates as in numpy
    assert (reference.relapse.relapse_count > 0).any()


def test_no_sessions_no_phq9_and_no_records() -> None:
    histories = [
        PatientHistory(phq9=((0.0, 20.0), (7.0, 18.0), (14.5, 21.0))),  # no session
        PatientHistory(sessions=((1.0, "induction"), (3.0, "induction"), (40.0, "booster"))),
        PatientHistory(),
    ]
    arrays = pack_histories(histories, 60.0)
    settings, prior = EngineSettings(), PopulationPrior.default()
    reference, _ = run_stream_a(arrays, settings, prior, compiled=False)
    compiled, _ = run_stream_a(arrays, settings, prior, compiled=True)
    assert_agree(compiled, reference)
    empty = StreamState.empty(1, settings)
    for name, column in flatten(compiled).items():  # the patient without records is as new
        np.testing.assert_array_equal(column[2:], flatten(empty)[name], err_msg=name)


def test_the_reference_is_not_trivially_equal(cohort: list[PatientHistory]) -> None:
    """A changed setting changes the compiled state: the comparison sees real numbers."""
    arrays = pack_histories(cohort, 200.0)
    prior = PopulationPrior.default()
    usual, _ = run_stream_a(arrays, EngineSettings(), prior, compiled=True)
    other, _ = run_stream_a(arrays, EngineSettings(cusum_k=0.25), prior, compiled=True)
    assert not np.array_equal(usual.cusum.value, other.cusum.value)
    slower, _ = run_stream_a(
        arrays, EngineSettings(), dataclasses.replace(prior, shape=2.0), compiled=True
    )
    assert not np.allclose(usual.returns.returning, slower.returns.returning)


def test_chunks_threads_and_a_stored_state(
    cohort: list[PatientHistory], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 4 patients on 2 threads, resumed from a half-way state, as the reference."""
    settings, prior = EngineSettings(), PopulationPrior.default()
    first = pack_histories(cohort, 90.0)
    whole = pack_histories(cohort, 200.0)
    monkeypatch.setattr(engine_sweep, "CHUNK_PATIENTS", 4)
    reference, _ = run_stream_a(whole, settings, prior, compiled=False)
    chunked, _ = run_stream_a(whole, settings, prior, compiled=True, workers=2)
    assert_agree(chunked, reference)
    half, _ = run_stream_a(first, settings, prior, compiled=False)
    later_rows = whole.a_day > np.nan_to_num(first.a_day, nan=-1.0).max(axis=0)[None, :]
    later = dataclasses.replace(
        whole,
        a_day=np.where(later_rows, whole.a_day, np.nan),
        a_kind=np.where(later_rows, whole.a_kind, PAD).astype(np.int8),
    )
    resumed_reference, _ = run_stream_a(later, settings, prior, engine_sweep.copy_state(half))
    resumed, _ = run_stream_a(
        later, settings, prior, engine_sweep.copy_state(half), compiled=True, workers=2
    )
    assert_agree(resumed, resumed_reference)


def test_the_batch_path_with_both_kernels_agrees_with_the_one_patient_path(
    cohort: list[PatientHistory], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's agreement test, with both streams of the batch compiled."""
    monkeypatch.setattr(engine_sweep, "COMPILED_MIN_PATIENTS", 0)
    monkeypatch.setattr(engine_sweep, "CHUNK_PATIENTS", 7)
    for as_of in (60.0, 150.0, 200.0):
        batch = assess_cohort(cohort, as_of)
        monkeypatch.setattr(engine_sweep, "COMPILED_MIN_PATIENTS", 10**9)
        for history, assessment in zip(cohort, batch, strict=True):
            assert_same_personal(assessment, assess_patient(history, as_of))
        monkeypatch.setattr(engine_sweep, "COMPILED_MIN_PATIENTS", 0)


def test_threads_change_nothing_with_both_kernels(
    cohort: list[PatientHistory], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_sweep, "COMPILED_MIN_PATIENTS", 0)
    monkeypatch.setattr(engine_sweep, "CHUNK_PATIENTS", 4)
    arrays = pack_histories(cohort, 150.0)
    settings, prior = EngineSettings(), PopulationPrior.default()
    one = assess_packed(arrays, 150.0, settings, prior, workers=1)
    two = assess_packed(arrays, 150.0, settings, prior, workers=2)
    for f in dataclasses.fields(AssessmentArrays):
        np.testing.assert_array_equal(getattr(two, f.name), getattr(one, f.name), err_msg=f.name)
