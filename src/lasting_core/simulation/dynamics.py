"""Latent severity dynamics of a simulated cohort, vectorised across patients.

Every random number is drawn up front in arrays whose shape depends only on the number of
patients and days, never on the maintenance policy, so the same seed gives the same
patients under every policy (common random numbers for the policy arena).

Model, per patient:

1. Set point: the baseline PHQ-9 ~ N(17, 4) clipped to 10-27.
2. Relief r in [0, 1]: the drive is ``set point - r * (set point - nadir)`` plus a stress
   bump. Induction sessions raise r; after induction, r holds until the *onset* of the
   return, then falls linearly to 0 (back to the set point).
3. The latent follows the drive at once when improving and with a lag of
   ``latent_lag_days`` when worsening, plus a small AR(1) wobble.
4. Onset of the return: a cumulative-hazard clock restarted by the end of induction and by
   each booster. The clock runs ``rise`` days ahead, so that the day the latent crosses
   the relapse threshold (``rise`` days after onset) is Weibull(shape, scale) distributed
   from the restart. Hazard multipliers: therapy, antidepressant (normalised to mean 1),
   stress shocks (normalised), booster protection (the treatment effect, not normalised).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.simulation.presets import DIAGNOSES, Preset

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

PHQ9_MAX = 27.0
RELAPSE_PHQ9 = 10.0

# Outcome classes at the end of induction.
REMISSION, RESPONSE, PARTIAL, WORSE = 0, 1, 2, 3

# Session codes in the (patients, days) session grid.
NO_SESSION, INDUCTION_SESSION, BOOSTER_SESSION, MAINTENANCE_SESSION = 0, 1, 2, 3

# Policy codes.
POLICY_NONE, POLICY_FIXED, POLICY_SYMPTOM = 0, 1, 2

NOT_YET = -1


@dataclass(frozen=True)
class PatientDraws:
    """Per-patient random draws and their policy-independent consequences."""

    enrolment_day: IntArray
    second_evaluation_day: IntArray
    induction_days: IntArray  # (patients, sessions), absolute days
    induction_count: IntArray  # sessions actually given: 1 or the full series
    stopped_after_first: BoolArray
    set_point: FloatArray
    nadir: FloatArray
    outcome: IntArray
    relapse_threshold: FloatArray
    rise_days: FloatArray
    ramp_days: FloatArray
    scale_days: FloatArray
    hazard_multiplier: FloatArray
    durability_z: FloatArray
    interval_noise: FloatArray  # (patients, max intervals)
    therapy: BoolArray
    antidepressant: BoolArray
    daily_checkins: BoolArray
    diagnosis: IntArray
    adherence_offset: FloatArray
    planned_dropout_day: IntArray  # NOT_YET when none is planned

    @property
    def induction_end_day(self) -> IntArray:
        rows = np.arange(self.induction_days.shape[0])
        result: IntArray = self.induction_days[rows, self.induction_count - 1]
        return result

    @property
    def responded(self) -> BoolArray:
        result: BoolArray = self.outcome <= RESPONSE
        return result


@dataclass(frozen=True)
class DailyDrivers:
    """Exogenous day-by-day processes, shaped (patients, days)."""

    stress: FloatArray
    wobble: FloatArray
    phq9_noise: FloatArray
    adherence_draw: FloatArray
    dropout_draw: FloatArray
    booster_delay: IntArray


@dataclass(frozen=True)
class CourseRun:
    """What happened, day by day, under one assignment of policies."""

    latent: FloatArray  # (patients, days); NaN before enrolment
    drive: FloatArray  # (patients, days); what daily items track
    phq9: npt.NDArray[np.int16]  # (patients, days); -1 where no PHQ-9 was answered
    sessions: npt.NDArray[np.int8]  # (patients, days); session codes
    discontinued_day: IntArray  # ``days`` when never discontinued
    relapse_onset_day: IntArray
    relapse_day: IntArray


def weekly_adherence(preset: Preset, days_enrolled: FloatArray, daily: bool) -> FloatArray:
    """Return the population share completing a remote check-in, by days since enrolment."""
    start, floor = preset.daily_adherence if daily else preset.weekly_adherence
    result: FloatArray = floor + (start - floor) * np.exp(
        -days_enrolled / preset.adherence_decay_days
    )
    return result


def draw_patients(
    n: int,
    days: int,
    enrolment_days: int,
    preset: Preset,
    rngs: dict[str, np.random.Generator],
) -> PatientDraws:
    """Draw every patient-level quantity of the cohort."""
    rng = rngs["course"]
    enrolment_day = rngs["enrolment"].integers(0, enrolment_days, size=n)
    low, high = preset.evaluation_days
    evaluation_length = rng.integers(low, high + 1, size=n)
    second = rng.random(n) < preset.second_evaluation_share
    second_offset = np.maximum(1, np.floor(rng.random(n) * evaluation_length)).astype(np.int64)
    second_evaluation_day = np.where(second, enrolment_day + second_offset, NOT_YET)
    first_session = enrolment_day + evaluation_length
    span = rng.integers(preset.induction_days[0] - 1, preset.induction_days[1], size=n)
    steps = np.linspace(0.0, 1.0, preset.induction_sessions)
    induction_days = first_session[:, None] + np.rint(span[:, None] * steps[None, :]).astype(
        np.int64
    )
    stopped = rng.random(n) < preset.stop_after_first_share
    induction_count = np.where(stopped, 1, preset.induction_sessions).astype(np.int64)

    outcome_rng = rngs["outcome"]
    set_point = np.clip(
        outcome_rng.normal(preset.baseline_mean, preset.baseline_sd, size=n),
        preset.baseline_min,
        preset.baseline_max,
    )
    response, remission = preset.completer_outcome_shares()
    p_remit = np.where(stopped, preset.single_session_remission_share, remission)
    p_respond = np.where(stopped, preset.single_session_response_share, response)
    u = outcome_rng.random(n)
    outcome = np.select(
        [u < p_remit, u < p_respond, u < 1.0 - preset.worsen_share],
        [REMISSION, RESPONSE, PARTIAL],
        WORSE,
    ).astype(np.int64)
    v = outcome_rng.random(n)
    half = 0.5 * set_point
    nadir = np.select(
        [outcome == REMISSION, outcome == RESPONSE, outcome == PARTIAL],
        [
            0.5 + v * 4.4,
            5.0 + v * (half - 5.0),
            half + 0.1 + v * (set_point - half - 0.1),
        ],
        np.minimum(PHQ9_MAX, set_point + 1.0 + 4.0 * v),
    )
    # DESIGN 2: relapse needs PHQ-9 >= 10 and half of the improvement lost.
    relapse_threshold = np.maximum(RELAPSE_PHQ9, 0.5 * (set_point + nadir))

    durability_rng = rngs["durability"]
    rise_low, rise_high = preset.rise_days_range
    rise_days = np.clip(
        preset.rise_days_median * np.exp(durability_rng.normal(0.0, preset.rise_days_log_sd, n)),
        rise_low,
        rise_high,
    )
    gap = set_point - nadir
    relief_at_threshold = np.where(
        (outcome <= RESPONSE) & (gap > 0.5),
        (set_point - relapse_threshold) / np.maximum(gap, 0.5),
        0.5,
    )
    ramp_days = (rise_days - preset.latent_lag_days) / np.maximum(1.0 - relief_at_threshold, 0.5)
    scale_days = preset.weibull_scale_days * np.where(
        stopped, preset.single_session_scale_factor, 1.0
    )
    durability_z = durability_rng.standard_normal(n)
    max_intervals = days // 7 + 2
    interval_noise = durability_rng.standard_normal((n, max_intervals))

    modifier_rng = rngs["modifiers"]
    therapy = modifier_rng.random(n) < preset.therapy_share
    antidepressant = modifier_rng.random(n) < preset.antidepressant_share
    daily_checkins = modifier_rng.random(n) < preset.daily_share
    shares = np.array([share for _, share in preset.diagnosis_shares])
    order = [DIAGNOSES.index(name) for name, _ in preset.diagnosis_shares]
    diagnosis = np.array(order, dtype=np.int64)[
        np.minimum(
            np.searchsorted(np.cumsum(shares), modifier_rng.random(n), side="right"),
            len(order) - 1,
        )
    ]
    adherence_offset = modifier_rng.normal(0.0, preset.adherence_person_sd, n)
    hazard_multiplier = np.where(therapy, preset.therapy_hazard_ratio, 1.0) * np.where(
        antidepressant, preset.antidepressant_hazard_ratio, 1.0
    )
    mean_multiplier = (
        preset.therapy_share * preset.therapy_hazard_ratio + 1.0 - preset.therapy_share
    ) * (
        preset.antidepressant_share * preset.antidepressant_hazard_ratio
        + 1.0
        - preset.antidepressant_share
    )
    hazard_multiplier = hazard_multiplier / (mean_multiplier * _mean_stress_multiplier(preset))

    dropout_rng = rngs["dropout"]
    induction_end = induction_days[np.arange(n), induction_count - 1]
    leaves_after_first = induction_end + dropout_rng.integers(3, 15, size=n)
    nonresponder_leaves = (outcome >= PARTIAL) & (
        dropout_rng.random(n) < preset.nonresponder_dropout_share
    )
    leaves_after_induction = induction_end + dropout_rng.integers(7, 36, size=n)
    planned_dropout_day = np.select(
        [stopped, nonresponder_leaves], [leaves_after_first, leaves_after_induction], NOT_YET
    ).astype(np.int64)

    return PatientDraws(
        enrolment_day=enrolment_day.astype(np.int64),
        second_evaluation_day=second_evaluation_day.astype(np.int64),
        induction_days=induction_days,
        induction_count=induction_count,
        stopped_after_first=stopped,
        set_point=set_point,
        nadir=nadir,
        outcome=outcome,
        relapse_threshold=relapse_threshold,
        rise_days=rise_days,
        ramp_days=ramp_days,
        scale_days=scale_days,
        hazard_multiplier=hazard_multiplier,
        durability_z=durability_z,
        interval_noise=interval_noise,
        therapy=therapy,
        antidepressant=antidepressant,
        daily_checkins=daily_checkins,
        diagnosis=diagnosis,
        adherence_offset=adherence_offset,
        planned_dropout_day=planned_dropout_day,
    )


def _stress_decay(preset: Preset) -> float:
    return math.exp(-1.0 / preset.stress_decay_days)


def _mean_stress_multiplier(preset: Preset) -> float:
    """Return the stationary mean of the stress hazard multiplier."""
    shock_rate = preset.stress_shocks_per_year / 365.0
    mean_intensity = shock_rate / (1.0 - _stress_decay(preset))
    return 1.0 + (preset.stress_hazard_ratio - 1.0) * mean_intensity


def draw_daily_drivers(
    n: int, days: int, preset: Preset, rngs: dict[str, np.random.Generator]
) -> DailyDrivers:
    """Draw the exogenous processes: stress shocks, latent wobble, noise, adherence."""
    burn_in = 60
    shocks = rngs["stress"].random((n, days + burn_in)) < preset.stress_shocks_per_year / 365.0
    stress = np.empty((n, days))
    decay = _stress_decay(preset)
    intensity = np.zeros(n)
    for t in range(days + burn_in):
        intensity = intensity * decay + shocks[:, t]
        if t >= burn_in:
            stress[:, t - burn_in] = intensity

    wobble_rng = rngs["wobble"]
    phi = preset.latent_wobble_phi
    innovations = wobble_rng.normal(0.0, preset.latent_wobble_sd * math.sqrt(1 - phi**2), (n, days))
    wobble = np.empty((n, days))
    state = wobble_rng.normal(0.0, preset.latent_wobble_sd, n)
    for t in range(days):
        state = phi * state + innovations[:, t]
        wobble[:, t] = state

    return DailyDrivers(
        stress=stress,
        wobble=wobble,
        phq9_noise=rngs["phq9_noise"].normal(0.0, preset.observation_sd, (n, days)),
        adherence_draw=rngs["adherence"].random((n, days)),
        dropout_draw=rngs["dropout"].random((n, days)),
        booster_delay=rngs["boosters"].integers(2, 8, size=(n, days)),
    )


def _interval_exposure(draws: PatientDraws, rows: IntArray, interval: IntArray, rho: float) -> FloatArray:
    """Return the Exp(1) hazard budget of each row's next relief interval.

    A Gaussian copula ties a patient's intervals together (personal durability) while
    each interval keeps the exact Weibull marginal.
    """
    column = np.minimum(interval, draws.interval_noise.shape[1] - 1)
    gauss = rho * draws.durability_z[rows] + math.sqrt(1.0 - rho**2) * (
        draws.interval_noise[rows, column]
    )
    # E = -log(1 - Phi(g)) = -log(Phi(-g)); erfc keeps precision in the tail.
    tail = np.array([0.5 * math.erfc(g / math.sqrt(2.0)) for g in gauss.tolist()])
    result: FloatArray = -np.log(np.maximum(tail, 1e-300))
    return result


def run_course(
    draws: PatientDraws,
    drivers: DailyDrivers,
    preset: Preset,
    policy: IntArray,
    days: int,
    fixed_interval_days: int,
    symptom_threshold: int,
    booster_min_spacing_days: int,
) -> CourseRun:
    """Run every patient forward day by day under their maintenance policy.

    Steps each day: 1. latent from the current relief; 2. which sessions are due;
    3. PHQ-9 check-ins (before any session that day); 4. symptom-triggered bookings;
    5. sessions change the relief and restart the hazard clock; 6. the clock runs and may
    start the return; 7. a return in progress lowers the relief; 8. relapse bookkeeping.
    """
    n = draws.set_point.shape[0]
    rows = np.arange(n)
    sessions_in_series = draws.induction_days.shape[1]
    geometric = preset.session_relief_geometric
    relief_curve = (1.0 - geometric ** np.arange(1, sessions_in_series + 1)) / (
        1.0 - geometric**sessions_in_series
    )
    shape = preset.weibull_shape
    lag = preset.latent_lag_days
    induction_end = draws.induction_end_day
    responded = draws.responded
    is_fixed = policy == POLICY_FIXED
    is_symptom = policy == POLICY_SYMPTOM
    daily_dropout = 1.0 - (1.0 - preset.dropout_per_month) ** (1.0 / 30.0)

    latent = np.empty((n, days))
    drive_history = np.empty((n, days))
    phq9 = np.full((n, days), -1, dtype=np.int16)
    sessions = np.zeros((n, days), dtype=np.int8)

    relief = np.zeros(n)
    level = draws.set_point.copy()
    next_session = np.zeros(n, dtype=np.int64)
    after_induction = np.zeros(n, dtype=bool)
    rising = np.zeros(n, dtype=bool)
    clock = np.zeros(n)
    hazard = np.zeros(n)
    budget = np.full(n, np.inf)
    interval = np.zeros(n, dtype=np.int64)
    protected_until = np.full(n, NOT_YET, dtype=np.int64)
    last_session = np.full(n, -(10**6), dtype=np.int64)
    pending_booster = np.full(n, NOT_YET, dtype=np.int64)
    discontinued_day = np.where(
        draws.planned_dropout_day >= 0, draws.planned_dropout_day, days
    ).astype(np.int64)
    onset = np.full(n, NOT_YET, dtype=np.int64)
    relapse_onset_day = np.full(n, NOT_YET, dtype=np.int64)
    relapse_day = np.full(n, NOT_YET, dtype=np.int64)

    for t in range(days):
        enrolled = draws.enrolment_day <= t
        active = enrolled & (discontinued_day > t)

        # 1. Latent severity today.
        drive = np.clip(
            draws.set_point
            - relief * (draws.set_point - draws.nadir)
            + preset.stress_shock_phq9 * drivers.stress[:, t],
            0.0,
            PHQ9_MAX,
        )
        level += (drive - level) * np.where(drive > level, 1.0 / lag, 1.0)
        today = np.clip(level + drivers.wobble[:, t], 0.0, PHQ9_MAX)
        latent[:, t] = np.where(enrolled, today, np.nan)
        drive_history[:, t] = drive

        # 2. Sessions due today.
        series_index = np.minimum(next_session, sessions_in_series - 1)
        induction_today = (
            active
            & (next_session < draws.induction_count)
            & (draws.induction_days[rows, series_index] == t)
        )
        maintained = active & after_induction
        since_induction = t - induction_end
        fixed_today = (
            maintained
            & is_fixed
            & (since_induction > 0)
            & (since_induction % fixed_interval_days == 0)
        )
        symptom_today = maintained & (pending_booster == t)
        booster_today = fixed_today | symptom_today

        # 3. PHQ-9 check-ins: in the clinic before each session, weekly at home after.
        in_clinic = active & (
            (draws.enrolment_day == t)
            | (draws.second_evaluation_day == t)
            | induction_today
            | booster_today
        )
        at_home = maintained & (since_induction > 0) & (since_induction % 7 == 0) & ~in_clinic
        completion = np.where(
            in_clinic,
            preset.clinic_visit_adherence,
            weekly_adherence(preset, (t - draws.enrolment_day).astype(np.float64), daily=False)
            + draws.adherence_offset,
        )
        answered = (in_clinic | at_home) & (drivers.adherence_draw[:, t] < completion)
        score = np.rint(np.clip(today + drivers.phq9_noise[:, t], 0.0, PHQ9_MAX)).astype(np.int16)
        phq9[answered, t] = score[answered]

        # 4. Symptom policy: book a booster a few days out, keeping the minimum spacing.
        triggered = (
            maintained
            & is_symptom
            & answered
            & (score >= symptom_threshold)
            & (pending_booster == NOT_YET)
            & ~booster_today
        )
        booking = np.maximum(
            t + drivers.booster_delay[:, t], last_session + booster_min_spacing_days
        )
        pending_booster = np.where(triggered, booking, pending_booster)

        # 5. Sessions: induction builds relief; a booster restores it.
        given = next_session[induction_today]
        relief[induction_today] = np.where(
            draws.stopped_after_first[induction_today], 1.0, relief_curve[given]
        )
        next_session[induction_today] += 1
        sessions[induction_today, t] = INDUCTION_SESSION
        induction_ends = induction_today & (next_session == draws.induction_count)
        after_induction |= induction_ends

        sessions[fixed_today, t] = MAINTENANCE_SESSION
        sessions[symptom_today, t] = BOOSTER_SESSION
        relief[booster_today] = 1.0
        pending_booster[symptom_today] = NOT_YET
        protected_until[booster_today] = t + preset.booster_protection_days

        multiplier = (
            draws.hazard_multiplier
            * (1.0 + (preset.stress_hazard_ratio - 1.0) * drivers.stress[:, t])
            * np.where(protected_until > t, preset.booster_hazard_ratio, 1.0)
        )
        restarts = induction_ends | booster_today
        if restarts.any():
            restart_rows = np.flatnonzero(restarts)
            last_session[restart_rows] = t
            rising[restart_rows] = False
            onset[restart_rows] = NOT_YET
            clock[restart_rows] = 0.0
            budget[restart_rows] = _interval_exposure(
                draws, restart_rows, interval[restart_rows], preset.durability_correlation
            )
            interval[restart_rows] += 1
            hazard[restart_rows] = multiplier[restart_rows] * (
                draws.rise_days[restart_rows] / draws.scale_days[restart_rows]
            ) ** shape

        # 6. The hazard clock runs ahead by the rise time (see the module docstring).
        running = after_induction & ~rising & ~restarts
        ahead = clock + draws.rise_days
        hazard += np.where(
            running,
            multiplier
            * (
                ((ahead + 1.0) / draws.scale_days) ** shape
                - (ahead / draws.scale_days) ** shape
            ),
            0.0,
        )
        clock += running
        starts = after_induction & ~rising & (hazard >= budget)
        rising |= starts
        onset[starts] = t

        # 7. A return in progress.
        relief = np.where(rising, np.maximum(relief - 1.0 / draws.ramp_days, 0.0), relief)

        # 8. Relapse of a responder: latent at or above the threshold after induction.
        relapsing = (
            responded
            & (since_induction > 0)
            & after_induction
            & (relapse_day == NOT_YET)
            & (today >= draws.relapse_threshold)
        )
        relapse_day[relapsing] = t
        relapse_onset_day[relapsing] = np.where(onset[relapsing] >= 0, onset[relapsing], t)

        # Dropout in maintenance.
        leaves = maintained & (drivers.dropout_draw[:, t] < daily_dropout)
        discontinued_day = np.where(leaves, np.minimum(discontinued_day, t + 1), discontinued_day)

    return CourseRun(
        latent=latent,
        drive=drive_history,
        phq9=phq9,
        sessions=sessions,
        discontinued_day=discontinued_day,
        relapse_onset_day=relapse_onset_day,
        relapse_day=relapse_day,
    )
