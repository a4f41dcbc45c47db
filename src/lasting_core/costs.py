"""What maintenance will cost: a 12-month forecast per policy (the cost so far:
`lasting_core.cost_to_date`).

Forecast (a documented choice of model; docs/clinical.md#costs):

1. The patient's durability is the engine's (``engine.durability``): relief intervals
   are Weibull with the clinic's shape k and a personal rate r, S(t | r) = exp(-r t^k),
   and r ~ Gamma(a + d, b + E) after the patient's own d losses of response and exposure
   E (empirical Bayes). ``ForecastPatient.from_history`` counts d and E from the
   patient's history by the engine's rules (``engine.durability.relief_intervals``).
2. Each simulated year draws one r from that posterior (so the interval carries the
   uncertainty about the patient, not only the luck of one year) and runs the policy
   arena's simulator (``simulation.dynamics.run_course`` through ``arena.run_policy``,
   closed loop, the same booking rules) on a copy of the patient: their baseline PHQ-9 as
   the set point, their outcome class (remission or response), their daily check, Weibull
   scale r^(-1/k), no dropout ("if you keep your current plan"). Every copy starts with
   an induction series and the forecast counts the 365 days after its end: the year
   starts from full relief, as right after a session (a documented simplification: the
   patient's place in the current interval is not used).
3. Per policy: sessions (boosters and maintenance sessions) and relapse-days (latent
   PHQ-9 >= 10, the arena's measure) per simulated year, the cost of each year at the
   patient's prices, and the mean and the 10th-90th percentiles over the years.

The as-needed policy (the patient asks) is simulated as a request once a weekly PHQ-9
reaches the patient's relapse bar (a documented choice). Deterministic: the draws of each
patient follow from (seed, patient key) alone, whatever else is in the batch.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from lasting_core.definitions import RelapseState, track_relapse
from lasting_core.engine import EngineSettings, PatientHistory, PopulationPrior
from lasting_core.engine.durability import posterior_median, relief_intervals
from lasting_core.policies import PolicySettings
from lasting_core.simulation import draws as drawing
from lasting_core.simulation import dynamics
from lasting_core.simulation.arena import ArenaPolicy, PolicyKind, run_policy
from lasting_core.simulation.arena_rules import ArenaCohort, ForecastRule, Rule, SymptomRule
from lasting_core.simulation.cohort import random_streams
from lasting_core.simulation.draws import BoolArray, FloatArray
from lasting_core.simulation.observations import DailyNoise, draw_daily_noise
from lasting_core.simulation.presets import REAL_WORLD, Preset

FORECAST_DAYS = 365
# Choice: 200 simulated years per policy keep the mean's standard error near 2 % of a
# year's sessions and make the 10th/90th percentiles stable to about a session.
DEFAULT_YEARS = 200
# Choice: rows per simulated batch (memory: about 26 kB per row for a 410-day run).
CHUNK_ROWS = 4000
PERCENTILES = (10.0, 90.0)

Counts = npt.NDArray[np.int64]
# Relapse is defined for a patient in response (docs/clinical.md#definitions).
IN_RESPONSE = (RelapseState.RESPONDING, RelapseState.PENDING)


# ---------------------------------------------------------------------------------------
# Forecast inputs


class ForecastKind(StrEnum):
    FIXED = "fixed"
    SYMPTOM = "symptom"
    FORECAST = "forecast"
    AS_NEEDED = "as_needed"


@dataclass(frozen=True)
class ForecastPolicy:
    """A maintenance policy to forecast; ``parameter`` is N days (fixed) or P (forecast)."""

    kind: ForecastKind
    parameter: float | None = None
    symptom_threshold: float = PolicySettings().symptom_threshold
    min_spacing_days: int = int(PolicySettings().min_spacing_days)

    def __post_init__(self) -> None:
        if self.kind == ForecastKind.FIXED and (self.parameter is None or self.parameter < 7):
            raise ValueError("a fixed policy needs an interval of at least 7 days")
        if self.kind == ForecastKind.FORECAST and not (
            self.parameter is not None and 0.0 < self.parameter < 1.0
        ):
            raise ValueError("a forecast policy needs a probability 0 < P < 1")

    @property
    def label(self) -> str:
        if self.kind == ForecastKind.FIXED:
            return f"fixed:{int(self.parameter or 0)}"
        if self.kind == ForecastKind.FORECAST:
            return f"forecast:{self.parameter:g}"
        return self.kind.value


# The alternatives every forecast compares with the current plan (docs/clinical.md#costs).
ALTERNATIVES = (
    ForecastPolicy(ForecastKind.FIXED, 28.0),
    ForecastPolicy(ForecastKind.SYMPTOM),
    ForecastPolicy(ForecastKind.FORECAST, PolicySettings().probability_threshold),
)


@dataclass(frozen=True)
class Durability:
    """A patient's relief durability: Weibull shape k, personal rate r ~ Gamma(a, b)."""

    shape: float
    gamma_shape: float
    gamma_rate: float

    def __post_init__(self) -> None:
        for name in ("shape", "gamma_shape", "gamma_rate"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number")

    @classmethod
    def from_prior(
        cls, prior: PopulationPrior, events: float = 0.0, exposure: float = 0.0
    ) -> Durability:
        """The empirical-Bayes posterior after d = ``events`` and E = ``exposure``."""
        return cls(prior.shape, prior.gamma_shape + events, prior.gamma_rate + exposure)

    def median_days(self) -> float:
        """The predictive median relief interval (the engine's "usual interval")."""
        return posterior_median(self.gamma_shape, self.gamma_rate, self.shape)


@dataclass(frozen=True)
class ForecastPatient:
    """One patient to forecast. ``key`` seeds their draws (e.g. the patient id)."""

    key: int
    durability: Durability
    baseline_phq9: float
    remission: bool = False
    daily_check: bool = False
    booster_price: Decimal | None = None
    maintenance_price: Decimal | None = None

    @classmethod
    def from_history(
        cls,
        key: int,
        prior: PopulationPrior,
        history: PatientHistory,
        *,
        daily_check: bool = False,
        booster_price: Decimal | None = None,
        maintenance_price: Decimal | None = None,
    ) -> ForecastPatient | None:
        """Read who the patient is from their history, as the engine does.

        None unless the patient is in response now (responding, or a relapse-level score
        awaiting confirmation): the simulator models a responder in maintenance. The
        durability counts the closed relief intervals by the engine's rules
        (``relief_intervals``): d losses of response, E the sum of their lengths^k.
        Remission is the end-of-induction judgement (PHQ-9 < 5).
        """
        course = track_relapse(history.phq9, history.sessions, history.events)
        if course.state not in IN_RESPONSE or course.baseline is None:
            return None
        intervals = relief_intervals(history)
        events = float(sum(ended for _, ended in intervals))
        exposure = float(sum(length**prior.shape for length, _ in intervals))
        return cls(
            key=key,
            durability=Durability.from_prior(prior, events, exposure),
            baseline_phq9=course.baseline,
            remission=bool(course.remitted_at_end_of_induction),
            daily_check=daily_check,
            booster_price=booster_price,
            maintenance_price=maintenance_price,
        )


@dataclass(frozen=True)
class PolicyForecast:
    """One policy's next 12 months for one patient, over the simulated years.

    Costs are None when a session kind the policy gives has no price.
    """

    policy: str
    years: int
    expected_sessions: float
    sessions_low: float
    sessions_high: float
    expected_relapse_days: float
    expected_cost: float | None
    cost_low: float | None
    cost_high: float | None


@dataclass(frozen=True)
class PatientForecast:
    key: int
    median_relief_days: float
    policies: tuple[PolicyForecast, ...]


# ---------------------------------------------------------------------------------------
# Forecast


def forecast_preset(patient: ForecastPatient) -> Preset:
    """The simulator's preset for copies of this patient (module docstring, step 2)."""
    return dataclasses.replace(
        REAL_WORLD,
        name="forecast",
        baseline_mean=min(max(patient.baseline_phq9, REAL_WORLD.baseline_min), 27.0),
        # The latent SD is sqrt(baseline_sd^2 - observation_sd^2): 0 pins the set point.
        baseline_sd=REAL_WORLD.observation_sd,
        stop_after_first_share=0.0,
        response_share=1.0,
        remission_share=1.0 if patient.remission else 0.0,
        worsen_share=0.0,
        weibull_shape=patient.durability.shape,
        therapy_share=0.0,
        antidepressant_share=0.0,
        durability_correlation=0.0,
        daily_share=1.0 if patient.daily_check else 0.0,
        dropout_per_month=0.0,
        nonresponder_dropout_share=0.0,
    )


def forecast_days(preset: Preset) -> int:
    """Days to simulate: the longest evaluation and induction, then the forecast year."""
    return preset.evaluation_days[1] + preset.induction_days[1] + FORECAST_DAYS + 1


def patient_seed(seed: int, key: int, stream: int = 0) -> int:
    """A seed for one stream of one patient's draws: the run's seed, the key, the stream."""
    entropy = [seed & 0xFFFFFFFF, key & 0xFFFFFFFF, stream]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@dataclass(frozen=True)
class _Copies:
    draws: drawing.PatientDraws
    drivers: drawing.DailyDrivers
    daily: DailyNoise


def draw_copies(patient: ForecastPatient, years: int, seed: int) -> _Copies:
    """Draw ``years`` simulated copies of one patient, each with its own rate r."""
    preset = forecast_preset(patient)
    days = forecast_days(preset)
    rngs = random_streams(patient_seed(seed, patient.key))
    draws = drawing.draw_patients(years, days, 1, preset, rngs)
    drivers = drawing.draw_daily_drivers(years, days, preset, rngs)
    daily = draw_daily_noise(draws, days, preset, rngs["daily"])
    d = patient.durability
    rate_rng = np.random.default_rng(patient_seed(seed, patient.key, stream=1))
    rate = rate_rng.gamma(d.gamma_shape, 1.0 / d.gamma_rate, size=years)
    scale = np.power(np.maximum(rate, 1e-300), -1.0 / d.shape)
    draws = dataclasses.replace(draws, scale_days=scale)
    return _Copies(draws=draws, drivers=drivers, daily=daily)


def _concatenate(
    parts: Sequence[_Copies],
) -> tuple[drawing.PatientDraws, drawing.DailyDrivers, DailyNoise]:
    def join(items: Sequence[object]) -> object:
        first = items[0]
        assert dataclasses.is_dataclass(first)
        return type(first)(  # type: ignore[misc]
            **{
                f.name: np.concatenate([getattr(item, f.name) for item in items])
                for f in dataclasses.fields(first)
            }
        )

    draws = join([p.draws for p in parts])
    drivers = join([p.drivers for p in parts])
    offsets = np.cumsum([0] + [p.draws.set_point.shape[0] for p in parts[:-1]])
    daily = DailyNoise(
        keepers=np.concatenate(
            [p.daily.keepers + offset for p, offset in zip(parts, offsets, strict=True)]
        ).astype(np.int64),
        answer_draw=np.concatenate([p.daily.answer_draw for p in parts]),
        personal=np.concatenate([p.daily.personal for p in parts]),
        noise=np.concatenate([p.daily.noise for p in parts]),
    )
    assert isinstance(draws, drawing.PatientDraws)
    assert isinstance(drivers, drawing.DailyDrivers)
    return draws, drivers, daily


class AskingRule(Rule):
    """As needed: the patient asks for a booster once a PHQ-9 reaches their relapse bar."""

    def __init__(self, relapse_bar: FloatArray) -> None:
        self.relapse_bar = relapse_bar

    def __call__(self, view: dynamics.DayView) -> BoolArray:
        answered = view.phq9 >= 0
        result: BoolArray = answered & (view.phq9.astype(np.float64) >= self.relapse_bar)
        return result


def _rule_for(
    policy: ForecastPolicy,
    cohort: ArenaCohort,
    settings: EngineSettings,
    prior: PopulationPrior,
) -> tuple[ArenaPolicy, Rule]:
    n = int(cohort.draws.set_point.shape[0])
    if policy.kind == ForecastKind.FIXED:
        return ArenaPolicy(PolicyKind.FIXED, policy.parameter), Rule()
    if policy.kind == ForecastKind.SYMPTOM:
        symptom = SymptomRule(n)
        symptom.threshold = policy.symptom_threshold
        return ArenaPolicy(PolicyKind.SYMPTOM), symptom
    if policy.kind == ForecastKind.FORECAST:
        assert policy.parameter is not None
        rule = ForecastRule(cohort, policy.parameter, settings, prior)
        return ArenaPolicy(PolicyKind.FORECAST, policy.parameter), rule
    return ArenaPolicy(PolicyKind.SYMPTOM), AskingRule(cohort.draws.relapse_threshold)


@dataclass(frozen=True)
class YearTotals:
    """Per simulated year (row): sessions by kind in the forecast year and relapse-days."""

    boosters: Counts
    maintenance: Counts
    relapse_days: Counts


def simulate_years(
    cohort: ArenaCohort,
    policy: ForecastPolicy,
    settings: EngineSettings,
    prior: PopulationPrior,
) -> YearTotals:
    """Run one policy on every row of the cohort; count the year after induction ends."""
    arena_policy, rule = _rule_for(policy, cohort, settings, prior)
    run = run_policy(arena_policy, cohort, rule, policy.min_spacing_days)
    end = cohort.draws.induction_end_day[:, None]
    grid = np.arange(cohort.days)[None, :]
    window = (grid > end) & (grid <= end + FORECAST_DAYS)
    boosters = ((run.sessions == dynamics.BOOSTER_SESSION) & window).sum(axis=1)
    maintenance = ((run.sessions == dynamics.MAINTENANCE_SESSION) & window).sum(axis=1)
    relapse = ((np.nan_to_num(run.latent) >= drawing.RELAPSE_PHQ9) & window).sum(axis=1)
    return YearTotals(boosters, maintenance, relapse)


def forecast_costs(
    patients: Sequence[ForecastPatient],
    policies: Sequence[ForecastPolicy] | Sequence[Sequence[ForecastPolicy]],
    *,
    years: int = DEFAULT_YEARS,
    seed: int = 0,
    prior: PopulationPrior | None = None,
    settings: EngineSettings | None = None,
) -> list[PatientForecast]:
    """Forecast the next 12 months of each patient under each policy (module docstring).

    ``policies`` is one list for everyone or one list per patient (e.g. their own plan
    first, then the alternatives). Patients are simulated together in chunks of rows;
    a patient's numbers do not depend on the others in the batch.
    """
    if years < 2:
        raise ValueError("simulate at least 2 years per policy")
    if not patients:
        return []
    per_patient: list[Sequence[ForecastPolicy]]
    if policies and isinstance(policies[0], ForecastPolicy):
        per_patient = [policies] * len(patients)  # type: ignore[list-item]
    else:
        per_patient = list(policies)  # type: ignore[arg-type]
    if len(per_patient) != len(patients):
        raise ValueError("give one list of policies, or one per patient")
    engine_settings = settings or EngineSettings()
    engine_prior = prior or PopulationPrior.default()
    # Patients who share the Weibull shape are simulated together, a chunk at a time:
    # each chunk's copies are drawn once and run under every policy its patients need.
    by_shape: dict[float, list[int]] = defaultdict(list)
    for index, patient in enumerate(patients):
        by_shape[patient.durability.shape].append(index)
    results: dict[tuple[int, ForecastPolicy], PolicyForecast] = {}
    per_chunk = max(1, CHUNK_ROWS // years)
    for members in by_shape.values():
        for start in range(0, len(members), per_chunk):
            chunk = members[start : start + per_chunk]
            copies = {index: draw_copies(patients[index], years, seed) for index in chunk}
            wanted: dict[ForecastPolicy, list[int]] = defaultdict(list)
            for index in chunk:
                for policy in dict.fromkeys(per_patient[index]):
                    wanted[policy].append(index)
            for policy, indices in wanted.items():
                draws, drivers, daily = _concatenate([copies[index] for index in indices])
                preset = forecast_preset(patients[indices[0]])
                cohort = ArenaCohort(
                    preset=preset,
                    days=forecast_days(preset),
                    draws=draws,
                    drivers=drivers,
                    daily=daily,
                )
                totals = simulate_years(cohort, policy, engine_settings, engine_prior)
                for position, index in enumerate(indices):
                    rows = slice(position * years, (position + 1) * years)
                    results[(index, policy)] = summarise(
                        policy,
                        totals.boosters[rows],
                        totals.maintenance[rows],
                        totals.relapse_days[rows],
                        patients[index],
                    )
    return [
        PatientForecast(
            key=patient.key,
            median_relief_days=patient.durability.median_days(),
            policies=tuple(results[(index, policy)] for policy in own),
        )
        for index, (patient, own) in enumerate(zip(patients, per_patient, strict=True))
    ]


def summarise(
    policy: ForecastPolicy,
    boosters: Counts,
    maintenance: Counts,
    relapse_days: Counts,
    patient: ForecastPatient,
) -> PolicyForecast:
    """Mean and 10th-90th percentiles of one patient's simulated years."""
    sessions = (boosters + maintenance).astype(np.float64)
    cost = year_costs(boosters, maintenance, patient.booster_price, patient.maintenance_price)
    low, high = interval(sessions)
    cost_low = cost_high = expected_cost = None
    if cost is not None:
        expected_cost = float(cost.mean())
        cost_low, cost_high = interval(cost)
    return PolicyForecast(
        policy=policy.label,
        years=int(sessions.size),
        expected_sessions=float(sessions.mean()),
        sessions_low=float(low),
        sessions_high=float(high),
        expected_relapse_days=float(relapse_days.mean()),
        expected_cost=expected_cost,
        cost_low=cost_low,
        cost_high=cost_high,
    )


def interval(values: FloatArray) -> tuple[float, float]:
    """The 10th and 90th percentiles as values some simulated year had: the lower end
    rounded down to one, the upper end up (a sum of prices, never a blend of two)."""
    low = float(np.percentile(values, PERCENTILES[0], method="lower"))
    high = float(np.percentile(values, PERCENTILES[1], method="higher"))
    return low, high


def year_costs(
    boosters: Counts,
    maintenance: Counts,
    booster_price: Decimal | None,
    maintenance_price: Decimal | None,
) -> FloatArray | None:
    """Each simulated year's cost; None when sessions of a kind without a price occur."""
    if (booster_price is None and boosters.any()) or (
        maintenance_price is None and maintenance.any()
    ):
        return None
    cost: FloatArray = boosters * float(booster_price or 0) + maintenance * float(
        maintenance_price or 0
    )
    return cost.astype(np.float64)
