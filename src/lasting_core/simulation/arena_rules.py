"""The arena's patients and its booking rules: what each policy decides, day by day.

`draw_arena_cohort` draws every random number once (common random numbers); a rule is
called once a day with what the clinic has observed (`dynamics.DayView`) and returns who
should be booked a booster. `ForecastRule` runs the engine's batch path on the patients
with a new check-in that day. See `arena` for the policies and the scoring.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

from lasting_core.engine import (
    CohortArrays,
    EngineSettings,
    PatientHistory,
    PopulationPrior,
    assess_packed,
    pack_histories,
)
from lasting_core.engine.assess import assess_arrays
from lasting_core.engine.drift import DailyArrays, DailyConstants, step_daily
from lasting_core.engine.sweep import StreamState, flatten, step_a, unflatten
from lasting_core.policies import PolicySettings
from lasting_core.schedules import ScheduleSettings
from lasting_core.simulation import draws as drawing
from lasting_core.simulation import dynamics
from lasting_core.simulation.cohort import random_streams
from lasting_core.simulation.draws import BoolArray, FloatArray, IntArray
from lasting_core.simulation.observations import DailyNoise, daily_on_day, draw_daily_noise
from lasting_core.simulation.presets import Preset


@dataclass(frozen=True)
class ArenaCohort:
    """Every random draw of the arena's patients, shared by all policies."""

    preset: Preset
    days: int
    draws: drawing.PatientDraws
    drivers: drawing.DailyDrivers
    daily: DailyNoise


def draw_arena_cohort(
    n_patients: int, days: int, preset: Preset, seed: int | np.random.SeedSequence
) -> ArenaCohort:
    """Draw the patients and their daily processes once; all enrol on day 0."""
    rngs = random_streams(seed)
    draws = drawing.draw_patients(n_patients, days, 1, preset, rngs)
    drivers = drawing.draw_daily_drivers(n_patients, days, preset, rngs)
    daily = draw_daily_noise(draws, days, preset, rngs["daily"])
    return ArenaCohort(preset=preset, days=days, draws=draws, drivers=drivers, daily=daily)


class Rule:
    """A booking rule: called once a day, returns who should be booked a booster.

    ``watch``, when set, tells the simulator whom the clinic's schedule asks for a
    mid-week PHQ-9 (closed loop: decided from earlier days).
    """

    watch: dynamics.WatchRule | None = None

    def __call__(self, view: dynamics.DayView) -> BoolArray:
        return np.zeros(view.phq9.shape[0], dtype=bool)


class SymptomRule(Rule):
    def __init__(self, n: int) -> None:
        settings = PolicySettings()
        self.threshold = settings.symptom_threshold
        self.worsening = settings.reliable_worsening_points
        self.nadir = np.full(n, np.inf)
        self.treated = np.zeros(n, dtype=bool)

    def __call__(self, view: dynamics.DayView) -> BoolArray:
        answered = view.phq9 >= 0
        score = view.phq9.astype(np.float64)
        proposed: BoolArray = answered & (
            (score >= self.threshold) | (score - self.nadir >= self.worsening)
        )
        # The nadir counts PHQ-9s after induction began (the intake score is the baseline).
        counts = answered & self.treated
        self.nadir = np.where(counts, np.minimum(self.nadir, score), self.nadir)
        self.treated |= view.session_today == dynamics.INDUCTION_SESSION
        return proposed


class OracleRule(Rule):
    def __call__(self, view: dynamics.DayView) -> BoolArray:
        return view.rising


class SeenRule(Rule):
    """Sees the hidden latent PHQ-9 every day, without noise, and books when it has risen
    ``rise`` points above its lowest since the patient's last session.

    A bound, not a policy a clinic could run: it is what any rule that reads symptoms
    could do at best (it knows them exactly and at once, but only once they move), where
    the oracle also knows when a return begins. The gap between the two is timing no
    symptom can give; the gap between it and the forecast is what observing symptoms
    weekly and noisily costs.
    """

    def __init__(self, n: int, rise: float) -> None:
        self.rise = rise
        self.lowest = np.full(n, np.nan)
        self.session = np.full(n, -1, dtype=np.int64)

    def __call__(self, view: dynamics.DayView) -> BoolArray:
        latent = view.latent  # NaN before enrolment: never lowest, never booked
        restarted = view.last_session_day != self.session
        self.session = view.last_session_day.copy()
        self.lowest = np.where(restarted, latent, np.fmin(self.lowest, latent))
        proposed: BoolArray = latent - self.lowest >= self.rise
        return proposed


