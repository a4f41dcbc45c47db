"""A second, structurally different patient generator: hidden regimes (the reporting family).

The engine is tuned on the first generator (``cohort``/``dynamics``: a relief that fades
linearly after a Weibull onset clock, Gaussian PHQ-9 noise, daily items that track the
drive). Judging it only there would grade it on the assumptions it was built with, so this
generator differs in every part the engine models, while staying calibrated to the same
published anchors (response 50-70 %, S(28) about 0.8 and S(56) about 0.6 among responders
without maintenance):

1. Latent course: a hidden-Markov regime switch per patient, WELL -> RETURNING ->
   RELAPSED. The onset hazard of a return rises with the days u since the last session,
   a Gompertz hazard h(u) = lambda_i exp(gamma u) (not Weibull), with a personal frailty
   lambda_i (log-normal: each patient has their own durability), raised by life events and
   lowered by therapy. A return climbs along an S-shaped (logistic) curve from the well
   level to the relapse level, with a personal midpoint; some returns fade by themselves
   (RETURNING -> WELL), and a relapse may remit after months (RELAPSED -> WELL).
2. The latent PHQ-9 follows the regime's level with a personal time constant (1-5 days)
   and an Ornstein-Uhlenbeck wobble.
3. PHQ-9 answers are beta-binomial on 27 points around the latent (noise that grows
   towards the middle of the scale) with a personal response style (a bias), not a fixed
   Gaussian SD.
4. Check-ins: weekly remote PHQ-9s on a jittered schedule (-2 to +3 days), skipped weeks
   (a patient "away" for weeks at a time, a Markov chain per week), a completion rate
   that decays per patient from its own start to its own floor, lower while symptoms
   return; a PHQ-9 in clinic before most sessions.
5. Daily items (a share of patients only): each item follows the regime's level with a
   personal lag of 0-10 days and a personal scale (points per PHQ-9 point), its own AR(1)
   noise; their completion decays faster than the weekly one.
6. Boosters are given in reaction to symptoms: a reactive clinic books a booster when an
   answered PHQ-9 reaches the patient's personal threshold (10-15), after a delay of 3-14
   days and a minimum spacing. A session restarts the onset clock; during a return or a
   relapse it restores the well regime for a share of patients (the others go on).

Ground truth: the day each return starts (``onset_days``), the latent relapse days, and
the relapses by the core definitions on the observed records (the evaluation's truth, see
``evaluation.observed_relapses``). The calibration is measured in
``tests/core/test_regimes.py`` against ``tests/reference/durability_anchors.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.simulation.draws import PHQ9_MAX, RELAPSE_PHQ9, BoolArray, FloatArray, IntArray
from lasting_core.simulation.regime_settings import RegimeSettings

# Regimes of the hidden chain; BEFORE covers the evaluation and the induction series.
BEFORE, WELL, RETURNING, RELAPSED = 0, 1, 2, 3
# Session codes, as in ``dynamics`` (the records builder maps them to session kinds).
NO_SESSION, INDUCTION_SESSION, BOOSTER_SESSION = 0, 1, 2
NEVER = 10**9

Int8Array = npt.NDArray[np.int8]


@dataclass(frozen=True)
class RegimeDraws:
    """Every per-patient draw of a regime cohort (none depends on the clinic's bookings)."""

    enrolment_day: IntArray
    second_evaluation_day: IntArray  # -1 when none
    induction_days: IntArray  # (n, max sessions), NEVER past the patient's count
    induction_count: IntArray
    stopped_after_first: BoolArray
    set_point: FloatArray
    well_level: FloatArray
    relapse_level: FloatArray
    latent_bar: FloatArray  # max(10, halfway from the well level to the set point)
    responded: BoolArray
    remitted: BoolArray
    worsened: BoolArray
    onset_base: FloatArray  # lambda_i per day
    midpoints: FloatArray  # (n, max returns)
    time_constant: FloatArray
    response_style: FloatArray
    therapy: BoolArray
    daily_keeper: BoolArray
    booking_threshold: IntArray
    reactive: BoolArray
    planned_dropout_day: IntArray  # NEVER when none is planned
    weekly_start: FloatArray
    weekly_floor: FloatArray
    weekly_decay: FloatArray
    away_start: FloatArray


@dataclass(frozen=True)
class RegimeRun:
    """What happened day by day: (n, days) arrays."""

    regime: Int8Array
    latent: FloatArray  # NaN before enrolment
    level: FloatArray  # the regime's level (what daily items follow, with their lag)
    life_event: FloatArray  # intensity of life events (fades over ``life_event_days``)
    phq9: npt.NDArray[np.int16]  # -1 where no PHQ-9 was answered
    sessions: Int8Array
    away: BoolArray
    induction_end_day: IntArray  # NEVER when the series never ended
    discontinued_day: IntArray  # ``days`` when never


def random_streams(seed: int) -> dict[str, np.random.Generator]:
    """Return independent random streams, one per component (append names, never reorder)."""
    names = (
        "intake",
        "outcome",
        "durability",
        "returns",
        "regime",
        "latent",
        "answers",
        "checkins",
        "daily",
        "clinic",
        "dropout",
        "events",
        "items",
    )
    # The second entropy word keeps these streams apart from the first generator's.
    children = np.random.SeedSequence([seed, 16]).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children, strict=True)}


