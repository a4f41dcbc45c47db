"""One maths, two paths: the batch sweep and the one-patient path agree (docs/engine.md)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lasting_core.engine import (
    Assessment,
    EngineSettings,
    EngineState,
    LifeEvent,
    LifeEventKind,
    PatientHistory,
    PersonalReading,
    PopulationPrior,
    assess_cohort,
    assess_packed,
    assess_patient,
    pack_histories,
)
from lasting_core.engine import patients as engine_patients
from lasting_core.engine import sweep as engine_sweep
from lasting_core.engine.assess import AssessmentArrays
from tests.core.engine_factories import (
    PLAN_ITEMS,
    add_plan,
    make_random_history,
    make_responder,
)

NUMBERS = (
    "level",
    "level_sd",
    "slope_per_week",
    "slope_sd",
    "p_relapse_14d",
    "p_relapse_28d",
    "crossing_day",
    "baseline",
    "nadir",
    "relapse_bar",
    "days_since_session",
    "usual_interval_days",
)


def assert_same(batch: Assessment, one: Assessment, tolerance: float = 1e-9) -> None:
    for name in NUMBERS:
        a, b = getattr(batch, name), getattr(one, name)
        if a is None or b is None:
            assert a is None, name
            assert b is None, name
        else:
            assert abs(a - b) <= tolerance * max(1.0, abs(a)), (name, a, b)
    assert batch.relapse_state == one.relapse_state
    assert batch.missed_checkins == one.missed_checkins
    assert [s.kind for s in batch.signals] == [s.kind for s in one.signals]
    assert batch.explanation == one.explanation


@pytest.fixture(scope="module")
def random_cohort() -> list[PatientHistory]:
    rng = np.random.default_rng(2024)
    return [make_random_history(rng) for _ in range(40)]


@pytest.fixture(scope="module")
def plan_cohort() -> list[PatientHistory]:
    """Random histories with personal warning-sign items and life events."""
    rng = np.random.default_rng(2025)
    return [add_plan(rng, make_random_history(rng)) for _ in range(40)]


def assert_same_personal(batch: Assessment, one: Assessment) -> None:
    assert_same(batch, one)
    assert [dict(s.drivers) for s in batch.signals] == [dict(s.drivers) for s in one.signals]
    assert [s.sentence for s in batch.signals] == [s.sentence for s in one.signals]


@pytest.mark.parametrize("as_of", [60.0, 121.5, 200.0])
def test_batch_and_one_patient_paths_agree_with_personal_items_and_life_events(
    plan_cohort: list[PatientHistory], as_of: float
) -> None:
    batch = assess_cohort(plan_cohort, as_of)
    for history, assessment in zip(plan_cohort, batch, strict=True):
        assert_same_personal(assessment, assess_patient(history, as_of))


def test_the_plan_cohort_exercises_the_new_inputs(plan_cohort: list[PatientHistory]) -> None:
    """The agreement above is only worth something if signs and events really occur."""
    assessments = [a for day in (60.0, 121.5, 200.0) for a in assess_cohort(plan_cohort, day)]
    kinds = {s.kind for assessment in assessments for s in assessment.signals}
    assert "personal_warning_sign" in kinds
    assert any("stressful life event" in a.explanation for a in assessments)
    assert any(not h.personal_items for h in plan_cohort)


def test_resuming_with_personal_items_and_life_events_gives_the_same_assessment(
    plan_cohort: list[PatientHistory],
) -> None:
    for history in plan_cohort[:6]:
        days = sorted(
            {d for d, _ in history.phq9}
            | {r.day for r in history.personal}
            | {e.day for e in history.life_events}
            | {d for d, _ in history.sessions}
        )
        state: EngineState | None = None
        for day in [*days[::15], days[-1]]:
            step = assess_patient(history, day, state=state)
            assert step.state is not None
            state = EngineState.from_json(step.state.to_json())
            assert_same(assess_patient(history, day), step, tolerance=0.0)


def test_a_changed_plan_sweeps_the_daily_stream_again(plan_cohort: list[PatientHistory]) -> None:
    history = next(h for h in plan_cohort if len(h.personal_items) >= 2)
    first = assess_patient(history, 150.0)
    fewer = dataclasses.replace(
        history,
        personal_items=history.personal_items[:1],
        personal=tuple(r for r in history.personal if r.item == history.personal_items[0].key),
    )
    resumed = assess_patient(fewer, 150.0, state=first.state)
    assert_same(assess_patient(fewer, 150.0), resumed, tolerance=0.0)


@pytest.mark.parametrize("as_of", [60.0, 121.5, 200.0])
def test_batch_and_one_patient_paths_agree_on_a_random_cohort(
    random_cohort: list[PatientHistory], as_of: float
) -> None:
    batch = assess_cohort(random_cohort, as_of)
    for history, assessment in zip(random_cohort, batch, strict=True):
        assert_same(assessment, assess_patient(history, as_of))


def test_resuming_from_a_stored_state_gives_the_same_assessment(
    random_cohort: list[PatientHistory],
) -> None:
    """The app stores the state as JSON and folds in each new record with one step."""
    for history in random_cohort[:5]:
        days = sorted(
            {d for d, _ in history.phq9}
            | {d for d, *_ in history.daily}
            | {d for d, _ in history.sessions}
        )
        state: EngineState | None = None
        for day in [*days[::12], days[-1]]:
            step = assess_patient(history, day, state=state)
            assert step.state is not None
            state = EngineState.from_json(step.state.to_json())
            assert_same(assess_patient(history, day), step, tolerance=0.0)


def test_a_stale_state_is_ignored_when_records_were_back_filled() -> None:
    history = make_responder(weekly=[4, 5, 6, 9, 12])
    first = assess_patient(history, 70.0)
    back_filled = PatientHistory(phq9=(*history.phq9, (40.0, 15.0)), sessions=history.sessions)
    resumed = assess_patient(back_filled, 70.0, state=first.state)
    assert_same(assess_patient(back_filled, 70.0), resumed, tolerance=0.0)


def test_records_after_the_assessment_day_are_ignored() -> None:
    history = make_responder(weekly=[4, 5, 6, 9, 12, 14, 15])
    cut = PatientHistory(
        phq9=tuple(r for r in history.phq9 if r[0] <= 50.0), sessions=history.sessions
    )
    assert_same(assess_patient(cut, 50.0), assess_patient(history, 50.0), tolerance=0.0)


def test_the_state_is_plain_json() -> None:
    state = assess_patient(make_responder(), 60.0).state
    assert state is not None
    text = state.to_json()
    assert "NaN" not in text
    assert EngineState.from_json(text).to_json() == text


days_strategy = st.floats(min_value=0.0, max_value=150.0, allow_nan=False)
history_strategy = st.builds(
    PatientHistory,
    phq9=st.lists(st.tuples(days_strategy, st.integers(0, 27).map(float)), max_size=12).map(tuple),
    sessions=st.lists(
        st.tuples(days_strategy, st.sampled_from(["induction", "booster", "maintenance"])),
        max_size=8,
    ).map(tuple),
    daily=st.lists(
        st.tuples(
            days_strategy,
            st.one_of(st.none(), st.integers(0, 10).map(float)),
            st.one_of(st.none(), st.integers(0, 10).map(float)),
            st.one_of(st.none(), st.integers(0, 10).map(float)),
        ),
        max_size=25,
    ).map(tuple),
    events=st.lists(st.tuples(days_strategy, st.just("hospitalisation")), max_size=1).map(tuple),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alice=history_strategy, bob=history_strategy, other_bob=history_strategy)
def test_one_patients_result_never_depends_on_another_patients_data(
    alice: PatientHistory, bob: PatientHistory, other_bob: PatientHistory
) -> None:
    """Alice's assessment is the same whoever shares the sweep with her (exactly)."""
    with_bob = assess_cohort([alice, bob], 150.0)[0]
    with_other = assess_cohort([other_bob, alice], 150.0)[1]
    alone = assess_cohort([alice], 150.0)[0]
    assert with_bob == with_other == alone


