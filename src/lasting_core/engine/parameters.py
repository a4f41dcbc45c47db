"""Every default of the early-warning engine, with its source or marked as a choice."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from lasting_core.definitions import DefinitionSettings
from lasting_core.engine.recalibration import check_probability_map


class WarningRule(StrEnum):
    """What raises an early warning (a clinic can backtest either on its own history)."""

    FORECAST = "forecast"  # P(relapse criteria met within 28 days) >= early_warning_probability
    PHQ9_THRESHOLD = "phq9_threshold"  # today's common practice: a PHQ-9 >= relapse_threshold
    # The other simple rule: the latest PHQ-9 a reliable change (6 points, IAPT) above the
    # nadir, the lowest PHQ-9 since the latest session.
    RISE_FROM_NADIR = "rise_from_nadir"


@dataclass(frozen=True)
class EngineSettings:
    """Defaults of the engine (docs/clinical.md#definitions, docs/engine.md).

    Days are engine day numbers.
    """

    # --- Clinical definitions (docs/clinical.md#definitions) ---
    relapse_threshold: float = 10.0  # PHQ-9 >= 10 (SUSTAIN-1 logic)
    response_fall_share: float = 0.5  # McInnes 2022: response is a fall >= 50 %
    relapse_improvement_lost_share: float = 0.5  # half of the improvement lost
    confirmation_min_days: float = 5.0  # second check-in 5-15 days after the first
    confirmation_max_days: float = 15.0
    new_course_gap_days: float = 30.0  # choice: re-induction after this gap is a new course
    reliable_worsening_phq9: float = 6.0  # IAPT reliable change on PHQ-9

    # --- Trajectory model (docs/engine.md 2.2): continuous-time local level + damped trend ---
    # Psychometrics: PHQ-9 measurement SD about 2.2 points, fixed, not fitted.
    obs_sd: float = 2.2
    # Choice: the true score wanders about 0.5 points a week when nothing happens.
    level_sd_per_sqrt_day: float = 0.2
    # Choice: a trend persists for weeks (returns take 2-4 weeks), so the
    # slope decays with a 3-week time constant and has a stationary SD of about 1 point a
    # week.
    slope_damping_days: float = 21.0
    slope_sd_per_day: float = 0.15
    # Choice: before any check-in, the level is a clinic intake (PHQ-9 about
    # N(17, 4), docs/clinical.md#durability-anchors) held loosely.
    initial_level: float = 17.0
    initial_level_sd: float = 8.0
    # Choice: a session moves the level by several points (most of the drop
    # comes with the first infusion); inflating the level SD by 6 points lets the next
    # check-in set the post-session level. The trend restarts from zero.
    session_level_sd: float = 6.0

    # --- Returns (the two-regime forecast, engine/returns.py) ---
    # Choice: a return climbs at (bar - best) / rise_days points a day, give or take half.
    return_rate_sd_share: float = 0.5
    # Choice: the slope of a return wanders slowly (0.02 points/day per sqrt(day)).
    return_slope_sd_per_day: float = 0.02
    # The two check-ins of the relapse criteria read as sharing one latent course (a
    # bivariate normal, engine/readings.py) instead of as independent (docs/engine.md 2.7).
    joint_readings: bool = False

    # --- Drift guard (docs/engine.md 2.3): one-sided CUSUM on standardised innovations ---
    cusum_k: float = 0.5
    cusum_h: float = 4.0

    # --- Daily items (docs/engine.md 2.4): day means, EWMA against the stable-period reference ---
    ewma_lambda: float = 0.25  # Roberts 1959; the usual lambda 0.2-0.3
    # Choice: the stable-period reference forgets with a 4-week time constant and is not
    # updated while an item is flagged, so a decline does not become "usual".
    reference_lambda: float = 1.0 / 28.0
    reference_min_days: int = 14  # choice: two weeks of daily checks before any flag
    reference_min_sd: float = 0.5  # choice: items are whole points; floor the spread
    # Choice: errors beyond 1.5 spreads are clipped when the reference learns (Huber's
    # usual constant), so the first days of a decline do not widen the usual spread.
    reference_clip_sd: float = 1.5
    # Choice: flag at 3.5 EWMA standard deviations, the EWMA SD allowing for AR(1) noise
    # with the autocorrelation below (phi 0.3-0.5 for daily self-reports). Wider than
    # the textbook 3 because the reference is estimated from a few weeks of whole-point
    # answers (at 3, one stable patient in 10 was flagged within two months in tests).
    daily_limit_sd: float = 3.5
    daily_autocorrelation: float = 0.4
    # Choice: a flag counts while the latest daily check is at most 3 days old.
    daily_stale_days: float = 3.0
    # Daily composite in the forecast (docs/engine.md 2.4, step 4): the change of the
    # items' EWMA since the patient's own post-session baseline, re-anchored at each session
    # because a session moves the level (the level itself is biased per patient and item).
    # Choice: the baseline averages the first two weeks of daily checks after a session
    # (relief is complete the day after a session in the simulator; two weeks of AR(1) noise give a
    # baseline about as precise as the EWMA) and is then held until the next session.
    daily_anchor_days: float = 14.0
    # Choice: no evidence before five days of baseline.
    daily_anchor_min_days: float = 5.0
    # Choice: daily items move this many points per PHQ-9 point (mean of mood, sleep and
    # stress, signed towards worse). Items span 0-10 and the PHQ-9 0-27; a full swing of
    # depression is assumed to move each item about half its range (5.5 / 27 = 0.2). A
    # clinic with paired data can calibrate it.
    daily_points_per_phq9: float = 0.2
    # Choice: the daily check never counts for more than 20:1 evidence for or against a
    # return (self-reports on a phone; on its own it never books a booster).
    daily_max_likelihood_ratio: float = 20.0

    # --- Personal warning signs (docs/engine.md 2.9) ---
    # Choice: a personal item crossing its threshold on this many days in a row is a
    # personal warning sign (a driver in the sentence, never an alert on its own). Two
    # days, so one bad night is not a warning sign and a run is seen the next day.
    personal_streak_days: int = 2

    # --- Stressful life events (docs/engine.md 2.10) ---
    # Choice, to be calibrated per clinic: a life event of weight 1 adds its own chance that
    # a return begins, 0.25 over its whole course, most of it in the first weeks: an extra
    # onset hazard decaying with a 14-day time constant (95 % of it spent within 6 weeks).
    # For a responder at the clinic's usual relief (S(28) = 0.80) that about doubles the
    # chance that a return begins in the month of the event. Population studies found odds
    # of about 3.6-5.6 for the onset of a depressive episode in the month of a stressful
    # event (Kendler 1999), strongest in that month (Kendler 1998); those are first onsets
    # in the community, partly non-causal, so the engine takes a smaller effect.
    life_event_onset_probability: float = 0.25
    life_event_fade_days: float = 14.0
    # Choice: the sentence names a life event for three time constants (95 % of its effect).
    life_event_words_days: float = 42.0

    # --- Disengagement (docs/engine.md 2.8) ---
    missed_checkins: int = 2  # two missed check-ins in a row are a signal
    expected_checkin_interval_days: float = 7.0  # weekly PHQ-9 in maintenance
    checkin_grace_days: float = 2.0  # choice: a check-in two days late is not missed

    # --- Forecast and early warning (docs/engine.md 2.7) ---
    early_warning_rule: WarningRule = WarningRule.FORECAST
    # Choice, measured on the tuning family only (docs/benchmarks.md, natural history,
    # 1,000 patients per preset): the lowest threshold in steps of 0.05 that keeps false
    # episodes within 0.5 per at-risk patient-year on the real-world preset (0.45 at 0.45,
    # 0.56 at 0.40). The reporting family (the regime generator) never chose it. Since the
    # forecast counts returns that have not begun yet (engine/returns.py), probabilities
    # are higher for calm patients than before, and so is the threshold (it was 0.4). The
    # forecast booster policy proposes on its own 3-week threshold or on an early warning,
    # so this moves it too.
    early_warning_probability: float = 0.45
    # A monotone map of P14 and P28, knots (raw, calibrated), applied before the warning
    # threshold; none by default. Fitted per clinic by `lasting calibrate` (Platt scaling
    # on the clinic's own forecasts and what followed, engine/recalibration.py).
    probability_map: tuple[tuple[float, float], ...] = ()
    forecast_max_days: float = 180.0  # choice: no crossing date beyond six months
    crossing_interval: float = 0.8  # choice: an 80 % interval

    # --- Replay episodes ---
    # Choice: an early warning episode ends with the relapse, with a session, or after
    # three weeks in which the warning no longer holds; only then can a new one open.
    episode_quiet_days: float = 21.0
    # A disengagement episode ends once the patient has been back in contact this many
    # days in a row; a new silence before then joins it (engine/episodes.py). Choice,
    # measured on the tuning family only (natural history, 1,000 patients per preset,
    # docs/benchmarks.md): folding over 56 days cuts disengagement alerts per enrolled
    # patient-year from 2.5-3.1 to 1.7-1.8; 91 or 182 days save at most 0.2 more, and
    # most of what remains is each patient's first silence.
    disengagement_fold_days: float = 56.0
    # Choice: the disengagement alerts a clinic should expect per patient-year in care (the
    # evaluation reports the measured rate beside it, benchmarks/engine_eval.py).
    disengagement_budget_per_year: float = 1.0
    # Choice (docs/clinical.md#alert-budgets): the early-warning alerts (episodes) a clinic
    # should expect per patient-year in care: the target of 0.5 false episodes per at-risk
    # patient-year plus the true ones. Relapse alerts have no budget: each reports relapse
    # criteria met.
    early_warning_budget_per_year: float = 1.0

    def __post_init__(self) -> None:
        for name in (
            "obs_sd",
            "level_sd_per_sqrt_day",
            "slope_damping_days",
            "slope_sd_per_day",
            "initial_level_sd",
            "session_level_sd",
            "expected_checkin_interval_days",
            "forecast_max_days",
            "daily_anchor_days",
            "daily_points_per_phq9",
            "life_event_fade_days",
            "life_event_words_days",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        for name in ("ewma_lambda", "reference_lambda", "early_warning_probability"):
            if not 0 < getattr(self, name) < 1:
                raise ValueError(f"{name} must lie in (0, 1)")
        for name in ("disengagement_budget_per_year", "early_warning_budget_per_year"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must not be negative")
        if not self.disengagement_fold_days >= 1:
            raise ValueError("disengagement_fold_days must be at least 1")
        if not 0 < self.crossing_interval < 1:
            raise ValueError("crossing_interval must lie in (0, 1)")
        if not 0 <= self.daily_autocorrelation < 1:
            raise ValueError("daily_autocorrelation must lie in [0, 1)")
        if not 0 <= self.daily_anchor_min_days <= self.daily_anchor_days:
            raise ValueError("daily_anchor_min_days must lie in [0, daily_anchor_days]")
        if not self.daily_max_likelihood_ratio >= 1:
            raise ValueError("daily_max_likelihood_ratio must be at least 1")
        if not 0 <= self.life_event_onset_probability < 1:
            raise ValueError("life_event_onset_probability must lie in [0, 1)")
        if self.personal_streak_days < 1:
            raise ValueError("personal_streak_days must be at least 1")
        if self.missed_checkins < 1:
            raise ValueError("missed_checkins must be at least 1")
        WarningRule(self.early_warning_rule)
        check_probability_map(self.probability_map)
        self.definitions()

    def definitions(self) -> DefinitionSettings:
        """Return the clinical definitions these settings imply."""
        return DefinitionSettings(
            response_fall_share=self.response_fall_share,
            relapse_threshold=self.relapse_threshold,
            relapse_improvement_lost_share=self.relapse_improvement_lost_share,
            confirmation_min_days=self.confirmation_min_days,
            confirmation_max_days=self.confirmation_max_days,
            new_course_gap_days=self.new_course_gap_days,
            reliable_change_phq9=self.reliable_worsening_phq9,
        )

    @property
    def slope_damping_rate(self) -> float:
        """Return theta, the slope's decay rate per day."""
        return 1.0 / self.slope_damping_days

    @property
    def slope_diffusion_variance(self) -> float:
        """Return the slope's diffusion variance per day that gives its stationary SD."""
        return self.slope_sd_per_day**2 * 2.0 * self.slope_damping_rate

    @property
    def life_event_hazard_per_day(self) -> float:
        """Return the extra onset hazard per day right after a life event of weight 1.

        The extra hazard c exp(-t / tau) integrates to c tau, so P(the event alone starts a
        return) = 1 - exp(-c tau) = ``life_event_onset_probability``.
        """
        return -math.log1p(-self.life_event_onset_probability) / self.life_event_fade_days

    @property
    def ewma_sd_factor(self) -> float:
        """Return the EWMA's SD as a share of the item's SD (AR(1) noise, docs/engine.md 2.4)."""
        lam, phi = self.ewma_lambda, self.daily_autocorrelation
        rho = phi * (1.0 - lam)
        return math.sqrt(lam / (2.0 - lam) * (1.0 + rho) / (1.0 - rho))