def draw_regime_patients(
    n: int,
    days: int,
    enrolment_days: int,
    reactive_share: float,
    settings: RegimeSettings,
    rngs: dict[str, np.random.Generator],
) -> RegimeDraws:
    """Draw every per-patient quantity."""
    s = settings
    rng = rngs["intake"]
    enrolment_day = rng.integers(0, enrolment_days, size=n)
    evaluation = rng.integers(s.evaluation_days[0], s.evaluation_days[1] + 1, size=n)
    second = rng.random(n) < s.second_evaluation_share
    second_day = np.where(
        second, enrolment_day + np.maximum(1, (rng.random(n) * evaluation).astype(np.int64)), -1
    )
    first_session = enrolment_day + evaluation
    counts = np.asarray(s.induction_session_counts)[
        rng.integers(0, len(s.induction_session_counts), size=n)
    ]
    stopped = rng.random(n) < s.stop_after_first_share
    span = rng.integers(s.induction_days[0], s.induction_days[1] + 1, size=n).astype(np.float64)
    width = max(s.induction_session_counts)
    position = np.arange(width)[None, :]
    spacing = (span / np.maximum(counts - 1, 1))[:, None]
    # Irregular spacing: each session up to 40 % of a step early or late, one a day at most.
    offsets = np.rint(position * spacing + (rng.random((n, width)) - 0.5) * 0.8 * spacing)
    offsets[:, 0] = 0.0
    for j in range(1, width):
        offsets[:, j] = np.maximum(offsets[:, j], offsets[:, j - 1] + 1.0)
    induction_days = first_session[:, None] + offsets.astype(np.int64)
    induction_count = np.where(stopped, 1, counts).astype(np.int64)
    induction_days = np.where(position < induction_count[:, None], induction_days, NEVER)

    outcome = rngs["outcome"]
    set_point = np.clip(outcome.normal(s.baseline_mean, s.baseline_latent_sd, n), 10.0, PHQ9_MAX)
    worse = outcome.random(n) < s.worsen_share
    a, b = s.improvement_beta
    improvement = np.where(worse, -outcome.uniform(0.05, 0.3, n), outcome.beta(a, b, n)) * np.where(
        stopped, s.single_session_improvement_factor, 1.0
    )
    well_level = np.clip(set_point * (1.0 - improvement), 0.0, PHQ9_MAX)
    responded = improvement >= 0.5
    latent_bar = np.maximum(RELAPSE_PHQ9, 0.5 * (set_point + well_level))
    low, high = s.relapse_level_share
    relapse_level = np.clip(
        np.maximum(set_point * outcome.uniform(low, high, n), latent_bar + 2.0), 0.0, PHQ9_MAX
    )

    durability = rngs["durability"]
    frailty = np.exp(s.frailty_log_sd * durability.standard_normal(n) - s.frailty_log_sd**2 / 2)
    therapy = durability.random(n) < s.therapy_share
    onset_base = (
        s.gompertz_base_per_day
        * frailty
        * np.where(therapy, s.therapy_hazard_ratio, 1.0)
        * np.where(stopped, s.single_session_hazard_ratio, 1.0)
    )
    max_returns = days // 7 + 2
    mid_low, mid_high = s.return_midpoint_range
    midpoints = np.clip(
        s.return_midpoint_days
        * np.exp(s.return_midpoint_log_sd * rngs["returns"].standard_normal((n, max_returns))),
        mid_low,
        mid_high,
    )
    latent_rng = rngs["latent"]
    tc_low, tc_high = s.latent_time_constant_days
    time_constant = latent_rng.uniform(tc_low, tc_high, n)
    response_style = latent_rng.normal(0.0, s.response_style_sd, n)

    checkins = rngs["checkins"]
    decay = np.exp(s.decay_log_sd * checkins.standard_normal(n))
    weekly_start = checkins.uniform(*s.weekly_start, n)
    weekly_floor = np.minimum(checkins.uniform(*s.weekly_floor, n), weekly_start)
    away_start = checkins.beta(1.0, (1.0 - s.away_start_mean) / s.away_start_mean, n)

    clinic = rngs["clinic"]
    threshold_low, threshold_high = s.booking_threshold
    booking_threshold = clinic.integers(threshold_low, threshold_high + 1, size=n)
    reactive = clinic.random(n) < reactive_share
    daily_keeper = rngs["daily"].random(n) < s.daily_share

    dropout = rngs["dropout"]
    end = induction_days[np.arange(n), induction_count - 1]
    stopper_leaves = end + dropout.integers(3, 15, size=n)
    nonresponder_leaves = (~responded) & (dropout.random(n) < s.nonresponder_dropout_share)
    planned = np.select(
        [stopped, nonresponder_leaves],
        [stopper_leaves, end + dropout.integers(7, 36, size=n)],
        NEVER,
    ).astype(np.int64)

    return RegimeDraws(
        enrolment_day=enrolment_day.astype(np.int64),
        second_evaluation_day=second_day.astype(np.int64),
        induction_days=induction_days,
        induction_count=induction_count,
        stopped_after_first=stopped,
        set_point=set_point,
        well_level=well_level,
        relapse_level=relapse_level,
        latent_bar=latent_bar,
        responded=responded,
        remitted=responded & (well_level < 5.0),
        worsened=improvement < 0.0,
        onset_base=onset_base,
        midpoints=midpoints,
        time_constant=time_constant,
        response_style=response_style,
        therapy=therapy,
        daily_keeper=daily_keeper,
        booking_threshold=booking_threshold.astype(np.int64),
        reactive=reactive,
        planned_dropout_day=planned,
        weekly_start=weekly_start,
        weekly_floor=weekly_floor,
        weekly_decay=s.weekly_decay_days * decay,
        away_start=away_start,
    )


