"""Parameters of the regime generator (``regimes``), each with its source or an assumption."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class RegimeSettings:
    """Parameters of the regime generator; each with its source or marked as assumption.

    The onset hazard (``gompertz_*`` with the frailty and the return's midpoint) was set
    so the responders' latent durability without maintenance gives S(28) about 0.80 and
    S(56) about 0.60 (McInnes 2022); ``tests/core/test_regimes.py`` measures it. These
    defaults are the reporting family's (``evaluation.REPORTING_FAMILY``): changing them
    changes the cohorts the engine is reported on, never to fit the engine.
    """

    name: str = "regimes"

    # Intake. Observed baseline PHQ-9 about N(17, 4) clipped to 10-27 (McInnes 2022, as in
    # the first generator); the latent carries what the answer noise (about 3 points at
    # that level, item 3 below) leaves.
    baseline_mean: float = 17.0
    baseline_latent_sd: float = 2.6
    evaluation_days: tuple[int, int] = (5, 28)
    second_evaluation_share: float = 0.4
    # Induction: 4-8 sessions, mostly 6, over 10-24 days (Murrough 2013: 6 over 12 days;
    # real-world schedules vary), at irregular spacing. Assumption on the spread.
    induction_session_counts: tuple[int, ...] = (4, 5, 6, 6, 6, 6, 6, 7, 8)
    induction_days: tuple[int, int] = (10, 24)
    # Osmind: about 20 % stop after the first session; assumption: 15 % here.
    stop_after_first_share: float = 0.15
    session_relief_geometric: float = 0.5
    # Improvement at the end of induction, as a share of the set point: Beta(a, b) among
    # those who do not worsen (60 % of it after a single session). Gives response (share
    # >= 0.5) 58 % and remission 32 %, intent-to-treat (McInnes 2022: 53.6 % / 28.9 %;
    # Phillips 2019: 59 %).
    improvement_beta: tuple[float, float] = (2.9, 1.8)
    worsen_share: float = 0.08  # McInnes 2022: 8.4 % worse
    single_session_improvement_factor: float = 0.6

    # Onset of a return: Gompertz hazard in days since the last session, h(u) =
    # lambda_i exp(gamma u): it doubles about every 58 days. Personal frailty log-normal
    # with SD 1.6 (mean 1): returns come at a personal pace the engine's empirical Bayes
    # can learn, and the heterogeneity front-loads the population's relapses as in
    # McInnes 2022. Calibrated together with the return's midpoint below: 3,000 patients
    # over 200 days, no maintenance, S(28) 0.816 and S(56) 0.599 (seed 2024), 0.814 and
    # 0.587 (seed 7); median 73-75 days.
    gompertz_base_per_day: float = 0.034
    gompertz_growth_per_day: float = 0.012
    frailty_log_sd: float = 1.6
    single_session_hazard_ratio: float = 3.0
    therapy_share: float = 0.3
    therapy_hazard_ratio: float = 0.65  # Wilkinson 2017/2021: CBT lengthens durability
    # Life events: about 2 a year, their effect fading over two weeks (assumption).
    life_events_per_year: float = 2.0
    life_event_days: float = 14.0
    life_event_hazard_ratio: float = 2.5
    life_event_phq9: float = 2.5

    # A return: logistic climb from the well level to the relapse level. Assumption: the
    # midpoint (where the climb is half done, about where the relapse bar lies) comes a
    # median 13 days after the onset, log-SD 0.45, within 5-45 days; with the latent's lag
    # the latent reaches the bar a median 16 days after the onset (10th-90th: 9-27).
    return_midpoint_days: float = 13.0
    return_midpoint_log_sd: float = 0.45
    return_midpoint_range: tuple[float, float] = (5.0, 45.0)
    # Assumption: about one return in five fades by itself before it is complete.
    return_fade_per_day: float = 0.008
    relapse_level_share: tuple[float, float] = (0.85, 1.1)  # of the set point
    # Assumption: an untreated relapse remits after about 5 months on average.
    relapse_remission_per_day: float = 1.0 / 150.0
    # Relief after a fade, a remission or a rescuing session comes with this time constant.
    relief_days: float = 4.0

    # Latent: first-order lag behind the regime's level, plus an OU wobble (assumption).
    latent_time_constant_days: tuple[float, float] = (1.0, 5.0)
    wobble_sd: float = 1.0
    wobble_phi: float = 0.8

    # PHQ-9 answers: beta-binomial on 27 points; precision 60 gives an SD of about 1.9
    # points at a latent of 3, 2.5 at 6 and 3.0 at 11 (the fixed 2.2 of the psychometric
    # literature is an average). Personal response style: SD 0.8 points (assumption).
    answer_precision: float = 60.0
    response_style_sd: float = 0.8

    # Check-ins (assumptions). Weekly remote PHQ-9 after induction, jittered.
    checkin_jitter_days: tuple[int, ...] = (-2, -1, 0, 0, 0, 1, 1, 2, 3)
    away_start_mean: float = 0.05  # per week, Beta(1, 19) per patient
    away_stay: float = 0.6
    weekly_start: tuple[float, float] = (0.85, 1.0)
    weekly_floor: tuple[float, float] = (0.35, 0.85)
    weekly_decay_days: float = 150.0
    daily_start: tuple[float, float] = (0.75, 0.95)
    daily_floor: tuple[float, float] = (0.1, 0.6)
    daily_decay_days: float = 60.0
    decay_log_sd: float = 0.5
    # Completion falls by up to this share as the latent climbs from the well level to
    # the relapse level (missing not at random).
    severity_skip_share: float = 0.35
    clinic_phq9_share: float = 0.95

    # Daily items (mood, sleep, stress; 0-10), kept by a share of patients.
    daily_share: float = 0.45
    daily_lag_days: tuple[int, int] = (0, 10)
    daily_points_per_phq9: float = 0.2
    daily_scale_log_sd: float = 0.5
    daily_intercepts: tuple[float, float, float] = (8.0, 7.5, 2.0)
    daily_personal_sd: float = 0.8
    daily_noise_sd: tuple[float, float] = (0.7, 1.5)
    daily_phi: tuple[float, float] = (0.2, 0.7)
    daily_life_event_stress: float = 2.5

    # The reactive clinic: books a booster when an answered PHQ-9 reaches the patient's
    # threshold (assumption: clinics differ, 10-15), 3-14 days later, at least 14 days
    # after the last session; only for patients who responded to induction.
    booking_threshold: tuple[int, int] = (10, 15)
    booking_delay_days: tuple[int, int] = (3, 14)
    booking_min_spacing_days: int = 14
    # A session during a return or a relapse restores the well regime for this share
    # (assumption, in the range that makes SUSTAIN-1's HR 0.3-0.5 plausible).
    booster_rescue_share: float = 0.7

    # Discontinuation (assumption): monthly in maintenance, tripled when relapsed;
    # half the non-responders leave within five weeks; those who stop after the first
    # session leave within two weeks.
    dropout_per_month: float = 0.02
    nonresponder_dropout_share: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{f.name} must be finite")
        for name in (
            "second_evaluation_share",
            "stop_after_first_share",
            "worsen_share",
            "therapy_share",
            "away_start_mean",
            "away_stay",
            "severity_skip_share",
            "clinic_phq9_share",
            "daily_share",
            "booster_rescue_share",
            "dropout_per_month",
            "nonresponder_dropout_share",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1]")
        for name in (
            "gompertz_base_per_day",
            "return_midpoint_days",
            "relief_days",
            "answer_precision",
            "weekly_decay_days",
            "daily_decay_days",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive")
        if min(self.induction_session_counts) < 1:
            raise ValueError("induction_session_counts must be at least 1")
        low, high = self.induction_days
        if not max(self.induction_session_counts) <= low <= high:
            raise ValueError("induction_days must be ordered and fit one session a day")
        if not 1 <= self.booking_delay_days[0] <= self.booking_delay_days[1]:
            raise ValueError("booking_delay_days must be ordered and at least 1")
