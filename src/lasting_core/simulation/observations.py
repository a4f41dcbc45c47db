"""Questionnaire answers of a simulated cohort: GAD-7, the daily check and item answers.

Totals come from the latent state; items are then allocated so they always sum to the
total and follow a plausible profile (each patient has a stable personal item profile).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.simulation.draws import (
    BoolArray,
    FloatArray,
    IntArray,
    PatientDraws,
    engagement,
    weekly_adherence,
)
from lasting_core.simulation.dynamics import CourseRun
from lasting_core.simulation.presets import DIAGNOSES, Preset

# Relative endorsement of PHQ-9 items 1-8 in depressed outpatients: sleep (3) and
# fatigue (4) highest, psychomotor change (8) lowest. Item 9 is drawn separately.
PHQ9_ITEM_WEIGHTS = (1.0, 1.0, 1.15, 1.25, 0.85, 0.9, 0.9, 0.5)
# GAD-7: restlessness (5) and feeling afraid (7) are endorsed least.
GAD7_ITEM_WEIGHTS = (1.1, 1.0, 1.1, 1.0, 0.8, 1.0, 0.8)
ITEM_PROFILE_LOG_SD = 0.35
ITEM_MAX = 3
GAD7_MAX = 21.0
DAILY_MAX = 10.0
# Daily items (mood, sleep, stress) as a line in severity (latent drive / 27), plus a
# personal offset; stress also jumps with a life event (assumptions, Lasting's own items).
DAILY_INTERCEPTS = (8.0, 7.5, 2.0)
DAILY_SEVERITY_SLOPES = (-6.5, -5.0, 5.0)
DAILY_PERSONAL_SD = 0.7
DAILY_STRESS_SHOCK = 3.0
# Where diagnosis raises anxiety relative to depression (GAD-7 offset, points).
ANXIOUS_DIAGNOSES = {"gad": 3.0, "ptsd": 2.0, "ocd": 2.0}


@dataclass(frozen=True)
class Answers:
    """Answered questionnaires on the (patients, days) grid with their item answers."""

    phq9_items: npt.NDArray[np.int8]  # (answered PHQ-9 in row-major order, 9)
    gad7: npt.NDArray[np.int16]  # (patients, days); -1 where not answered
    gad7_items: npt.NDArray[np.int8]  # (answered GAD-7 in row-major order, 7)
    daily: npt.NDArray[np.int8]  # (patients, days, 3) mood, sleep, stress; -1 if missed


def allocate_items(
    totals: IntArray, weights: FloatArray, rng: np.random.Generator
) -> npt.NDArray[np.int8]:
    """Split each total into items of 0-3 that sum to it.

    Points go one at a time to an item chosen with probability proportional to its weight
    among items not yet at 3. Equivalently (competing exponential clocks), item j's
    points arrive at the cumulative sums of Exp(1) / w_j, and the first ``total``
    arrivals of a row are its points: one sort, vectorised across all rows.
    """
    n_rows, n_items = weights.shape
    if np.any(totals < 0) or np.any(totals > ITEM_MAX * n_items):
        raise ValueError("a total lies outside what the items can hold")
    arrivals = np.cumsum(rng.exponential(size=(n_rows, n_items, ITEM_MAX)), axis=2)
    arrivals /= weights[:, :, None]
    ordered = np.sort(arrivals.reshape(n_rows, n_items * ITEM_MAX), axis=1)
    last = np.take_along_axis(ordered, np.maximum(totals - 1, 0)[:, None], axis=1)
    last = np.where(totals[:, None] > 0, last, -np.inf)
    items: npt.NDArray[np.int8] = np.count_nonzero(arrivals <= last[:, :, None], axis=2).astype(
        np.int8
    )
    return items


def _personal_weights(
    base: tuple[float, ...], n_patients: int, rng: np.random.Generator
) -> FloatArray:
    profile: FloatArray = np.asarray(base)[None, :] * np.exp(
        rng.normal(0.0, ITEM_PROFILE_LOG_SD, (n_patients, len(base)))
    )
    return profile


def item9_probabilities(latent: FloatArray, preset: Preset) -> FloatArray:
    """Return P(item 9 >= 1), P(>= 2) and P(>= 3) at each latent PHQ-9, shape (3, n).

    Ordinal (proportional-odds) logistic model in the latent severity s:
    logit P(item 9 >= k | s) = a_k + b (s - c), with ``item9_log_odds`` = (a_1, a_2, a_3)
    falling in k, so the three probabilities are nested; see the preset for the source.
    """
    centred = np.nan_to_num(latent) - preset.item9_centre_phq9
    log_odds = np.asarray(preset.item9_log_odds)[:, None] + (
        preset.item9_log_odds_per_point * centred[None, :]
    )
    result: FloatArray = 1.0 / (1.0 + np.exp(-log_odds))
    return result


def draw_item9(latent: FloatArray, preset: Preset, rng: np.random.Generator) -> IntArray:
    """Draw item-9 answers (0-3) at the given latent PHQ-9 levels.

    One uniform per answer: the answer is the number of thresholds P(item 9 >= k) it lies
    under, which draws each value with its model probability.
    """
    at_least = item9_probabilities(latent, preset)
    drawn: IntArray = np.count_nonzero(rng.random(latent.size)[None, :] < at_least, axis=0)
    return drawn


def draw_phq9_items(
    run: CourseRun, preset: Preset, rng: np.random.Generator
) -> npt.NDArray[np.int8]:
    """Return the nine item answers of every answered PHQ-9, in row-major grid order.

    Item 9 is drawn from the latent severity of the day (``draw_item9``), capped by the
    total and at least what the other eight items cannot hold (24 points).
    """
    n_patients = run.phq9.shape[0]
    profile = _personal_weights(PHQ9_ITEM_WEIGHTS, n_patients, rng)
    answered = run.phq9 >= 0
    patient, _day = np.nonzero(answered)
    totals = run.phq9[answered].astype(np.int64)
    item9 = np.minimum(draw_item9(run.latent[answered], preset, rng), totals)
    item9 = np.maximum(item9, totals - ITEM_MAX * 8)
    rest = allocate_items(totals - item9, profile[patient], rng)
    result: npt.NDArray[np.int8] = np.concatenate([rest, item9[:, None].astype(np.int8)], axis=1)
    return result


def draw_gad7(
    run: CourseRun, draws: PatientDraws, preset: Preset, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int8]]:
    """Return GAD-7 totals on the grid and their items.

    GAD-7 comes with the PHQ-9 at the first evaluation, at the first and last induction
    sessions, and every two weeks in maintenance; it tracks the latent PHQ-9.
    """
    n_patients, days = run.phq9.shape
    grid = np.arange(days)[None, :]
    since = grid - draws.induction_end_day[:, None]
    scheduled = (
        (grid == draws.enrolment_day[:, None])
        | (grid == draws.induction_days[:, :1])
        | (since == 0)
        | ((since > 0) & (since % 14 == 0))
    )
    answered = scheduled & (run.phq9 >= 0)
    anxious = np.array(
        [ANXIOUS_DIAGNOSES.get(DIAGNOSES[code], 0.0) for code in draws.diagnosis.tolist()]
    )
    offset = rng.normal(preset.gad7_offset_mean, preset.gad7_offset_sd, n_patients) + anxious
    noise = rng.normal(0.0, preset.gad7_sd, (n_patients, days))
    latent = np.nan_to_num(run.latent)
    value = np.rint(
        np.clip(preset.gad7_slope * latent + offset[:, None] + noise, 0.0, GAD7_MAX)
    ).astype(np.int16)
    gad7 = np.where(answered, value, np.int16(-1)).astype(np.int16)
    patient, _day = np.nonzero(answered)
    profile = _personal_weights(GAD7_ITEM_WEIGHTS, n_patients, rng)
    items = allocate_items(gad7[answered].astype(np.int64), profile[patient], rng)
    return gad7, items


@dataclass(frozen=True)
class DailyNoise:
    """The daily check's random draws, for the patients who keep it (``keepers``).

    Drawn up front, so answers on any day follow from that day's state alone: the same
    numbers whether the whole course is drawn at once or day by day (policy arena).
    """

    keepers: IntArray
    answer_draw: FloatArray  # (keepers, days): answered when below the completion
    personal: FloatArray  # (keepers, 1, 3): personal offsets of mood, sleep, stress
    noise: FloatArray  # (keepers, days, 3): AR(1) noise with ``daily_phi``


def draw_daily_noise(
    draws: PatientDraws, days: int, preset: Preset, rng: np.random.Generator
) -> DailyNoise:
    """Draw the daily check's randomness for every patient who keeps it."""
    keepers = np.flatnonzero(draws.daily_checkins)
    count = keepers.size
    answer_draw = rng.random((count, days))
    personal = rng.normal(0.0, DAILY_PERSONAL_SD, (count, 1, 3))
    phi = preset.daily_phi
    innovation_sd = preset.daily_noise_sd * math.sqrt(1.0 - phi**2)
    innovations = rng.normal(0.0, innovation_sd, (count, days, 3))
    noise = np.empty((count, days, 3))
    state = rng.normal(0.0, preset.daily_noise_sd, (count, 3))
    for t in range(days):
        state = phi * state + innovations[:, t, :]
        noise[:, t, :] = state
    return DailyNoise(keepers=keepers, answer_draw=answer_draw, personal=personal, noise=noise)


