"""The engine's sweep: one loop over time steps, vectorised across patients.

Stream A (PHQ-9 check-ins, sessions, clinician events, life events) drives the Kalman
filter, the CUSUM, the relapse state machine, the relief intervals and the life events'
fading hazard; stream D (daily cells) drives the daily-item monitor and the personal
warning signs' streaks. The streams are independent until the assessment, so each runs its
own loop. Both the batch path (a clinic) and the one-patient path (n = 1) call these
functions; the one-patient path may start from a stored state and run only new records.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from lasting_core.definitions import (
    PENDING,
    RESPONDING,
    DefinitionSettings,
    RelapseArrays,
    observe_clinical_event,
    observe_phq9,
    observe_session,
)
from lasting_core.engine.drift import (
    CusumArrays,
    DailyArrays,
    DailyConstants,
    step_cusum,
    step_daily,
    step_personal,
)
from lasting_core.engine.durability import (
    DurabilityArrays,
    PopulationPrior,
    close_intervals,
    open_intervals,
)
from lasting_core.engine.history import (
    BOOSTER,
    EVENT,
    INDUCTION,
    LIFE_EVENT,
    PAD,
    PHQ9,
    CohortArrays,
)
from lasting_core.engine.kalman import KalmanArrays, intervene, predict, update
from lasting_core.engine.lifeevents import (
    LifeEventArrays,
    cumulative_at,
    load_at,
    observe_life_events,
)
from lasting_core.engine.parameters import EngineSettings
from lasting_core.engine.returns import Hazard, ReturnArrays, restart, step_returns

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class StreamState:
    """Stream A state of n patients."""

    kalman: KalmanArrays
    cusum: CusumArrays
    relapse: RelapseArrays
    durability: DurabilityArrays
    returns: ReturnArrays
    life: LifeEventArrays
    last_session: FloatArray
    last_session_kind: FloatArray  # stream A kind code; NaN before any session

    @classmethod
    def empty(cls, n: int, settings: EngineSettings) -> StreamState:
        return cls(
            kalman=KalmanArrays.empty(n, settings),
            cusum=CusumArrays.empty(n),
            relapse=RelapseArrays.empty(n),
            durability=DurabilityArrays.empty(n),
            returns=ReturnArrays.empty(n, settings),
            life=LifeEventArrays.empty(n),
            last_session=np.full(n, np.nan),
            last_session_kind=np.full(n, np.nan),
        )


_PARTS = ("kalman", "cusum", "relapse", "durability", "returns", "life")


def flatten(state: StreamState) -> dict[str, FloatArray]:
    """Return every (n,) array of the state under a dotted name (shared, not copied)."""
    columns: dict[str, FloatArray] = {}
    for part_name in _PARTS:
        part = getattr(state, part_name)
        for f in fields(part):
            columns[f"{part_name}.{f.name}"] = getattr(part, f.name)
    columns["last_session"] = state.last_session
    columns["last_session_kind"] = state.last_session_kind
    return columns


def unflatten(columns: dict[str, FloatArray]) -> StreamState:
    """Rebuild a state from ``flatten``'s columns (the arrays are used, not copied)."""
    parts: dict[str, Any] = {}
    for part_name, part_type in zip(
        _PARTS,
        (
            KalmanArrays,
            CusumArrays,
            RelapseArrays,
            DurabilityArrays,
            ReturnArrays,
            LifeEventArrays,
        ),
        strict=True,
    ):
        parts[part_name] = part_type(
            **{f.name: columns[f"{part_name}.{f.name}"] for f in fields(part_type)}
        )
    return StreamState(
        last_session=columns["last_session"],
        last_session_kind=columns["last_session_kind"],
        **parts,
    )


def copy_state(state: StreamState) -> StreamState:
    return unflatten({name: array.copy() for name, array in flatten(state).items()})


def hazard(
    state: StreamState, day: FloatArray, settings: EngineSettings, prior: PopulationPrior
) -> Hazard:
    """Return the switching hazard of each patient at ``day`` (see ``returns``).

    The expected return rate is (bar - best) / rise_days while in response, else NaN.
    Life events add their fading onset hazard (``lifeevents``) once any patient has one.
    """
    r = state.relapse
    in_response = (r.state == RESPONDING) | (r.state == PENDING)
    gap = np.maximum(r.bar(settings.definitions()) - r.best, 1.0)
    u = state.durability
    stress_rate = stress_cumulative = None
    if not np.isnan(state.life.day).all():
        per_day = settings.life_event_hazard_per_day
        stress_rate = per_day * load_at(state.life, day, settings)
        stress_cumulative = per_day * cumulative_at(state.life, day, settings)
    return Hazard(
        rate=np.where(in_response, gap / max(prior.rise_days, 1.0), np.nan),
        elapsed=day - u.start,
        gamma_shape=prior.gamma_shape + u.events,
        gamma_rate=prior.gamma_rate + u.exposure,
        weibull_shape=prior.shape,
        rise_days=prior.rise_days,
        rise_log_sd=prior.rise_log_sd,
        stress_rate=stress_rate,
        stress_cumulative=stress_cumulative,
        stress_fade_days=settings.life_event_fade_days,
    )


