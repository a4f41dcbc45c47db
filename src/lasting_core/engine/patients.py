"""The engine's two paths: a clinic at once (batch) and one patient after a check-in.

Both run the same sweep (``sweep``) and the same assessment (``assess``); the one-patient
path is the batch path with n = 1. It can resume from a stored ``EngineState`` (JSON),
so one new check-in costs one step, not a replay of the whole history.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from lasting_core.definitions import STATES, RelapseState, SessionKind
from lasting_core.engine.assess import AssessmentArrays, ScheduledMisses, assess_arrays
from lasting_core.engine.drift import DailyArrays
from lasting_core.engine.durability import PopulationPrior
from lasting_core.engine.history import (
    EVENT,
    LIFE_EVENT,
    LIFE_EVENT_KINDS,
    PHQ9,
    SESSION_CODES,
    CohortArrays,
    LifeEvent,
    PatientHistory,
    PersonalItem,
    PersonalReading,
    pack_histories,
)
from lasting_core.engine.parameters import EngineSettings
from lasting_core.engine.signals import Signal, build_signals, explain
from lasting_core.engine.sweep import (
    CHUNK_PATIENTS,
    StreamState,
    copy_state,
    daily_columns,
    flatten,
    run_jobs,
    run_stream_a,
    run_stream_d,
    sweep_both,
    unflatten,
)

FloatArray = npt.NDArray[np.float64]
_STATE_VERSION = 4


@dataclass(frozen=True)
class EngineState:
    """One patient's engine state after some records, storable as JSON.

    ``a_count`` stream A records and ``d_count`` daily entries (all of the days before
    ``d_pending_day``) are folded in; the digests guard against records that were edited
    or back-filled since, in which case the history is swept again from the start.
    """

    fingerprint: str
    a_count: int
    a_digest: str
    a_columns: dict[str, float]
    d_count: int
    d_digest: str
    d_columns: dict[str, list[float]]

    def to_json(self) -> str:
        def clean(value: float) -> float | None:
            return None if math.isnan(value) else value

        payload = {
            "version": _STATE_VERSION,
            "fingerprint": self.fingerprint,
            "a_count": self.a_count,
            "a_digest": self.a_digest,
            "a": {name: clean(v) for name, v in self.a_columns.items()},
            "d_count": self.d_count,
            "d_digest": self.d_digest,
            "d": {name: [clean(v) for v in vs] for name, vs in self.d_columns.items()},
        }
        return json.dumps(payload, separators=(",", ":"), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> EngineState:
        payload = json.loads(text)
        if payload.get("version") != _STATE_VERSION:
            raise ValueError("engine state of another version; sweep the history again")

        def back(value: float | None) -> float:
            return math.nan if value is None else float(value)

        return cls(
            fingerprint=payload["fingerprint"],
            a_count=int(payload["a_count"]),
            a_digest=payload["a_digest"],
            a_columns={name: back(v) for name, v in payload["a"].items()},
            d_count=int(payload["d_count"]),
            d_digest=payload["d_digest"],
            d_columns={name: [back(v) for v in vs] for name, vs in payload["d"].items()},
        )


@dataclass(frozen=True)
class Assessment:
    """One patient's assessment at ``as_of_day`` (only records on or before it are used).

    Probabilities are None where relapse is not defined at that time (no response yet,
    or already relapsed); ``crossing_day`` is the expected day the latent PHQ-9 reaches the
    relapse bar, with its 80 % interval (the upper end is capped at forecast_max_days).
    """

    as_of_day: float
    level: float | None
    level_sd: float | None
    slope_per_week: float | None
    slope_sd: float | None
    p_relapse_14d: float | None
    p_relapse_28d: float | None
    crossing_day: float | None
    crossing_interval: tuple[float, float] | None
    relapse_state: RelapseState
    signals: tuple[Signal, ...]
    explanation: str
    baseline: float | None
    nadir: float | None
    relapse_bar: float | None
    latest_phq9: float | None
    latest_phq9_day: float | None
    days_since_session: float | None
    usual_interval_days: float | None
    missed_checkins: int | None
    state: EngineState | None = field(default=None, compare=False, repr=False)


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def build_assessment(
    m: AssessmentArrays,
    i: int,
    settings: EngineSettings,
    state: EngineState | None = None,
    items: Sequence[PersonalItem] = (),
) -> Assessment:
    """Return patient ``i`` of the assessment arrays as an Assessment.

    ``items``: the patient's personal items (their labels name the warning signs).
    """
    has_checkin = not math.isnan(float(m.latest_day[i]))
    as_of = float(m.as_of[i])
    crossing = m.crossing[:, i]
    median = _optional(float(crossing[1]))
    interval: tuple[float, float] | None = None
    if median is not None:
        high = float(crossing[2])
        high = settings.forecast_max_days if math.isnan(high) else high
        interval = (as_of + float(crossing[0]), as_of + high)
    since_session = float(m.as_of[i] - m.last_session[i])

    def kalman(value: float) -> float | None:
        return float(value) if has_checkin else None

    missed = _optional(float(m.missed[i]))
    return Assessment(
        as_of_day=as_of,
        level=kalman(m.level[i]),
        level_sd=kalman(m.level_sd[i]),
        slope_per_week=kalman(m.slope_per_week[i]),
        slope_sd=kalman(m.slope_sd_per_week[i]),
        p_relapse_14d=_optional(float(m.p14[i])),
        p_relapse_28d=_optional(float(m.p28[i])),
        crossing_day=None if median is None else as_of + median,
        crossing_interval=interval,
        relapse_state=STATES[int(m.state[i])],
        signals=build_signals(m, i, settings, items),
        explanation=explain(m, i, settings, items),
        baseline=_optional(float(m.baseline[i])),
        nadir=_optional(float(m.nadir[i])),
        relapse_bar=_optional(float(m.bar[i])),
        latest_phq9=_optional(float(m.latest[i])),
        latest_phq9_day=_optional(float(m.latest_day[i])),
        days_since_session=_optional(since_session),
        usual_interval_days=_optional(float(m.usual_interval[i]))
        if not math.isnan(float(m.last_session[i]))
        else None,
        missed_checkins=None if missed is None else int(missed),
        state=state,
    )


def assess_cohort(
    histories: Sequence[PatientHistory],
    as_of_day: float,
    settings: EngineSettings | None = None,
    prior: PopulationPrior | None = None,
) -> list[Assessment]:
    """Assess every patient at ``as_of_day``: one vectorised sweep across patients."""
    s = settings or EngineSettings()
    p = prior or PopulationPrior.default()
    arrays = pack_histories(histories, as_of_day)
    scheduled = ScheduledMisses.pack([history.missed_checkins for history in histories])
    m = assess_packed(arrays, as_of_day, s, p, scheduled=scheduled)
    return [
        build_assessment(m, i, s, items=history.personal_items)
        for i, history in enumerate(histories)
    ]


def assess_packed(
    arrays: CohortArrays,
    as_of_day: float,
    settings: EngineSettings,
    prior: PopulationPrior,
    *,
    crossing: bool = True,
    workers: int = 1,
    scheduled: ScheduledMisses | None = None,
) -> AssessmentArrays:
    """Sweep packed arrays (records on or before ``as_of_day``) and assess at that day.

    ``workers`` threads share the chunks of patients (the numbers do not change).
    """
    a, d = sweep_both(arrays, settings, prior, workers=workers)
    n = arrays.n_patients
    as_of = np.full(n, float(as_of_day))
    if workers <= 1 or n <= CHUNK_PATIENTS:
        return assess_arrays(a, d, as_of, settings, prior, crossing=crossing, scheduled=scheduled)
    # The assessment is per patient, so chunks of patients can be assessed on threads (its
    # operations are heavy enough for numpy's released GIL to pay) and joined.
    columns = flatten(a)
    parts: list[AssessmentArrays | None] = [None] * len(range(0, n, CHUNK_PATIENTS))

    def job(index: int, start: int, stop: int) -> Callable[[], None]:
        def run() -> None:
            part = None if scheduled is None else scheduled.rows(start, stop)
            parts[index] = assess_arrays(
                unflatten({name: array[start:stop] for name, array in columns.items()}),
                d.rows(start, stop),
                as_of[start:stop],
                settings,
                prior,
                crossing=crossing,
                scheduled=part,
            )

        return run

    starts = range(0, n, CHUNK_PATIENTS)
    run_jobs(
        [job(i, start, min(start + CHUNK_PATIENTS, n)) for i, start in enumerate(starts)], workers
    )
    done = [part for part in parts if part is not None]
    return AssessmentArrays(
        **{
            f.name: np.concatenate([getattr(part, f.name) for part in done], axis=-1)
            for f in fields(AssessmentArrays)
        }
    )


# ---------------------------------------------------------------------------------------
# The one-patient path.


def _fingerprint(settings: EngineSettings, prior: PopulationPrior) -> str:
    return hashlib.blake2b(repr((settings, prior)).encode(), digest_size=12).hexdigest()


def _digest(records: Sequence[tuple[Any, ...]]) -> str:
    return hashlib.blake2b(repr(records).encode(), digest_size=12).hexdigest()


ARecord = tuple[float, int, int, float, int]
DailyEntry = tuple[float, float | None, float | None, float | None]
# A personal reading as a plain tuple (day, item key, value): digests repr every entry, and
# a tuple's repr costs a fraction of a dataclass's.
ReadingEntry = tuple[float, str, float]
# A daily-stream entry: a daily check (kind 0) or a personal reading (kind 1).
DEntry = tuple[float, int, DailyEntry | ReadingEntry]


def _a_records(history: PatientHistory) -> list[ARecord]:
    """Return stream A records in the packing order: (day, order, kind, value, detail)."""
    records = [(float(d), 0, PHQ9, float(score), 0) for d, score in history.phq9]
    records += [(float(d), 1, EVENT, 0.0, 0) for d, _ in history.events]
    records += [
        (float(e.day), 1, LIFE_EVENT, float(e.weight), LIFE_EVENT_KINDS.index(e.kind))
        for e in history.life_events
    ]
    records += [
        (float(d), 2, SESSION_CODES[SessionKind(kind)], 0.0, 0) for d, kind in history.sessions
    ]
    return sorted(records, key=lambda r: (r[0], r[1]))


def _d_entries(history: PatientHistory) -> list[DEntry]:
    """Return the daily stream's entries in time order (daily checks before readings)."""
    entries: list[DEntry] = [(float(entry[0]), 0, entry) for entry in history.daily]
    entries += [
        (float(reading.day), 1, (float(reading.day), reading.item, float(reading.value)))
        for reading in history.personal
    ]
    return sorted(entries, key=lambda e: (e[0], e[1]))