def life_event_intensity(
    n: int, days: int, settings: RegimeSettings, rng: np.random.Generator
) -> FloatArray:
    """Return each patient's life-event intensity by day (events add 1, then fade)."""
    burn_in = 60
    events = rng.random((n, days + burn_in)) < settings.life_events_per_year / 365.0
    decay = math.exp(-1.0 / settings.life_event_days)
    intensity = np.zeros(n)
    result = np.empty((n, days))
    for t in range(days + burn_in):
        intensity = intensity * decay + events[:, t]
        if t >= burn_in:
            result[:, t - burn_in] = intensity
    return result


def _logistic_climb(tau: FloatArray, midpoint: FloatArray) -> FloatArray:
    """Return the share of a return completed tau days after its onset (0 at onset, 1 at 2m).

    A logistic curve of width m / 4 around the midpoint m, rescaled so it starts at 0: a
    return starts slowly and speeds up, unlike a linear fade.
    """
    width = np.maximum(midpoint / 4.0, 1e-9)
    at_zero = 1.0 / (1.0 + np.exp(midpoint / width))
    value = 1.0 / (1.0 + np.exp(np.clip(-(tau - midpoint) / width, -50.0, 50.0)))
    result: FloatArray = np.clip((value - at_zero) / (1.0 - 2.0 * at_zero), 0.0, 1.0)
    return result