def step_a(
    state: StreamState,
    day: FloatArray,
    kind: npt.NDArray[np.int8],
    value: FloatArray,
    settings: EngineSettings,
    definitions: DefinitionSettings,
    prior: PopulationPrior,
    detail: npt.NDArray[np.int8] | None = None,
) -> None:
    """Apply each patient's next stream A record (PAD rows stay exactly as they were).

    ``detail``: a life event's kind (an index in ``LIFE_EVENT_KINDS``) where one is
    recorded; a life event's weight is its ``value``.
    """
    weibull_shape = prior.shape
    is_phq9 = kind == PHQ9
    is_session = kind >= INDUCTION
    is_life = kind == LIFE_EVENT
    if is_life.any():
        kinds = np.zeros(kind.shape) if detail is None else detail.astype(np.float64)
        observe_life_events(state.life, is_life, day, value, kinds, settings)
        # A life event is not an observation of the PHQ-9: the filters stay where they are.
        kind = np.where(is_life, np.int8(PAD), kind).astype(np.int8)
        is_phq9 = kind == PHQ9
    predict(state.kalman, np.where(kind != PAD, day, np.nan), settings)
    z = update(state.kalman, is_phq9, value, settings)
    step_cusum(state.cusum, is_phq9, z, day, is_session, settings)
    step_returns(state.returns, is_phq9, day, value, hazard(state, day, settings, prior), settings)

    relapsed = observe_phq9(state.relapse, is_phq9, day, value, definitions)
    is_event = kind == EVENT
    if is_event.any():
        relapsed |= observe_clinical_event(state.relapse, is_event, day, definitions)
    if relapsed.any():
        close_intervals(
            state.durability, relapsed, state.relapse.relapse_anchor, relapsed, weibull_shape
        )
    if is_session.any():
        induction = kind == INDUCTION
        in_response = (state.relapse.state == RESPONDING) | (state.relapse.state == PENDING)
        intervene(state.kalman, is_session, settings)
        stress = None
        if not np.isnan(state.life.day).all():
            stress = settings.life_event_hazard_per_day * cumulative_at(state.life, day, settings)
        restart(state.returns, is_session, settings, stress)
        close_intervals(
            state.durability,
            is_session & ~induction,
            day,
            kind == BOOSTER,
            weibull_shape,
            counted=in_response,
        )
        observe_session(state.relapse, is_session, day, induction, definitions)
        open_intervals(state.durability, is_session, day)
        np.copyto(state.last_session, day, where=is_session)
        np.copyto(state.last_session_kind, kind.astype(np.float64), where=is_session)


# Patients per chunk when not recording: a chunk's state stays in the CPU cache across the
# loop over time steps (a performance setting only; results are identical for any size).
CHUNK_PATIENTS = 8192


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, n)) for start in range(0, n, size)] or [(0, 0)]


def run_jobs(jobs: list[Callable[[], None]], workers: int) -> None:
    """Run independent chunk jobs, on ``workers`` threads (numpy releases the GIL)."""
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            job()
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def run_stream_a(
    arrays: CohortArrays,
    settings: EngineSettings,
    prior: PopulationPrior,
    state: StreamState | None = None,
    *,
    record: bool = False,
    workers: int = 1,
    compiled: bool | None = None,
) -> tuple[StreamState, dict[str, FloatArray] | None]:
    """Run stream A over every step; optionally record the state after each step.

    The record holds, per column, an array (steps + 1, n): row j is the state after j steps.
    ``compiled``: run the compiled kernel (True), the numpy reference (False), or choose
    by the number of patients (None); recording always runs the reference.
    """
    n = arrays.n_patients
    current = state if state is not None else StreamState.empty(n, settings)
    definitions = settings.definitions()
    steps = arrays.a_day.shape[0]
    if record:
        records = {name: np.empty((steps + 1, n)) for name in flatten(current)}
        _snapshot(records, current, 0)
        for j in range(steps):
            step_a(
                current,
                arrays.a_day[j],
                arrays.a_kind[j],
                arrays.a_value[j],
                settings,
                definitions,
                prior,
                None if arrays.a_detail is None else arrays.a_detail[j],
            )
            _snapshot(records, current, j + 1)
        return current, records

    current, jobs = stream_a_jobs(arrays, settings, prior, current, compiled=compiled)
    run_jobs(jobs, workers)
    return current, None