def _history_of(
    a_records: Sequence[ARecord],
    entries: Sequence[DEntry],
    items: tuple[PersonalItem, ...],
) -> PatientHistory:
    kinds = {code: kind for kind, code in SESSION_CODES.items()}
    daily: list[DailyEntry] = []
    personal: list[PersonalReading] = []
    for _, which, entry in entries:
        if which == 0:
            daily.append(cast(DailyEntry, entry))
        else:
            day, key, value = cast(ReadingEntry, entry)
            personal.append(PersonalReading(day, key, value))
    return PatientHistory(
        phq9=tuple((d, v) for d, _, k, v, _ in a_records if k == PHQ9),
        sessions=tuple((d, str(kinds[k])) for d, _, k, _, _ in a_records if k in kinds),
        daily=tuple(daily),
        events=tuple((d, "hospitalisation") for d, _, k, _, _ in a_records if k == EVENT),
        personal_items=items,
        personal=tuple(personal),
        life_events=tuple(
            LifeEvent(d, LIFE_EVENT_KINDS[detail], v)
            for d, _, k, v, detail in a_records
            if k == LIFE_EVENT
        ),
    )


def assess_patient(
    history: PatientHistory,
    as_of_day: float,
    settings: EngineSettings | None = None,
    prior: PopulationPrior | None = None,
    *,
    state: EngineState | None = None,
) -> Assessment:
    """Assess one patient at ``as_of_day`` from the records on or before it.

    With ``state`` (from an earlier Assessment.state), only records after it are swept;
    the result is the same as without it. The returned Assessment carries the new state.
    """
    s = settings or EngineSettings()
    p = prior or PopulationPrior.default()
    history = history.until(as_of_day)
    fingerprint = _fingerprint(s, p)
    a_records = _a_records(history)
    items = history.personal_items
    entries = _d_entries(history)
    last_cell = math.floor(entries[-1][0]) if entries else math.inf
    committed = [entry for entry in entries if math.floor(entry[0]) < last_cell]
    pending = entries[len(committed) :]

    a_state: StreamState | None = None
    a_start = 0
    d_state: DailyArrays | None = None
    d_start = 0
    # The personal items shape the daily state (their number, their thresholds), so a
    # change of the plan sweeps the daily stream again.
    a_digest = _digest(a_records)
    d_digest = _digest([items, *committed])

    def a_prefix(count: int) -> str:
        return a_digest if count == len(a_records) else _digest(a_records[:count])

    def d_prefix(count: int) -> str:
        return d_digest if count == len(committed) else _digest([items, *committed[:count]])

    if state is not None and state.fingerprint == fingerprint:
        if state.a_count <= len(a_records) and state.a_digest == a_prefix(state.a_count):
            a_state = unflatten({k: np.array([v]) for k, v in state.a_columns.items()})
            a_start = state.a_count
        if state.d_count <= len(committed) and state.d_digest == d_prefix(state.d_count):
            d_state = _daily_from_columns(state.d_columns)
            d_start = state.d_count

    new = pack_histories([_history_of(a_records[a_start:], committed[d_start:], items)])
    a, _ = run_stream_a(new, s, p, a_state)
    # The daily baselines restart at sessions: the daily stream sees all of them.
    sessions_only = [r for r in a_records if r[2] in SESSION_CODES.values()]
    d, _ = run_stream_d(
        pack_histories([_history_of(sessions_only, committed[d_start:], items)]), s, d_state
    )
    new_state = EngineState(
        fingerprint=fingerprint,
        a_count=len(a_records),
        a_digest=a_digest,
        a_columns={name: float(array[0]) for name, array in flatten(copy_state(a)).items()},
        d_count=len(committed),
        d_digest=d_digest,
        d_columns={
            name: np.asarray(array[..., 0], dtype=np.float64).ravel().tolist()
            for name, array in daily_columns(d).items()
        },
    )
    if pending:
        d = d.copy()
        last, _ = run_stream_d(pack_histories([_history_of(sessions_only, pending, items)]), s, d)
        d = last
    scheduled = ScheduledMisses.pack([history.missed_checkins])
    m = assess_arrays(a, d, np.full(1, float(as_of_day)), s, p, scheduled=scheduled)
    return build_assessment(m, 0, s, new_state, items)


def _daily_from_columns(columns: dict[str, list[float]]) -> DailyArrays:
    template = DailyArrays.empty(1, len(columns["fast"]), len(columns["personal_run"]))
    values: dict[str, Any] = {}
    for name, array in daily_columns(template).items():
        values[name] = np.asarray(columns[name], dtype=array.dtype).reshape(array.shape)
    return DailyArrays(**values)
