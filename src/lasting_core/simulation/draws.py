"""Random draws of a simulated cohort: patients and their day-by-day exogenous processes.

Every random number is drawn up front in arrays whose shape depends only on the number of
patients and days, never on the maintenance policy, so the same seed gives the same
patients under every policy (common random numbers for the policy arena).
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

NOT_YET = -1

# A symptom-triggered booster is booked this many days after the check-in
# (docs/clinical.md#maintenance-plans).
BOOSTER_DELAY_DAYS = (2, 7)


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
    rescuable: BoolArray  # (patients, max intervals): a booster can stop that return
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


def weekly_adherence(preset: Preset, days_enrolled: FloatArray, daily: bool) -> FloatArray:
    """Return the population share completing a remote check-in, by days since enrolment."""
    start, floor = preset.daily_adherence if daily else preset.weekly_adherence
    result: FloatArray = floor + (start - floor) * np.exp(
        -days_enrolled / preset.adherence_decay_days
    )
    return result


def engagement(preset: Preset, latent: FloatArray) -> FloatArray:
    """Return the factor by which severity lowers remote check-in completion."""
    severe = np.clip((latent - RELAPSE_PHQ9) / (PHQ9_MAX - RELAPSE_PHQ9), 0.0, 1.0)
    result: FloatArray = 1.0 - preset.severity_disengagement * severe
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
    # The preset's SD is that of the observed baseline; the latent set point carries
    # what is left after the measurement noise.
    latent_sd = math.sqrt(max(preset.baseline_sd**2 - preset.observation_sd**2, 0.0))
    set_point = np.clip(
        outcome_rng.normal(preset.baseline_mean, latent_sd, size=n),
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
        # Worsening takes 10-40 % of the room left below the top of the scale.
        set_point + (PHQ9_MAX - set_point) * (0.1 + 0.3 * v),
    )
    # docs/clinical.md#definitions: relapse needs PHQ-9 >= 10 and half of the improvement lost.
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
    # Drawn last in its stream so every earlier draw is unchanged by it.
    rescuable = durability_rng.random((n, max_intervals)) < preset.booster_rescue_share

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
        rescuable=rescuable,
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
        booster_delay=rngs["boosters"].integers(
            BOOSTER_DELAY_DAYS[0], BOOSTER_DELAY_DAYS[1] + 1, size=(n, days)
        ),
    )