def stream_a_jobs(
    arrays: CohortArrays,
    settings: EngineSettings,
    prior: PopulationPrior,
    state: StreamState | None = None,
    *,
    compiled: bool | None = None,
) -> tuple[StreamState, list[Callable[[], None]]]:
    """Return stream A's state and the jobs (one a chunk of patients) that sweep it.

    ``compiled`` as in ``run_stream_a``. The compiled jobs release the GIL, so chunks run
    in parallel on the worker threads.
    """
    n = arrays.n_patients
    current = state if state is not None else StreamState.empty(n, settings)
    definitions = settings.definitions()
    steps = arrays.a_day.shape[0]
    columns = flatten(current)
    kernel = None
    if compiled or (compiled is None and n >= COMPILED_MIN_PATIENTS):
        from lasting_core.engine import compiled_stream_a

        if compiled_stream_a.usable(columns):
            kernel = compiled_stream_a.load()
    if kernel is not None:
        run_kernel = kernel
        a_day = np.ascontiguousarray(arrays.a_day, dtype=np.float64)
        a_kind = np.ascontiguousarray(arrays.a_kind, dtype=np.int8)
        a_value = np.ascontiguousarray(arrays.a_value, dtype=np.float64)
        a_detail = (
            np.zeros((0, n), dtype=np.int8)
            if arrays.a_detail is None
            else np.ascontiguousarray(arrays.a_detail, dtype=np.int8)
        )
        constant_values = compiled_stream_a.constants_array(settings, prior)

        def compiled_job(start: int, stop: int) -> Callable[[], None]:
            def run() -> None:
                compiled_stream_a.run_stream_a(
                    run_kernel,
                    columns,
                    a_day,
                    a_kind,
                    a_value,
                    a_detail,
                    constant_values,
                    start,
                    stop,
                )

            return run

        return current, [compiled_job(a, b) for a, b in _chunks(n, CHUNK_PATIENTS)]

    def job(start: int, stop: int) -> Callable[[], None]:
        def run() -> None:
            chunk = unflatten({name: array[start:stop] for name, array in columns.items()})
            day = arrays.a_day[:, start:stop]
            kind = arrays.a_kind[:, start:stop]
            value = arrays.a_value[:, start:stop]
            detail = None if arrays.a_detail is None else arrays.a_detail[:, start:stop]
            for j in range(steps):
                step_a(
                    chunk,
                    day[j],
                    kind[j],
                    value[j],
                    settings,
                    definitions,
                    prior,
                    None if detail is None else detail[j],
                )

        return run

    return current, [job(a, b) for a, b in _chunks(n, CHUNK_PATIENTS)]


def _snapshot(records: dict[str, FloatArray], state: StreamState, row: int) -> None:
    for name, array in flatten(state).items():
        records[name][row] = array


def daily_columns(d: DailyArrays) -> dict[str, npt.NDArray[Any]]:
    return {f.name: getattr(d, f.name) for f in fields(DailyArrays)}


def session_days(arrays: CohortArrays) -> FloatArray:
    """Return each patient's session days, (k, n) sorted, padded with +inf."""
    days = np.where(arrays.a_kind >= INDUCTION, arrays.a_day, np.inf)
    days.sort(axis=0)
    used = int(np.isfinite(days).sum(axis=0).max(initial=0))
    result: FloatArray = days[:used]
    return result


class SessionCursor:
    """Each patient's latest session before a moving day (the daily cells' days).

    ``before(day)`` moves the cursors past the sessions earlier than ``day`` (NaN days
    and padding stay put) and returns each patient's latest one, NaN before any.
    """

    def __init__(self, days: FloatArray) -> None:
        n = days.shape[1]
        # A row of +inf past the last session, so the next one is always defined.
        self.days = np.concatenate([days, np.full((1, n), np.inf)])
        self.count = np.zeros(n, dtype=np.int64)
        self.columns = np.arange(n)
        self.latest = np.full(n, np.nan)
        self.next = self.days[0].copy()

    def before(self, day: FloatArray) -> FloatArray:
        # Sessions are rare next to daily cells: one comparison per step unless one passes.
        move = self.next < day
        while move.any():
            np.copyto(self.latest, self.next, where=move)
            self.count += move
            self.next = self.days[self.count, self.columns]
            move = self.next < day
        return self.latest


# Patients from which the sweep runs both streams compiled (``engine.compiled``, the daily
# stream, and ``engine.compiled_stream_a``) when numba is available: below it the numpy
# reference is quicker than loading the kernels. The daily kernel agrees exactly, stream
# A's to a relative 1e-12 (docs/decisions/0003-compiled-stream-a.md), so this is speed.
COMPILED_MIN_PATIENTS = 1024


