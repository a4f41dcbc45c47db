"""Latent severity dynamics of a simulated cohort, vectorised across patients.

All randomness comes from ``draws``, so the maintenance policy changes what happens to
a patient, never who the patient is.

Model, per patient:

1. Set point: the latent baseline, drawn so the observed baseline PHQ-9 is about
   N(17, 4) clipped to 10-27 (see ``draws``).
2. Relief r in [0, 1]: the drive is ``set point - r * (set point - nadir)`` plus a stress
   bump. Induction sessions raise r; after induction, r holds until the *onset* of the
   return, then falls linearly to 0 (back to the set point).
3. The latent follows the drive at once when improving and with a lag of
   ``latent_lag_days`` when worsening, plus a small AR(1) wobble.
4. Onset of the return: a cumulative-hazard clock restarted by the end of induction and by
   a booster that stops or follows a return (a re-treatment). The clock runs ``rise``
   days ahead, so that the day the latent crosses the relapse threshold (``rise`` days
   after onset) is Weibull(shape, scale) distributed from the restart. Hazard
   multipliers: therapy, antidepressant (normalised to mean 1), stress shocks
   (normalised), booster protection (the treatment effect, not normalised).
5. A booster (SUSTAIN-1 calibration, see ``presets``) acts in two partial ways, so that
   maintenance lowers the relapse hazard (HR about 0.4) instead of abolishing relapse:
   given while well, it leaves the clock running and multiplies the onset hazard by
   ``booster_hazard_ratio`` for ``booster_protection_days``; given during a return, it
   stops the return and restores the relief only if that return is rescuable (a
   ``booster_rescue_share`` of returns, drawn per return). A return it cannot stop runs
   on; once the latent has reached the relapse bar, the next booster re-treats it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.simulation.draws import (
    NOT_YET,
    PHQ9_MAX,
    RELAPSE_PHQ9,
    BoolArray,
    DailyDrivers,
    FloatArray,
    IntArray,
    PatientDraws,
    engagement,
    weekly_adherence,
)
from lasting_core.simulation.presets import Preset

# Session codes in the (patients, days) session grid.
NO_SESSION, INDUCTION_SESSION, BOOSTER_SESSION, MAINTENANCE_SESSION = 0, 1, 2, 3

# Policy codes.
POLICY_NONE, POLICY_FIXED, POLICY_SYMPTOM = 0, 1, 2


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


@dataclass(frozen=True)
class DayView:
    """What an outside booking rule may read on one day, before that day's sessions.

    Arrays are shaped (patients,) and must not be written to. ``phq9`` holds today's
    answers (-1 where none); ``session_today`` the session code already due today
    (induction or a fixed or booked booster; 0 when none). ``drive``, ``latent`` and
    ``rising`` are hidden: only the simulator's own observation model (the daily check
    follows the drive) and an oracle should read them.
    """

    day: int
    phq9: npt.NDArray[np.int16]
    session_today: npt.NDArray[np.int8]
    boostable: BoolArray
    pending: BoolArray
    active: BoolArray  # enrolled and not discontinued
    drive: FloatArray  # what the daily check tracks
    latent: FloatArray
    rising: BoolArray
    last_session_day: IntArray


# An outside booking rule: returns, per patient, whether to book a booster today.
BookingRule = Callable[[DayView], BoolArray]
# Who the clinic's schedule watches more closely (a mid-week PHQ-9 at home besides the
# weekly one, as the app's raised-risk cadence does), as decided on earlier days.
WatchRule = Callable[[], BoolArray]
# The weekday, counted from the end of induction, of the mid-week check-in (every 3 or 4
# days; lasting_core.schedules, raised_risk_midweek_offset_days).
MIDWEEK_OFFSET_DAYS = 3


def _interval_exposure(
    draws: PatientDraws, rows: IntArray, interval: IntArray, rho: float
) -> FloatArray:
    """Return the Exp(1) hazard budget of each row's next relief interval.

    A Gaussian copula ties a patient's intervals together (personal durability) while
    each interval keeps the exact Weibull marginal.
    """
    column = np.minimum(interval, draws.interval_noise.shape[1] - 1)
    gauss = (
        rho * draws.durability_z[rows]
        + math.sqrt(1.0 - rho**2) * (draws.interval_noise[rows, column])
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
    booking: BookingRule | None = None,
    watch: WatchRule | None = None,
) -> CourseRun:
    """Run every patient forward day by day under their maintenance policy.

    Steps each day: 1. latent from the current relief; 2. which sessions are due;
    3. PHQ-9 check-ins (before any session that day); 4. symptom-triggered bookings, and
    those of the outside ``booking`` rule (closed loop: it sees only today and the past,
    and its boosters are booked like symptom-triggered ones, a drawn delay later);
    5. sessions change the relief and may restart the hazard clock; 6. the clock runs and may
    start the return; 7. a return in progress lowers the relief; 8. relapse bookkeeping.
    ``watch`` (closed loop too) names the patients asked for a mid-week PHQ-9 at home; its
    answers draw on the same per-day noise and adherence draws as every other check-in.
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
        # A stress shock adds severity in proportion to the room left on the scale.
        drive = draws.set_point - relief * (draws.set_point - draws.nadir)
        drive = np.clip(
            drive + preset.stress_shock_phq9 * drivers.stress[:, t] * (1.0 - drive / PHQ9_MAX),
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
        # Patients who stopped after the first session get no boosters.
        boostable = maintained & ~draws.stopped_after_first
        since_induction = t - induction_end
        fixed_today = (
            boostable
            & is_fixed
            & (since_induction > 0)
            & (since_induction % fixed_interval_days == 0)
        )
        symptom_today = boostable & (pending_booster == t)
        booster_today = fixed_today | symptom_today

        # 3. PHQ-9 check-ins: in the clinic before each session, weekly at home after.
        in_clinic = active & (
            (draws.enrolment_day == t)
            | (draws.second_evaluation_day == t)
            | induction_today
            | booster_today
        )
        home_day = since_induction % 7 == 0
        if watch is not None:
            home_day |= watch() & (since_induction % 7 == MIDWEEK_OFFSET_DAYS)
        at_home = maintained & (since_induction > 0) & home_day & ~in_clinic
        # The intake visit always has its PHQ-9; other clinic visits almost always.
        completion = np.where(
            in_clinic,
            np.where(draws.enrolment_day == t, 1.0, preset.clinic_visit_adherence),
            (
                weekly_adherence(preset, (t - draws.enrolment_day).astype(np.float64), False)
                + draws.adherence_offset
            )
            * engagement(preset, today),
        )
        answered = (in_clinic | at_home) & (drivers.adherence_draw[:, t] < completion)
        score = np.rint(np.clip(today + drivers.phq9_noise[:, t], 0.0, PHQ9_MAX)).astype(np.int16)
        phq9[answered, t] = score[answered]

        # 4. Symptom policy: book a booster a few days out, keeping the minimum spacing.
        triggered = (
            boostable
            & is_symptom
            & answered
            & (score >= symptom_threshold)
            & (pending_booster == NOT_YET)
            & ~booster_today
        )
        booked_day = np.maximum(
            t + drivers.booster_delay[:, t], last_session + booster_min_spacing_days
        )
        if booking is not None:
            session_today = np.where(
                induction_today, INDUCTION_SESSION, np.where(booster_today, BOOSTER_SESSION, 0)
            ).astype(np.int8)
            view = DayView(
                day=t,
                phq9=np.where(answered, score, np.int16(-1)).astype(np.int16),
                session_today=session_today,
                boostable=boostable,
                pending=pending_booster != NOT_YET,
                active=active,
                drive=drive,
                latent=today,
                rising=rising.copy(),
                last_session_day=last_session.copy(),
            )
            triggered |= boostable & booking(view) & (pending_booster == NOT_YET) & ~booster_today
        pending_booster = np.where(triggered, booked_day, pending_booster)

        # 5. Sessions: induction builds relief; a booster may restore it (module docstring, 5).
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
        pending_booster[symptom_today] = NOT_YET
        last_session[booster_today] = t
        # A return the booster cannot stop runs on to relapse; once the latent has
        # reached the relapse bar, the next booster re-treats the patient.
        in_return = rising & (today < draws.relapse_threshold)
        current = np.minimum(np.maximum(interval - 1, 0), draws.rescuable.shape[1] - 1)
        resisted = booster_today & in_return & ~draws.rescuable[rows, current]
        effective = booster_today & ~resisted
        relief[effective] = 1.0
        protected_until[effective] = t + preset.booster_protection_days
        # A booster given while well leaves the hazard clock running (its effect is the
        # protection above); one that stops or follows a return starts a new interval.
        rescued = effective & rising

        multiplier = (
            draws.hazard_multiplier
            * (1.0 + (preset.stress_hazard_ratio - 1.0) * drivers.stress[:, t])
            * np.where(protected_until > t, preset.booster_hazard_ratio, 1.0)
        )
        restarts = induction_ends | rescued
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
            hazard[restart_rows] = (
                multiplier[restart_rows]
                * (draws.rise_days[restart_rows] / draws.scale_days[restart_rows]) ** shape
            )

        # 6. The hazard clock runs ahead by the rise time (see the module docstring).
        running = after_induction & ~rising & ~restarts
        ahead = clock + draws.rise_days
        hazard += np.where(
            running,
            multiplier
            * (((ahead + 1.0) / draws.scale_days) ** shape - (ahead / draws.scale_days) ** shape),
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

        # Dropout in maintenance, likelier while severe.
        severe = np.clip((today - RELAPSE_PHQ9) / 10.0, 0.0, 1.0)
        dropout = daily_dropout * (1.0 + (preset.dropout_severity_ratio - 1.0) * severe)
        leaves = maintained & (drivers.dropout_draw[:, t] < dropout)
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