def daily_on_day(
    daily: DailyNoise,
    draws: PatientDraws,
    preset: Preset,
    day: int,
    latent: FloatArray,
    drive: FloatArray,
    stress: FloatArray,
    active: BoolArray,
) -> tuple[BoolArray, npt.NDArray[np.int8]]:
    """Return who of the keepers answered the daily check on ``day``, and their answers.

    ``latent``, ``drive``, ``stress`` and ``active`` are that day's values, shaped
    (patients,); the result is shaped (keepers,) and (keepers, 3), as ``draw_daily``.
    """
    keepers = daily.keepers
    enrolled_days = float(day) - draws.enrolment_day[keepers].astype(np.float64)
    completion = (
        weekly_adherence(preset, np.maximum(enrolled_days, 0.0), daily=True)
        + draws.adherence_offset[keepers]
    ) * engagement(preset, np.nan_to_num(latent[keepers]))
    answered: BoolArray = (
        (enrolled_days >= 0) & active[keepers] & (daily.answer_draw[:, day] < completion)
    )
    means = (
        np.asarray(DAILY_INTERCEPTS)
        + np.asarray(DAILY_SEVERITY_SLOPES) * (drive[keepers] / 27.0)[:, None]
        + daily.personal[:, 0, :]
    )
    means[:, 2] += DAILY_STRESS_SHOCK * stress[keepers]
    values = np.rint(np.clip(means + daily.noise[:, day, :], 0.0, DAILY_MAX)).astype(np.int8)
    return answered, values