def run_stream_d(
    arrays: CohortArrays,
    settings: EngineSettings,
    state: DailyArrays | None = None,
    *,
    record: bool = False,
    workers: int = 1,
    compiled: bool | None = None,
) -> tuple[DailyArrays, dict[str, npt.NDArray[Any]] | None]:
    """Run the daily monitor over every cell; optionally record the state after each.

    The sessions of stream A restart the post-session baselines (a session counts from
    the first cell on a later day). ``compiled``: run the compiled kernel (True), the
    numpy reference (False), or choose by the number of patients (None); recording
    always runs the reference.
    """
    n = arrays.n_patients
    current = (
        state
        if state is not None
        else DailyArrays.empty(n, arrays.daily_items, arrays.personal_items)
    )
    constants = DailyConstants.of(settings)
    personal = arrays.d_personal
    steps = arrays.d_day.shape[0]
    sessions = session_days(arrays)
    if record:
        records = {
            name: np.empty((steps + 1, *array.shape), dtype=array.dtype)
            for name, array in daily_columns(current).items()
        }
        for name, array in daily_columns(current).items():
            records[name][0] = array
        cursor = SessionCursor(sessions)
        for j in range(steps):
            latest = cursor.before(arrays.d_day[j])
            step_daily(current, arrays.d_day[j], arrays.d_value[j], constants, latest)
            if personal is not None:
                step_personal(current, arrays.d_day[j], personal[j])
            for name, array in daily_columns(current).items():
                records[name][j + 1] = array
        return current, records

    current, jobs = stream_d_jobs(arrays, settings, current, compiled=compiled)
    run_jobs(jobs, workers)
    return current, None


def stream_d_jobs(
    arrays: CohortArrays,
    settings: EngineSettings,
    state: DailyArrays | None = None,
    *,
    compiled: bool | None = None,
) -> tuple[DailyArrays, list[Callable[[], None]]]:
    """Return the daily state and the jobs (one a chunk of patients) that sweep it.

    ``compiled`` as in ``run_stream_d``. The compiled jobs release the GIL, so they run
    beside stream A's on another thread (``sweep_both``).
    """
    n = arrays.n_patients
    current = (
        state
        if state is not None
        else DailyArrays.empty(n, arrays.daily_items, arrays.personal_items)
    )
    constants = DailyConstants.of(settings)
    personal = arrays.d_personal
    steps = arrays.d_day.shape[0]
    sessions = session_days(arrays)
    kernel = None
    if compiled or (compiled is None and n >= COMPILED_MIN_PATIENTS):
        from lasting_core.engine import compiled as compiled_module

        kernel = compiled_module.load()
    if kernel is not None:
        run_kernel = kernel
        d_day = np.ascontiguousarray(arrays.d_day, dtype=np.float64)
        d_value = np.ascontiguousarray(arrays.d_value, dtype=np.float32)
        crossings = (
            np.empty((steps, 0, n), dtype=np.float32)
            if personal is None
            else np.ascontiguousarray(personal, dtype=np.float32)
        )
        constant_values = compiled_module.constants_array(constants)

        def compiled_job(start: int, stop: int) -> Callable[[], None]:
            def run() -> None:
                compiled_module.run_daily(
                    run_kernel,
                    current,
                    d_day,
                    d_value,
                    crossings,
                    sessions,
                    constant_values,
                    start,
                    stop,
                )

            return run

        return current, [compiled_job(a, b) for a, b in _chunks(n, CHUNK_PATIENTS)]

    def job(start: int, stop: int) -> Callable[[], None]:
        def run() -> None:
            chunk = current.rows(start, stop)
            day = arrays.d_day[:, start:stop]
            value = arrays.d_value[:, :, start:stop]
            cursor = SessionCursor(sessions[:, start:stop])
            crossings = None if personal is None else personal[:, :, start:stop]
            for j in range(steps):
                step_daily(chunk, day[j], value[j], constants, cursor.before(day[j]))
                if crossings is not None:
                    step_personal(chunk, day[j], crossings[j])

        return run

    return current, [job(a, b) for a, b in _chunks(n, CHUNK_PATIENTS)]


def sweep_both(
    arrays: CohortArrays,
    settings: EngineSettings,
    prior: PopulationPrior,
    *,
    workers: int = 1,
) -> tuple[StreamState, DailyArrays]:
    """Sweep both streams from empty states, their chunks interleaved on ``workers`` threads.

    The same results as ``run_stream_a`` then ``run_stream_d``; the compiled kernels
    release the GIL, so the threads run their chunks in parallel (with the numpy
    reference, stream A's steps share the GIL).
    """
    a, a_jobs = stream_a_jobs(arrays, settings, prior)
    d, d_jobs = stream_d_jobs(arrays, settings)
    jobs: list[Callable[[], None]] = []
    for index in range(max(len(a_jobs), len(d_jobs))):
        jobs.extend(a_jobs[index : index + 1])
        jobs.extend(d_jobs[index : index + 1])
    run_jobs(jobs, workers)
    return a, d