class ForecastRule(Rule):
    """Assess, with the engine's batch path, every patient with a new check-in today.

    The engine's state of every patient moves on by each day's records (stream A: the
    PHQ-9 before the session; stream D: the daily check, after sessions of earlier days),
    and today's patients are assessed from it: one step a day instead of a sweep of
    everyone's whole history. ``incremental=False`` keeps what the clinic has seen as
    flat record arrays and sweeps the records of today's patients with ``assess_packed``
    each day (the reference; ``tests/core/test_arena.py`` asserts the two agree).
    """

    def __init__(
        self,
        cohort: ArenaCohort,
        threshold: float,
        settings: EngineSettings | None,
        prior: PopulationPrior | None,
        *,
        incremental: bool = True,
        closed_loop: bool = False,
    ) -> None:
        self.cohort = cohort
        self.n = int(cohort.draws.set_point.shape[0])
        self.threshold = threshold
        self.settings = settings or EngineSettings()
        self.prior = prior or PopulationPrior.default()
        self.codes = engine_codes()
        self.records = Records(4)  # patient, day, kind, value
        self.dailies = Records(5)  # patient, day, mood, sleep, stress
        self.seconds = 0.0
        self.assessments = 0
        self.incremental = incremental
        self.stream = StreamState.empty(self.n, self.settings)
        self.daily = DailyArrays.empty(self.n)
        self.daily_constants = DailyConstants.of(self.settings)
        self.definitions = self.settings.definitions()
        self.latest_session = np.full(self.n, np.nan)
        # The app's check-in schedule (closed loop): a mid-week PHQ-9 while the latest
        # assessment has risk raised, as lasting_core.schedules plans it.
        self.raised = np.zeros(self.n, dtype=bool)
        self.raised_at = ScheduleSettings().raised_risk_probability
        policy = PolicySettings()
        self.symptom_threshold = policy.symptom_threshold
        self.freshness = policy.score_freshness_days
        if closed_loop:
            self.watch = self.raised.copy

    def __call__(self, view: dynamics.DayView) -> BoolArray:
        t = view.day
        answered = np.flatnonzero(view.phq9 >= 0)
        sessions = np.flatnonzero(view.session_today != 0)
        session_codes = np.where(
            view.session_today[sessions] == dynamics.INDUCTION_SESSION,
            self.codes.induction,
            self.codes.booster,
        )
        # Within a day the questionnaire comes before the dose.
        if not self.incremental:
            self.records.append(
                np.concatenate([answered, sessions]).astype(np.float64),
                np.full(answered.size + sessions.size, float(t)),
                np.concatenate([np.full(answered.size, self.codes.phq9), session_codes]).astype(
                    np.float64
                ),
                np.concatenate([view.phq9[answered].astype(np.float64), np.zeros(sessions.size)]),
            )
        daily_answered, values = daily_on_day(
            self.cohort.daily,
            self.cohort.draws,
            self.cohort.preset,
            t,
            view.latent,
            view.drive,
            self.cohort.drivers.stress[:, t],
            view.active,
        )
        checked = self.cohort.daily.keepers[daily_answered]
        items = values[daily_answered].astype(np.float64)
        started = time.perf_counter()
        if self.incremental:
            phq9 = view.phq9[answered].astype(np.float64)
            self._step(float(t), answered, phq9, sessions, session_codes, checked, items)
        else:
            self.dailies.append(
                checked.astype(np.float64), np.full(checked.size, float(t)), *items.T
            )
        self.seconds += time.perf_counter() - started
        new_checkin = view.phq9 >= 0
        new_checkin[checked] = True
        proposed = np.zeros(self.n, dtype=bool)
        due = np.flatnonzero(view.boostable & new_checkin & ~view.pending)
        if due.size == 0:
            return proposed
        started = time.perf_counter()
        if self.incremental:
            m = assess_arrays(
                unflatten({name: array[due] for name, array in flatten(self.stream).items()}),
                DailyArrays(
                    **{f.name: getattr(self.daily, f.name)[..., due] for f in fields(DailyArrays)}
                ),
                np.full(due.size, float(t)),
                self.settings,
                self.prior,
                crossing=False,
            )
        else:
            m = assess_packed(self._pack(due), float(t), self.settings, self.prior, crossing=False)
        self.seconds += time.perf_counter() - started
        self.assessments += int(due.size)
        survive = np.sqrt(np.clip(1.0 - m.p14, 0.0, None) * np.clip(1.0 - m.p28, 0.0, None))
        p21 = np.nan_to_num(1.0 - survive, nan=0.0)
        # The forecast policy also proposes on a confirmed early warning; a
        # relapse the engine has confirmed is a stronger reason still
        # (docs/clinical.md#maintenance-plans).
        # As the clinic's forecast policy does (lasting_core.policies): a PHQ-9 at the
        # relapse threshold, fresh and taken after the last session, proposes by itself.
        judged = ~(m.latest_day <= m.last_session) & (t - m.latest_day <= self.freshness)
        high = judged & (m.latest >= self.symptom_threshold)
        proposed[due] = (p21 >= self.threshold) | m.early_warning | m.relapsed | high
        self.raised[due] = (np.nan_to_num(m.p28, nan=0.0) >= self.raised_at) | m.early_warning
        return proposed

    def _step(
        self,
        day: float,
        answered: IntArray,
        phq9: FloatArray,
        sessions: IntArray,
        session_codes: IntArray,
        checked: IntArray,
        items: FloatArray,
    ) -> None:
        """Move every patient's engine state on by today's records, in the sweep's order."""
        n = self.n
        for rows, kind, value in (
            (answered, np.full(answered.size, self.codes.phq9), phq9),
            (sessions, session_codes, np.zeros(sessions.size)),
        ):
            if rows.size == 0:
                continue
            day_row = np.full(n, np.nan)
            day_row[rows] = day
            kind_row = np.zeros(n, dtype=np.int8)
            kind_row[rows] = kind
            value_row = np.zeros(n)
            value_row[rows] = value
            step_a(
                self.stream,
                day_row,
                kind_row,
                value_row,
                self.settings,
                self.definitions,
                self.prior,
            )
        if checked.size:
            cell_day = np.full(n, np.nan)
            cell_day[checked] = day
            cell = np.full((3, n), np.nan, dtype=np.float32)
            cell[:, checked] = items.T.astype(np.float32)
            # A session counts for the daily cells of later days only.
            latest = np.where(cell_day == cell_day, self.latest_session, np.nan)
            step_daily(self.daily, cell_day, cell, self.daily_constants, latest)
        self.latest_session[sessions] = day

    def _pack(self, patients: IntArray) -> CohortArrays:
        """Pack the records of ``patients`` so far, time-major, as the engine reads them."""
        local = np.full(self.n, -1, dtype=np.int64)
        local[patients] = np.arange(patients.size)
        a_day, a_kind, a_value = time_major(
            self.records.columns(), local, patients.size, (math.nan, 0.0, 0.0)
        )
        d_day, *items = time_major(self.dailies.columns(), local, patients.size, (math.nan,) * 4)
        return CohortArrays(
            a_day=a_day,
            a_kind=a_kind.astype(np.int8),
            a_value=a_value,
            d_day=d_day,
            d_value=np.stack(items, axis=1).astype(np.float32),
        )