def run_regimes(
    draws: RegimeDraws,
    settings: RegimeSettings,
    days: int,
    rngs: dict[str, np.random.Generator],
) -> RegimeRun:
    """Run every patient day by day; the clinic's bookings close the loop.

    Steps each day: 1. the hidden chain moves (onset with the Gompertz hazard, fade,
    completion, remission); 2. the regime's level, the latent and its wobble; 3. PHQ-9
    answers in clinic and on the weekly schedule; 4. the reactive clinic books boosters
    on what it saw; 5. sessions (induction relief, the booster's rescue, the onset clock
    restarts); 6. dropout.
    """
    s = settings
    n = draws.set_point.shape[0]
    rows = np.arange(n)
    width = draws.induction_days.shape[1]
    max_returns = draws.midpoints.shape[1]
    max_slots = days // 7 + 3

    regime_rng = rngs["regime"]
    onset_draw = regime_rng.random((n, days))
    fade_draw = regime_rng.random((n, days))
    remit_draw = regime_rng.random((n, days))
    rescue_draw = regime_rng.random((n, days))
    latent_rng = rngs["latent"]
    innovation = latent_rng.normal(0.0, s.wobble_sd * math.sqrt(1 - s.wobble_phi**2), (n, days))
    wobble: FloatArray = latent_rng.normal(0.0, s.wobble_sd, size=(n,))
    life = life_event_intensity(n, days, s, rngs["events"])
    checkins = rngs["checkins"]
    jitter = np.asarray(s.checkin_jitter_days)[
        checkins.integers(0, len(s.checkin_jitter_days), size=(n, max_slots))
    ]
    away_draw = checkins.random((n, max_slots))
    completion_draw = checkins.random((n, days))
    clinic_draw = checkins.random((n, days))
    clinic = rngs["clinic"]
    delay = clinic.integers(s.booking_delay_days[0], s.booking_delay_days[1] + 1, size=(n, days))
    dropout_draw = rngs["dropout"].random((n, days))
    answers = rngs["answers"]

    regime_history = np.empty((n, days), dtype=np.int8)
    latent_history = np.full((n, days), np.nan)
    level_history = np.empty((n, days))
    phq9 = np.full((n, days), -1, dtype=np.int16)
    sessions = np.zeros((n, days), dtype=np.int8)
    away_history = np.zeros((n, days), dtype=bool)

    regime = np.full(n, BEFORE, dtype=np.int8)
    level = draws.set_point.copy()
    smoothed = draws.set_point.copy()
    excess = np.zeros(n)
    onset_day = np.full(n, NEVER, dtype=np.int64)
    start_level = np.zeros(n)
    midpoint = np.ones(n)
    returns = np.zeros(n, dtype=np.int64)
    given = np.zeros(n, dtype=np.int64)
    last_session = np.full(n, -NEVER, dtype=np.int64)
    induction_end = np.full(n, NEVER, dtype=np.int64)
    booked = np.full(n, NEVER, dtype=np.int64)
    slot = np.ones(n, dtype=np.int64)
    away = np.zeros(n, dtype=bool)
    discontinued = np.minimum(draws.planned_dropout_day, days).astype(np.int64)
    relief_total = 1.0 - s.session_relief_geometric ** draws.induction_count.astype(np.float64)
    relief_decay = math.exp(-1.0 / s.relief_days)
    daily_dropout = 1.0 - (1.0 - s.dropout_per_month) ** (1.0 / 30.0)
    boostable = draws.reactive & draws.responded & ~draws.stopped_after_first

    for t in range(days):
        enrolled = draws.enrolment_day <= t
        active = enrolled & (discontinued > t)
        maintained = induction_end < t

        # 1. The hidden chain.
        since_session = (t - last_session).astype(np.float64)
        hazard = (
            draws.onset_base
            * np.exp(s.gompertz_growth_per_day * np.minimum(since_session, 3650.0))
            * (1.0 + (s.life_event_hazard_ratio - 1.0) * life[:, t])
        )
        starts = maintained & (regime == WELL) & (onset_draw[:, t] < -np.expm1(-hazard))
        fades = maintained & (regime == RETURNING) & (fade_draw[:, t] < s.return_fade_per_day)
        completes = (regime == RETURNING) & ~fades & (t - onset_day >= 2.0 * midpoint)
        remits = (
            maintained & (regime == RELAPSED) & (remit_draw[:, t] < s.relapse_remission_per_day)
        )
        back = fades | remits
        excess = np.where(back, level - draws.well_level, excess * relief_decay)
        regime[back] = WELL
        regime[completes] = RELAPSED
        if starts.any():
            regime[starts] = RETURNING
            onset_day[starts] = t
            start_level[starts] = level[starts]
            midpoint[starts] = draws.midpoints[rows, np.minimum(returns, max_returns - 1)][starts]
            returns += starts

        # 2. The regime's level, then the latent.
        relief = (1.0 - s.session_relief_geometric ** given.astype(np.float64)) / relief_total
        climb = start_level + (draws.relapse_level - start_level) * _logistic_climb(
            (t - onset_day).astype(np.float64), midpoint
        )
        level = np.select(
            [regime == BEFORE, regime == WELL, regime == RETURNING],
            [
                draws.set_point - relief * (draws.set_point - draws.well_level),
                draws.well_level + excess,
                climb,
            ],
            draws.relapse_level,
        )
        bumped = np.clip(
            level + s.life_event_phq9 * life[:, t] * (1.0 - level / PHQ9_MAX), 0.0, PHQ9_MAX
        )
        # Relief comes within hours of a session; worsening follows with a personal lag.
        rate = np.where(bumped < smoothed, 0.8, -np.expm1(-1.0 / draws.time_constant))
        smoothed += (bumped - smoothed) * rate
        wobble = s.wobble_phi * wobble + innovation[:, t]
        latent = np.clip(smoothed + wobble, 0.0, PHQ9_MAX)
        regime_history[:, t] = regime
        level_history[:, t] = bumped
        latent_history[enrolled, t] = latent[enrolled]

        # 3. PHQ-9 answers: in clinic (intake, evaluation, before each session) and weekly.
        series = np.minimum(given, width - 1)
        induction_today = active & (given < draws.induction_count)
        induction_today &= draws.induction_days[rows, series] == t
        booster_today = active & maintained & (booked == t)
        intake = draws.enrolment_day == t
        visit = active & (intake | (draws.second_evaluation_day == t))
        visit |= induction_today | booster_today
        slot_index = np.minimum(slot, max_slots - 1)
        due = active & maintained & (induction_end + 7 * slot + jitter[rows, slot_index] == t)
        away = np.where(
            due,
            np.where(
                away,
                away_draw[rows, slot_index] < s.away_stay,
                away_draw[rows, slot_index] < draws.away_start,
            ),
            away,
        )
        slot += due
        rise = np.clip(
            (latent - draws.well_level) / np.maximum(draws.relapse_level - draws.well_level, 1.0),
            0.0,
            1.0,
        )
        engaged = 1.0 - s.severity_skip_share * rise
        since_end = np.maximum(t - induction_end, 0).astype(np.float64)
        adherence = draws.weekly_floor + (draws.weekly_start - draws.weekly_floor) * np.exp(
            -since_end / draws.weekly_decay
        )
        remote = due & ~away & ~visit & (completion_draw[:, t] < adherence * engaged)
        in_clinic = visit & (intake | (clinic_draw[:, t] < s.clinic_phq9_share))
        answered = remote | in_clinic
        share = np.clip((latent + draws.response_style) / PHQ9_MAX, 0.003, 0.997)
        precision = s.answer_precision
        total = answers.binomial(
            int(PHQ9_MAX), answers.beta(share * precision, (1.0 - share) * precision)
        )
        phq9[answered, t] = total[answered]
        away_history[:, t] = away & maintained

        # 4. The reactive clinic books a booster on what it saw.
        trigger = active & maintained & boostable & (booked == NEVER) & answered
        trigger &= (total >= draws.booking_threshold) & ~booster_today
        booked = np.where(
            trigger,
            np.maximum(t + delay[:, t], last_session + s.booking_min_spacing_days),
            booked,
        )

        # 5. Sessions.
        given += induction_today
        ends = induction_today & (given == draws.induction_count)
        induction_end[ends] = t
        regime[ends] = WELL
        excess[ends] = 0.0
        rescued = (
            booster_today & (regime >= RETURNING) & (rescue_draw[:, t] < s.booster_rescue_share)
        )
        excess = np.where(rescued, level - draws.well_level, excess)
        regime[rescued] = WELL
        booked[booster_today] = NEVER
        last_session[induction_today | booster_today] = t
        sessions[induction_today, t] = INDUCTION_SESSION
        sessions[booster_today, t] = BOOSTER_SESSION

        # 6. Dropout in maintenance, likelier once relapsed.
        leaving = daily_dropout * np.where(regime == RELAPSED, 3.0, 1.0)
        leaves = active & maintained & (dropout_draw[:, t] < leaving)
        discontinued = np.where(leaves, np.minimum(discontinued, t + 1), discontinued)

    return RegimeRun(
        regime=regime_history,
        latent=latent_history,
        level=level_history,
        life_event=life,
        phq9=phq9,
        sessions=sessions,
        away=away_history,
        induction_end_day=induction_end,
        discontinued_day=discontinued,
    )
