"""The compiled daily stream equals the numpy reference (docs/decisions/0002).

``engine.compiled`` runs ``drift.step_daily`` and ``drift.step_personal`` as one compiled
loop; every state field must equal the reference's bit for bit, on small cohorts that
exercise padding, missing items, sessions, personal items and chunk boundaries. The
kernel compiles once per process (and is cached on disk), on tiny arrays.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lasting_core.engine import (
    EngineSettings,
    PatientHistory,
    PopulationPrior,
    assess_cohort,
    assess_packed,
    assess_patient,
    pack_histories,
)
from lasting_core.engine import compiled as engine_compiled
from lasting_core.engine import sweep as engine_sweep
from lasting_core.engine.assess import AssessmentArrays
from lasting_core.engine.drift import DailyArrays
from lasting_core.engine.sweep import run_stream_a, run_stream_d, sweep_both
from tests.core.engine_factories import add_plan, make_random_history
from tests.core.test_engine_paths import assert_same_personal


def make_worsening(rng: np.random.Generator) -> PatientHistory:
    """A random history whose daily items turn worse from day 185 (the monitor flags)."""
    history = make_random_history(rng)
    cells: list[tuple[float, float | None, float | None, float | None]] = []
    for day in range(20, 185):
        if rng.random() < 0.9:
            mood, sleep, stress = np.clip(np.round(rng.normal([7, 6, 3], 1.0)), 0, 10)
            cells.append((day + 0.3, float(mood), float(sleep), float(stress)))
    cells += [(day + 0.3, 2.0, 2.0, 9.0) for day in range(185, 200)]
    return dataclasses.replace(history, daily=tuple(cells))


@pytest.fixture(scope="module")
def cohort() -> list[PatientHistory]:
    """Random histories, half with personal warning-sign items and life events."""
    rng = np.random.default_rng(31)
    histories = [make_random_history(rng) for _ in range(22)]
    histories += [make_worsening(rng) for _ in range(2)]
    return [add_plan(rng, h) if i % 2 else h for i, h in enumerate(histories)]


def assert_same_state(compiled: DailyArrays, reference: DailyArrays) -> None:
    for f in dataclasses.fields(DailyArrays):
        a, b = getattr(compiled, f.name), getattr(reference, f.name)
        assert a.dtype == b.dtype, f.name
        np.testing.assert_array_equal(a, b, err_msg=f.name)


def test_the_kernel_is_available() -> None:
    """numba is a pinned dependency: the fast path must not silently fall back."""
    assert engine_compiled.load() is not None


@pytest.mark.parametrize("as_of", [45.0, 121.5, 200.0])
def test_the_compiled_daily_stream_equals_the_reference(
    cohort: list[PatientHistory], as_of: float
) -> None:
    arrays = pack_histories(cohort, as_of)
    assert arrays.d_personal is not None  # the personal streaks are exercised
    reference, _ = run_stream_d(arrays, EngineSettings(), compiled=False)
    compiled, _ = run_stream_d(arrays, EngineSettings(), compiled=True)
    assert_same_state(compiled, reference)
    assert np.isfinite(reference.first_day).any()
    if as_of == 200.0:  # the worsening patients are flagged
        assert (reference.flag_since[:, -2:] < 1e30).any()


def test_the_reference_is_not_trivially_equal() -> None:
    """A changed setting changes the state: the equality above compares real numbers."""
    arrays = pack_histories([make_worsening(np.random.default_rng(5))], 200.0)
    usual, _ = run_stream_d(arrays, EngineSettings(), compiled=True)
    other, _ = run_stream_d(arrays, EngineSettings(ewma_lambda=0.5), compiled=True)
    assert not np.array_equal(usual.fast, other.fast)
    assert not np.array_equal(usual.flag_since, other.flag_since)


def test_chunks_threads_and_a_stored_state_change_nothing(
    cohort: list[PatientHistory], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 5 patients on 2 threads, resumed from a half-way state, as the reference."""
    settings = EngineSettings()
    first = pack_histories(cohort, 90.0)
    whole = pack_histories(cohort, 200.0)
    reference, _ = run_stream_d(whole, settings, compiled=False)
    monkeypatch.setattr(engine_sweep, "CHUNK_PATIENTS", 5)
    half, _ = run_stream_d(first, settings, compiled=False)
    # The second half from the stored state: only the cells after day 90.
    later = dataclasses.replace(
        whole,
        d_day=np.where(whole.d_day > first.d_day.max(initial=0.0), whole.d_day, np.nan),
    )
    later = dataclasses.replace(
        later,
        d_value=np.where(np.isnan(later.d_day)[:, None, :], np.nan, whole.d_value).astype(
            np.float32
        ),
        d_personal=None
        if whole.d_personal is None
        else np.where(np.isnan(later.d_day)[:, None, :], np.nan, whole.d_personal).astype(
            np.float32
        ),
    )
    resumed_reference, _ = run_stream_d(later, settings, half.copy(), compiled=False)
    resumed, _ = run_stream_d(later, settings, half.copy(), compiled=True, workers=2)
    assert_same_state(resumed, resumed_reference)
    chunked, _ = run_stream_d(whole, settings, compiled=True, workers=2)
    assert_same_state(chunked, reference)


def test_the_batch_path_with_the_kernel_agrees_with_the_one_patient_path(
    cohort: list[PatientHistory], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's agreement test, with the batch's daily stream compiled."""
    monkeypatch.setattr(engine_sweep, "COMPILED_MIN_PATIENTS", 0)
    monkeypatch.setattr(engine_sweep, "CHUNK_PATIENTS", 7)
    batch = assess_cohort(cohort, 150.0)
    monkeypatch.setattr(engine_sweep, "COMPILED_MIN_PATIENTS", 10**9)
    for history, assessment in zip(cohort, batch, strict=True):
        assert_same_personal(assessment, assess_patient(history, 150.0))


def test_both_streams_interleaved_on_threads_give_the_same_numbers(
    cohort: list[PatientHistory], monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays = pack_histories(cohort, 150.0)
    settings, prior = EngineSettings(), PopulationPrior.default()
    # Stream A compiled, as sweep_both runs it below (its agreement with the numpy
    # reference is tests/core/test_engine_compiled_stream_a.py's).
    a_alone, _ = run_stream_a(arrays, settings, prior, compiled=True)
    d_alone, _ = run_stream_d(arrays, settings, compiled=False)
    monkeypatch.setattr(engine_sweep, "COMPILED_MIN_PATIENTS", 0)
    monkeypatch.setattr(engine_sweep, "CHUNK_PATIENTS", 4)
    a, d = sweep_both(arrays, settings, prior, workers=2)
    assert_same_state(d, d_alone)
    for name, column in engine_sweep.flatten(a).items():
        np.testing.assert_array_equal(column, engine_sweep.flatten(a_alone)[name], err_msg=name)
    one = assess_packed(arrays, 150.0, settings, prior, workers=1)
    two = assess_packed(arrays, 150.0, settings, prior, workers=2)
    for f in dataclasses.fields(AssessmentArrays):
        np.testing.assert_array_equal(getattr(two, f.name), getattr(one, f.name), err_msg=f.name)


def test_without_a_writable_cache_folder_the_kernel_still_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read-only install with no user cache folder compiles without a cache, no error."""
    caching = pytest.importorskip("numba.core.caching")
    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])
    engine_compiled.load.cache_clear()
    try:
        kernel = engine_compiled.load()
        assert kernel is not None
        assert type(kernel._cache).__name__ == "NullCache"  # type: ignore[attr-defined]
    finally:
        engine_compiled.load.cache_clear()
