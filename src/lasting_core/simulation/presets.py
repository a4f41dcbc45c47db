"""Calibration presets for the patient simulator (docs/clinical.md#durability-anchors).

Every parameter carries its source. "Assumption" marks a value chosen for plausibility
where no published figure exists; those are the first to revisit when a clinic's own
data arrive. The published anchors are collected in ``tests/reference/durability_anchors.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

DIAGNOSES: tuple[str, ...] = (
    "trd_mdd",
    "bipolar_depression",
    "gad",
    "ptsd",
    "ocd",
    "chronic_pain",
    "other",
)

# Assumption: ketamine clinics treat mostly treatment-resistant depression (McInnes 2022
# and Oliver 2022 are depression cohorts); the other shares are a plausible clinic mix.
_DEFAULT_DIAGNOSIS_SHARES: tuple[tuple[str, float], ...] = (
    ("trd_mdd", 0.70),
    ("bipolar_depression", 0.07),
    ("gad", 0.05),
    ("ptsd", 0.08),
    ("ocd", 0.02),
    ("chronic_pain", 0.04),
    ("other", 0.04),
)


@dataclass(frozen=True)
class Preset:
    """Parameters of one simulated clinic population.

    Shares of outcomes are intent-to-treat: among every patient who starts induction,
    including those who stop after the first session.
    """

    name: str

    # Baseline severity: PHQ-9 ~ N(17, 4) clipped to 10-27 (McInnes 2022
    # cohort mean baseline PHQ-9 is in the moderately-severe band).
    baseline_mean: float = 17.0
    baseline_sd: float = 4.0
    baseline_min: float = 10.0
    baseline_max: float = 27.0

    # Evaluation before induction: 1-3 weeks with 1-2 PHQ-9 check-ins (assumption).
    evaluation_days: tuple[int, int] = (7, 21)
    second_evaluation_share: float = 0.5

    # Induction: 6 sessions over 2-3 weeks (Murrough 2013: 6 infusions over 12 days;
    # Phillips 2019; Wilkinson 2021: 6 over 3 weeks). Inclusive span of the series.
    induction_sessions: int = 6
    induction_days: tuple[int, int] = (14, 21)
    # Osmind real-world data: 20 % stop after the first session.
    stop_after_first_share: float = 0.20
    # Relief built by the k-th session is (1 - g^k) / (1 - g^n): most of the drop comes
    # with the first infusion (Murrough 2013: large MADRS fall 2 h after infusion 1).
    session_relief_geometric: float = 0.55

    # Outcome at the end of induction, intent-to-treat. McInnes 2022: response 53.6 %,
    # remission 28.9 %, 8.4 % worse; Phillips 2019: 59 % response; Oliver 2022: 50-72 %.
    response_share: float = 0.56
    remission_share: float = 0.29
    worsen_share: float = 0.08
    # Assumption: of patients who stop after one session, few hold a response.
    single_session_response_share: float = 0.25
    single_session_remission_share: float = 0.08

    # Time from the end of induction to relapse without boosters: Weibull. McInnes 2022
    # Kaplan-Meier: S(28) ~ 0.80, S(56) ~ 0.60 -> shape 1.2, scale 98 d (median ~ 72 d).
    weibull_shape: float = 1.2
    weibull_scale_days: float = 98.0
    # Assumption: the relief of a single session fades four times faster.
    single_session_scale_factor: float = 0.25
    # Days from the start of the rise to the relapse threshold (median and bounds).
    # Assumption (docs/benchmarks.md): an oracle alerting at the onset of the rise has a
    # median lead of about 24 days in the real-world preset. The upper bound must stay
    # at or below 28 so S(28) and S(56) stay exact (see dynamics).
    rise_days_median: float = 21.0
    rise_days_range: tuple[float, float] = (10.0, 28.0)
    rise_days_log_sd: float = 0.3
    # The latent follows its drive with this time constant when worsening; daily items
    # track the drive, so they lead the latent by about this many days (assumption).
    latent_lag_days: float = 3.0
    # Assumption: a patient's successive relief intervals are correlated (Gaussian
    # copula) so a personal durability exists for the engine to learn (docs/engine.md 2.5).
    durability_correlation: float = 0.7

    # Boosters. Target: SUSTAIN-1 (Daly 2019), esketamine maintenance weekly or every
    # other week vs switching to placebo: relapse HR 0.49 in stable remitters and 0.30 in
    # stable responders, so maintenance at that frequency lowers the relapse hazard to
    # about 0.3-0.5 of no maintenance; it does not abolish relapse (26.7 % still relapsed
    # on esketamine vs 45.3 % on placebo). A booster that restored full relief and
    # restarted the clock at every dose made a 14-day schedule HR 0.04, so it acts in two
    # partial ways (see ``dynamics``):
    # - given while well, it leaves the hazard clock running and multiplies the onset
    #   hazard by ``booster_hazard_ratio`` for ``booster_protection_days`` (assumption:
    #   the effect of one dose lasts until the next at SUSTAIN-1's longest spacing);
    # - given during a return, it stops it (restores the relief, restarts the clock) only
    #   for a ``booster_rescue_share`` of returns, drawn per return; the others run on to
    #   relapse, after which the next booster re-treats it (assumption).
    # SUSTAIN-1 identifies only the product: with protection always on, the relapse HR is
    # about 0.75 x (1 - 0.6) = 0.3, and measured 0.40 at 7 days and 0.41 at 14 days
    # (3,000 patients, 240 days, seed 5; tests/reference/durability_anchors.md), since
    # a rescued return restarts the clock. The split between the two is an assumption;
    # a rescue share above a half keeps symptom-triggered boosters useful.
    booster_hazard_ratio: float = 0.75
    booster_protection_days: int = 14
    booster_rescue_share: float = 0.6

    # Modifiers of the return hazard. They are normalised so the population average
    # hazard keeps the Weibull calibration above.
    # Assumption on share; Wilkinson 2017/2021: CBT after ketamine lengthens durability.
    therapy_share: float = 0.35
    therapy_hazard_ratio: float = 0.6
    # Recorded as data; evidence for an effect on durability is weak, so none by default.
    antidepressant_share: float = 0.60
    antidepressant_hazard_ratio: float = 1.0
    # Stress shocks (life events): assumption of about 3 a year, each decaying over
    # ~10 days; while active they raise the hazard, the severity and the stress item.
    stress_shocks_per_year: float = 3.0
    stress_decay_days: float = 10.0
    stress_hazard_ratio: float = 3.0
    stress_shock_phq9: float = 2.0

    # Observation: PHQ-9 measurement SD ~ 2.2 points.
    observation_sd: float = 2.2
    # Small day-to-day wobble of the latent itself (assumption).
    latent_wobble_sd: float = 0.8
    latent_wobble_phi: float = 0.9
    # GAD-7 tracks PHQ-9 (correlation ~ 0.7 in depressed samples; assumption on slope).
    gad7_slope: float = 0.65
    gad7_offset_mean: float = 0.5
    gad7_offset_sd: float = 2.5
    gad7_sd: float = 2.0
    # Daily check (mood, sleep, stress 0-10): AR(1) noise, phi 0.3-0.5.
    daily_share: float = 0.40
    daily_phi: float = 0.4
    daily_noise_sd: float = 1.0
    # PHQ-9 item 9 (thoughts of death or self-harm), ordinal logistic in the latent PHQ-9
    # s: logit P(item 9 >= k) = a_k + b (s - 11). The a_k reproduce the outpatient rates of
    # Simon 2013 (6.4 % "several days", 2.0 % "more than half the days", 1.3 % "nearly
    # every day") in a population whose latent PHQ-9 is N(11, 6) (the population is an
    # assumption; tests/reference/item9_rates.md). Choice: b = 0.25 per point (odds x1.28
    # per point): about 4 % positive at a PHQ-9 of 10 and 32 % at 20, so a cohort with a
    # baseline mean of 17 answers positively about 22 % of the time before induction.
    item9_log_odds: tuple[float, float, float] = (-2.99, -4.32, -5.35)
    item9_log_odds_per_point: float = 0.25
    item9_centre_phq9: float = 11.0

    # Adherence: share of scheduled remote check-ins completed, falling from start to
    # floor with this time constant (assumption: adherence falls over time).
    weekly_adherence: tuple[float, float] = (0.95, 0.60)
    daily_adherence: tuple[float, float] = (0.85, 0.40)
    adherence_decay_days: float = 120.0
    adherence_person_sd: float = 0.10
    clinic_visit_adherence: float = 0.98
    # Severe patients skip more remote check-ins (missed check-ins are a
    # signal): completion is multiplied by 1 - this share at PHQ-9 27, linearly from 10.
    severity_disengagement: float = 0.4

    # Discontinuation (assumption): a monthly dropout hazard in maintenance, multiplied
    # up to this ratio as the latent PHQ-9 rises from 10 to 20, and a share of
    # non-responders who leave within five weeks of induction.
    dropout_per_month: float = 0.03
    dropout_severity_ratio: float = 4.0
    nonresponder_dropout_share: float = 0.60

    diagnosis_shares: tuple[tuple[str, float], ...] = _DEFAULT_DIAGNOSIS_SHARES

    def __post_init__(self) -> None:
        for name in (
            "second_evaluation_share",
            "stop_after_first_share",
            "response_share",
            "remission_share",
            "worsen_share",
            "single_session_response_share",
            "single_session_remission_share",
            "durability_correlation",
            "therapy_share",
            "antidepressant_share",
            "daily_share",
            "clinic_visit_adherence",
            "severity_disengagement",
            "dropout_per_month",
            "nonresponder_dropout_share",
            "booster_rescue_share",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
        if self.remission_share > self.response_share:
            raise ValueError("remission_share cannot exceed response_share")
        if self.single_session_remission_share > self.single_session_response_share:
            raise ValueError("single_session_remission_share cannot exceed its response share")
        if self.response_share + self.worsen_share > 1.0:
            raise ValueError("response_share + worsen_share cannot exceed 1")
        completer = self.completer_outcome_shares()
        if completer[0] < 0 or completer[1] > 1 or completer[1] + self.worsen_share > 1:
            raise ValueError("single-session shares are inconsistent with the overall shares")
        if self.induction_sessions < 1:
            raise ValueError("induction_sessions must be at least 1")
        low, high = self.induction_days
        if not self.induction_sessions <= low <= high:
            raise ValueError("induction_days must be ordered and fit one session a day")
        if not 1 <= self.evaluation_days[0] <= self.evaluation_days[1]:
            raise ValueError("evaluation_days must be ordered and at least 1")
        rise_low, rise_high = self.rise_days_range
        if not self.latent_lag_days + 1.0 <= rise_low <= rise_high:
            raise ValueError("rise_days_range must be ordered and exceed latent_lag_days")
        for name in (
            "weibull_shape",
            "weibull_scale_days",
            "single_session_scale_factor",
            "latent_lag_days",
            "booster_hazard_ratio",
            "therapy_hazard_ratio",
            "antidepressant_hazard_ratio",
            "stress_hazard_ratio",
            "stress_decay_days",
            "observation_sd",
            "adherence_decay_days",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        first, second, third = self.item9_log_odds
        if not first >= second >= third:
            raise ValueError("item9_log_odds must not rise with the answer (nested odds)")
        if self.item9_log_odds_per_point < 0:
            raise ValueError("item9_log_odds_per_point cannot be negative")
        names = [diagnosis for diagnosis, _ in self.diagnosis_shares]
        if sorted(names) != sorted(DIAGNOSES):
            raise ValueError(f"diagnosis_shares must name each of {DIAGNOSES} once")
        if not math.isclose(sum(share for _, share in self.diagnosis_shares), 1.0):
            raise ValueError("diagnosis_shares must sum to 1")

    def completer_outcome_shares(self) -> tuple[float, float]:
        """Return (response, remission) shares among patients who complete induction.

        The overall shares are intent-to-treat, so the completers' shares are solved from
        ``overall = stop * single_session + (1 - stop) * completer``.
        """
        stop = self.stop_after_first_share
        if stop >= 1.0:
            return self.response_share, self.remission_share
        response = (self.response_share - stop * self.single_session_response_share) / (1 - stop)
        remission = (self.remission_share - stop * self.single_session_remission_share) / (1 - stop)
        return response, remission

    def weibull_survival(self, days: float) -> float:
        """Return the calibrated share of responders still well ``days`` after induction."""
        return math.exp(-((days / self.weibull_scale_days) ** self.weibull_shape))

    def weibull_median_days(self) -> float:
        """Return the calibrated median time from the end of induction to relapse."""
        return self.weibull_scale_days * float(math.log(2.0) ** (1.0 / self.weibull_shape))


REAL_WORLD = Preset(name="real-world")

# Murrough 2013: a trial population (antidepressants washed out, no concurrent therapy),
# response 70.8 %, median 18 days to relapse -> Weibull scale 24.5 d at shape 1.2.
# The rise to relapse is quicker, and few stop after the first session in a trial.
LAB = Preset(
    name="lab",
    weibull_scale_days=24.5,
    rise_days_median=8.0,
    rise_days_range=(5.0, 12.0),
    response_share=0.65,
    remission_share=0.30,
    stop_after_first_share=0.05,
    therapy_share=0.0,
    antidepressant_share=0.0,
)

PRESETS: Mapping[str, Preset] = MappingProxyType({REAL_WORLD.name: REAL_WORLD, LAB.name: LAB})


def get_preset(preset: str | Preset) -> Preset:
    """Return the preset with this name, or the preset itself; raise on an unknown name."""
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown preset {preset!r}; known presets: {known}") from None