class Records:
    """Columns of records that grow day by day (the first column is the patient)."""

    def __init__(self, width: int) -> None:
        self.chunks: list[tuple[FloatArray, ...]] = []
        self.width = width

    def append(self, *columns: FloatArray) -> None:
        self.chunks.append(columns)

    def columns(self) -> tuple[FloatArray, ...]:
        if len(self.chunks) != 1:
            if not self.chunks:
                return tuple(np.empty(0) for _ in range(self.width))
            merged = tuple(np.concatenate(parts) for parts in zip(*self.chunks, strict=True))
            self.chunks = [merged]
        return self.chunks[0]


def time_major(
    columns: Sequence[FloatArray], local: IntArray, width: int, fills: Sequence[float]
) -> list[FloatArray]:
    """Lay out the rows of the selected patients as (steps, width) grids, one per column.

    ``local`` maps a patient to its column (-1: not selected). Rows keep their order
    within a patient (records are appended in time order).
    """
    patient = columns[0].astype(np.int64)
    rows = np.flatnonzero(local[patient] >= 0)
    owner = local[patient[rows]]
    order = np.argsort(owner, kind="stable")
    rows, owner = rows[order], owner[order]
    counts = np.bincount(owner, minlength=width)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(rows.size) - starts[owner]
    steps = int(counts.max()) if counts.size else 0
    grids = []
    for column, fill in zip(columns[1:], fills, strict=True):
        grid = np.full((steps, width), fill)
        grid[position, owner] = column[rows]
        grids.append(grid)
    return grids


@dataclass(frozen=True)
class EngineCodes:
    phq9: int
    induction: int
    booster: int


def engine_codes() -> EngineCodes:
    """Learn the engine's record codes from its own packing of a tiny history."""
    probe = pack_histories(
        [PatientHistory(phq9=((0.0, 0.0),), sessions=((1.0, "induction"), (2.0, "booster")))]
    )
    codes = [int(code) for code in probe.a_kind[:, 0]]
    return EngineCodes(phq9=codes[0], induction=codes[1], booster=codes[2])