def draw_daily(
    run: CourseRun,
    draws: PatientDraws,
    stress: FloatArray,
    preset: Preset,
    rng: np.random.Generator,
) -> npt.NDArray[np.int8]:
    """Return the daily check (mood, sleep, stress; 0-10) on the grid, -1 where missed.

    Items track the drive of the latent, so they lead the PHQ-9 by about
    ``latent_lag_days`` when symptoms return; each has AR(1) noise with ``daily_phi``.
    Only patients who keep the daily check are computed.
    """
    n_patients, days = run.phq9.shape
    daily = np.full((n_patients, days, 3), -1, dtype=np.int8)
    drawn = draw_daily_noise(draws, days, preset, rng)
    keepers = drawn.keepers
    grid = np.arange(days)[None, :]
    enrolled_days = (grid - draws.enrolment_day[keepers, None]).astype(np.float64)
    completion = (
        weekly_adherence(preset, np.maximum(enrolled_days, 0.0), daily=True)
        + draws.adherence_offset[keepers, None]
    ) * engagement(preset, np.nan_to_num(run.latent[keepers]))
    answered: BoolArray = (
        (enrolled_days >= 0)
        & (grid < run.discontinued_day[keepers, None])
        & (drawn.answer_draw < completion)
    )
    severity = run.drive[keepers] / 27.0
    intercept = np.asarray(DAILY_INTERCEPTS)
    slope = np.asarray(DAILY_SEVERITY_SLOPES)
    means = intercept + slope * severity[:, :, None] + drawn.personal
    means[:, :, 2] += DAILY_STRESS_SHOCK * stress[keepers]
    values = np.rint(np.clip(means + drawn.noise, 0.0, DAILY_MAX)).astype(np.int8)
    daily[keepers] = np.where(answered[:, :, None], values, np.int8(-1))
    return daily


def draw_answers(
    run: CourseRun,
    draws: PatientDraws,
    stress: FloatArray,
    preset: Preset,
    rngs: dict[str, np.random.Generator],
) -> Answers:
    """Draw every questionnaire answer that the course run implies."""
    gad7, gad7_items = draw_gad7(run, draws, preset, rngs["gad7"])
    return Answers(
        phq9_items=draw_phq9_items(run, preset, rngs["items"]),
        gad7=gad7,
        gad7_items=gad7_items,
        daily=draw_daily(run, draws, stress, preset, rngs["daily"]),
    )
