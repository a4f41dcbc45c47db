"""A cohort of the regime generator, in the records every consumer of the simulator reads.

``simulate_regime_cohort`` runs ``regimes`` and returns ``SimulatedPatient`` records (the
same sessions and observations as the first generator, so the engine's evaluation, the
export to exchange CSVs and ``lasting replay`` read them unchanged) with the regime
truth beside them: every return's onset and how it ended.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.simulation.cohort import (
    MaintenancePolicy,
    SessionKind,
    SimulatedObservation,
    SimulatedPatient,
    SimulatedSession,
)
from lasting_core.simulation.draws import BoolArray, FloatArray
from lasting_core.simulation.observations import (
    PHQ9_ITEM_WEIGHTS,
    allocate_items,
    draw_item9,
)
from lasting_core.simulation.presets import REAL_WORLD
from lasting_core.simulation.regime_settings import RegimeSettings
from lasting_core.simulation.regimes import (
    BOOSTER_SESSION,
    INDUCTION_SESSION,
    RETURNING,
    WELL,
    RegimeDraws,
    RegimeRun,
    draw_regime_patients,
    random_streams,
    run_regimes,
)

# The worse direction of mood, sleep quality and stress.
_WORSE = np.array([-1.0, -1.0, 1.0])
_ITEM_MAX = 3


@dataclass(frozen=True)
class ReturnEpisode:
    """One return in the latent state: its onset and, if it faded by itself, that day.

    ``faded_day`` is None when the return reached the relapse regime, was stopped by a
    session, or was still under way at the end.
    """

    onset_day: int
    faded_day: int | None


@dataclass(frozen=True)
class RegimeCohort:
    """Patients of the regime generator with the truth behind them (by patient index)."""

    settings: RegimeSettings
    days: int
    seed: int
    reactive_share: float
    patients: tuple[SimulatedPatient, ...]
    returns: tuple[tuple[ReturnEpisode, ...], ...]


def simulate_regime_cohort(
    n_patients: int,
    days: int,
    *,
    settings: RegimeSettings | None = None,
    seed: int = 0,
    reactive_share: float = 0.0,
    enrolment_days: int | None = None,
) -> RegimeCohort:
    """Simulate ``n_patients`` over ``days`` days; the same seed gives the same cohort.

    ``reactive_share`` of the patients are treated by the reactive clinic (boosters booked
    on their PHQ-9); the others get no boosters. Enrolment is spread uniformly over the
    first ``enrolment_days`` days (default: the whole period).
    """
    s = settings or RegimeSettings()
    if n_patients < 0:
        raise ValueError("n_patients cannot be negative")
    if days < 1:
        raise ValueError("days must be at least 1")
    if not 0.0 <= reactive_share <= 1.0:
        raise ValueError("reactive_share must lie in [0, 1]")
    window = days if enrolment_days is None else enrolment_days
    if not 1 <= window <= days:
        raise ValueError("enrolment_days must lie between 1 and days")
    rngs = random_streams(seed)
    draws = draw_regime_patients(n_patients, days, window, reactive_share, s, rngs)
    run = run_regimes(draws, s, days, rngs)
    daily = draw_daily_items(draws, run, s, rngs["daily"])
    patients = _build_patients(draws, run, daily, rngs["items"], days)
    return RegimeCohort(
        settings=s,
        days=days,
        seed=seed,
        reactive_share=reactive_share,
        patients=patients,
        returns=_returns(run),
    )


def draw_daily_items(
    draws: RegimeDraws, run: RegimeRun, settings: RegimeSettings, rng: np.random.Generator
) -> npt.NDArray[np.int8]:
    """Return mood, sleep and stress (0-10) per patient and day, -1 where not answered.

    Each item of a patient follows the regime's level ``lag`` days earlier (0-10, drawn
    per patient and item) at a personal scale (points per PHQ-9 point, log-normal around
    ``daily_points_per_phq9``) with personal AR(1) noise. Kept from the first induction
    session by the daily keepers, less often with time, while away, and as symptoms return.
    """
    s = settings
    n, days = run.level.shape
    keepers = np.flatnonzero(draws.daily_keeper)
    count = keepers.size
    lag_low, lag_high = s.daily_lag_days
    lags = rng.integers(lag_low, lag_high + 1, size=(count, 3))
    scale = s.daily_points_per_phq9 * np.exp(s.daily_scale_log_sd * rng.standard_normal((count, 3)))
    intercept = np.asarray(s.daily_intercepts) + rng.normal(0.0, s.daily_personal_sd, (count, 3))
    noise_sd = rng.uniform(*s.daily_noise_sd, count)[:, None]
    phi = rng.uniform(*s.daily_phi, count)[:, None]
    start = rng.uniform(*s.daily_start, count)
    floor = np.minimum(rng.uniform(*s.daily_floor, count), start)
    decay = s.daily_decay_days * np.exp(s.decay_log_sd * rng.standard_normal(count))
    answer_draw = rng.random((count, days))
    innovation = (
        rng.standard_normal((count, days, 3)) * (noise_sd * np.sqrt(1.0 - phi**2))[:, None, :]
    )
    state = rng.standard_normal((count, 3)) * noise_sd

    first_session = draws.induction_days[keepers, 0]
    grid = np.arange(days)[None, :]
    since = (grid - first_session[:, None]).astype(np.float64)
    latent = np.nan_to_num(run.latent[keepers])
    well = draws.well_level[keepers, None]
    rise = np.clip(
        (latent - well) / np.maximum(draws.relapse_level[keepers, None] - well, 1.0), 0.0, 1.0
    )
    completion = (
        floor[:, None] + (start - floor)[:, None] * np.exp(-np.maximum(since, 0.0) / decay[:, None])
    ) * (1.0 - s.severity_skip_share * rise)
    answered: BoolArray = (
        (since >= 0)
        & (grid < run.discontinued_day[keepers, None])
        & ~run.away[keepers]
        & (answer_draw < completion)
    )
    values = np.empty((count, days, 3))
    level = run.level[keepers]
    rows = np.arange(count)[:, None]
    for t in range(days):
        state = phi * state + innovation[:, t, :]
        lagged = level[rows, np.maximum(t - lags, 0)]
        values[:, t, :] = intercept + _WORSE * scale * lagged + state
    values[:, :, 2] += s.daily_life_event_stress * run.life_event[keepers]
    daily = np.full((n, days, 3), -1, dtype=np.int8)
    rounded = np.rint(np.clip(values, 0.0, 10.0)).astype(np.int8)
    daily[keepers] = np.where(answered[:, :, None], rounded, np.int8(-1))
    return daily


def _phq9_items(
    run: RegimeRun, rng: np.random.Generator
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.int8]]:
    """Return the answered PHQ-9s (patient, day) and their nine items summing to the total.

    Item 9 follows the latent severity as in the first generator (Simon 2013 rates).
    """
    n = run.phq9.shape[0]
    answered = run.phq9 >= 0
    patient, day = np.nonzero(answered)
    totals = run.phq9[answered].astype(np.int64)
    profile = np.asarray(PHQ9_ITEM_WEIGHTS)[None, :] * np.exp(rng.normal(0.0, 0.35, (n, 8)))
    item9 = np.minimum(draw_item9(np.nan_to_num(run.latent[answered]), REAL_WORLD, rng), totals)
    item9 = np.maximum(item9, totals - _ITEM_MAX * 8)
    rest = allocate_items(totals - item9, profile[patient], rng)
    items = np.concatenate([rest, item9[:, None].astype(np.int8)], axis=1)
    return patient, day, items


def _offsets(patient_of_row: npt.NDArray[np.intp], n: int) -> list[int]:
    offsets: list[int] = np.searchsorted(patient_of_row, np.arange(n + 1)).tolist()
    return offsets


def _first_crossing(latent: FloatArray, bar: float, after: int) -> int | None:
    """Return the first day after ``after`` with the latent at or above ``bar``."""
    above = np.flatnonzero(latent[after + 1 :] >= bar)
    return int(after + 1 + above[0]) if above.size else None


def _build_patients(
    draws: RegimeDraws,
    run: RegimeRun,
    daily: npt.NDArray[np.int8],
    rng: np.random.Generator,
    days: int,
) -> tuple[SimulatedPatient, ...]:
    """Turn the arrays into frozen records; the only loop over patients."""
    n = draws.set_point.shape[0]
    phq9_patient, phq9_day, phq9_items = _phq9_items(run, rng)
    phq9_offsets = _offsets(phq9_patient, n)
    phq9_total = run.phq9[run.phq9 >= 0].tolist()
    phq9_days = phq9_day.tolist()
    phq9_item_rows = [tuple(row) for row in phq9_items.tolist()]
    daily_answered = daily[:, :, 0] >= 0
    daily_patient, daily_day = np.nonzero(daily_answered)
    daily_offsets = _offsets(daily_patient, n)
    daily_rows = [tuple(row) for row in daily[daily_answered].tolist()]
    daily_days = daily_day.tolist()
    session_patient, session_day = np.nonzero(run.sessions)
    session_offsets = _offsets(session_patient, n)
    session_codes = run.sessions[run.sessions != 0].tolist()
    session_days = session_day.tolist()
    kinds = {INDUCTION_SESSION: SessionKind.INDUCTION, BOOSTER_SESSION: SessionKind.BOOSTER}

    patients = []
    for i in range(n):
        end = int(run.induction_end_day[i])
        ended = end < days
        observations = [
            SimulatedObservation(phq9_days[r], "phq9", phq9_total[r], phq9_item_rows[r])
            for r in range(phq9_offsets[i], phq9_offsets[i + 1])
        ]
        observations += [
            SimulatedObservation(daily_days[r], "daily", None, daily_rows[r])
            for r in range(daily_offsets[i], daily_offsets[i + 1])
        ]
        observations.sort(key=lambda observation: observation.day)
        latent = run.latent[i].copy()
        latent.setflags(write=False)
        responded = bool(draws.responded[i]) and ended
        bar = float(draws.latent_bar[i])
        relapse_day = _first_crossing(latent, bar, end) if responded else None
        onset = None
        if relapse_day is not None:
            starts = np.flatnonzero(
                (run.regime[i, 1 : relapse_day + 1] == RETURNING)
                & (run.regime[i, :relapse_day] != RETURNING)
            )
            onset = int(starts[-1] + 1) if starts.size else relapse_day
        discontinued = int(run.discontinued_day[i])
        patients.append(
            SimulatedPatient(
                index=i,
                baseline_phq9=round(float(draws.set_point[i])),
                policy=MaintenancePolicy.SYMPTOM
                if bool(draws.reactive[i])
                else MaintenancePolicy.NONE,
                responded=responded,
                remitted=bool(draws.remitted[i]) and ended,
                worsened=bool(draws.worsened[i]) and ended,
                stopped_after_first=bool(draws.stopped_after_first[i]),
                sessions=tuple(
                    SimulatedSession(session_days[r], kinds[session_codes[r]])
                    for r in range(session_offsets[i], session_offsets[i + 1])
                ),
                observations=tuple(observations),
                latent_phq9=latent,
                relapse_onset_day=onset,
                relapse_day=relapse_day,
                therapy=bool(draws.therapy[i]),
                antidepressant=False,
                diagnosis="trd_mdd",
                enrolment_day=int(draws.enrolment_day[i]),
                induction_end_day=end if ended else None,
                discontinued_day=discontinued if discontinued < days else None,
                daily_checkins=bool(draws.daily_keeper[i]),
                relapse_threshold=bar,
            )
        )
    return tuple(patients)


def _returns(run: RegimeRun) -> tuple[tuple[ReturnEpisode, ...], ...]:
    """Return every patient's returns: onsets, and the day each one faded by itself."""
    result = []
    regime = run.regime
    booster = run.sessions
    for i in range(regime.shape[0]):
        path = regime[i]
        episodes: list[ReturnEpisode] = []
        onsets = np.flatnonzero((path[1:] == RETURNING) & (path[:-1] != RETURNING)) + 1
        for onset in onsets.tolist():
            after = path[onset:]
            leaves = np.flatnonzero(after != RETURNING)
            faded: int | None = None
            if leaves.size:
                left = onset + int(leaves[0])
                # A session the day before the regime went back to WELL stopped it.
                stopped = bool(booster[i, left - 1] != 0)
                if path[left] == WELL and not stopped:
                    faded = left
            episodes.append(ReturnEpisode(onset_day=onset, faded_day=faded))
        result.append(tuple(episodes))
    return tuple(result)