plan_strategy = st.builds(
    lambda history, count, answers, events: dataclasses.replace(
        history,
        personal_items=PLAN_ITEMS[:count],
        personal=tuple(
            PersonalReading(day, PLAN_ITEMS[index % count].key, value)
            for index, (day, value) in enumerate(answers)
        )
        if count
        else (),
        life_events=tuple(LifeEvent(day, LifeEventKind.LOSS, w) for day, w in events),
    ),
    history_strategy,
    st.integers(0, len(PLAN_ITEMS)),
    st.lists(st.tuples(days_strategy, st.integers(0, 1).map(float)), max_size=30),
    st.lists(st.tuples(days_strategy, st.sampled_from([0.33, 1.0])), max_size=2),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alice=plan_strategy, bob=plan_strategy, other_bob=history_strategy)
def test_personal_items_and_life_events_never_leak_into_another_patients_numbers(
    alice: PatientHistory, bob: PatientHistory, other_bob: PatientHistory
) -> None:
    """With or without a neighbour who has a plan (and a fourth daily item), exactly."""
    with_bob = assess_cohort([alice, bob], 150.0)[0]
    with_other = assess_cohort([other_bob, alice], 150.0)[1]
    alone = assess_cohort([alice], 150.0)[0]
    assert with_bob == with_other == alone


def test_an_empty_history_has_no_numbers() -> None:
    assessment = assess_patient(PatientHistory(), 10.0)
    assert assessment.level is None
    assert assessment.p_relapse_28d is None
    assert assessment.explanation == "No PHQ-9 yet."
    assert not math.isnan(assessment.as_of_day)


def test_threads_over_chunks_of_patients_give_the_same_numbers(
    random_cohort: list[PatientHistory], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of 7 patients on 2 threads, for the sweep and the assessment, change nothing."""
    arrays = pack_histories(random_cohort, 150.0)
    prior = PopulationPrior.default()
    one = assess_packed(arrays, 150.0, EngineSettings(), prior, workers=1)
    monkeypatch.setattr(engine_sweep, "CHUNK_PATIENTS", 7)
    monkeypatch.setattr(engine_patients, "CHUNK_PATIENTS", 7)
    two = assess_packed(arrays, 150.0, EngineSettings(), prior, workers=2)
    for f in dataclasses.fields(AssessmentArrays):
        np.testing.assert_array_equal(getattr(two, f.name), getattr(one, f.name), err_msg=f.name)
