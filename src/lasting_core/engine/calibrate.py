"""Calibration per clinic: fit the settings that depend on the clinic from its own history.

What a clinic's history decides (docs/engine.md, "Calibration per clinic"):

- ``obs_sd``, the PHQ-9's observation noise, from pairs of consecutive check-ins a few
  days apart with no session in between or in the week before;
- ``daily_points_per_phq9``, the daily items' scale, from the daily check around each
  PHQ-9, within patients, corrected for the PHQ-9's own noise;
- the durability prior, by ``fit_population_prior`` (the published prior without 20
  losses of response);
- ``early_warning_probability``, the lowest threshold on a grid whose false early-warning
  episodes stay within the clinic's budget per at-risk patient-year, by replay (no
  look-ahead) and the one scoring of the engine's evaluation (``scoring.score_rule``).

It also reports how well the 28-day probabilities are calibrated on that history: the
Brier score and a reliability table (predicted-probability bins against the observed
share of relapses within 28 days); with enough forecasts and relapses it fits a monotone
recalibration map (``probability_map``, Platt scaling; engine/recalibration.py) that the engine
then applies to P14 and P28, before the threshold is fitted.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lasting_core.definitions import track_relapse
from lasting_core.engine.durability import PopulationPrior, fit_population_prior
from lasting_core.engine.history import PatientHistory, pack_histories
from lasting_core.engine.parameters import EngineSettings
from lasting_core.engine.patients import assess_packed
from lasting_core.engine.recalibration import apply_probability_map, fit_platt, platt_map
from lasting_core.engine.replay import run_replay
from lasting_core.engine.scoring import (
    DAYS_PER_YEAR,
    FALSE_HORIZON_DAYS,
    MIN_LEAD_DAYS,
    RuleScore,
    early_warning_episodes,
    score_rule,
)

FloatArray = npt.NDArray[np.float64]

# The engine settings a calibration fits (the rest keep their defaults).
FITTED_FIELDS = ("obs_sd", "daily_points_per_phq9", "early_warning_probability")
MAP_FIELD = "probability_map"
# The 28-day probability's horizon, in days.
HORIZON_DAYS = 28.0
# Choice: the thresholds tried, 0.01 to 0.99 in steps of 0.01 (recalibrated probabilities
# may span a narrow range).
THRESHOLD_GRID = tuple(round(0.01 * step, 2) for step in range(1, 100))
# The reliability table's bins (the engine evaluation's); the last includes 1.
RELIABILITY_EDGES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)
# Choice: a probability every week of history is enough for the table, and cheap.
FORECAST_EVERY_DAYS = 7.0

# What a calibration needs (choices; the error names them):
MIN_NOISE_PAIRS = 30  # pairs of check-ins for the observation noise
MIN_RELAPSES = 5  # relapses before the last 56 days, for sensitivity and the threshold
MIN_AT_RISK_YEARS = 1.0  # patient-years in response before the last 56 days
MIN_DAILY_POINTS = 30  # PHQ-9 check-ins with daily checks around them (else the default)
# Forecasts and relapses within 28 days for a recalibration map (else none).
MIN_MAP_FORECASTS = 200
MIN_MAP_RELAPSES = 20

# Observation noise: pairs of consecutive check-ins 3 to 10 days apart, at least a week
# after the latest session (a session moves the level), whose mean is at least 6 points
# (a choice: further from the floor of 0, where answers are cut off; for equal noise the
# pair's mean and difference are independent, so selecting on the mean leaves the
# difference's spread alone).
PAIR_MIN_DAYS, PAIR_MAX_DAYS = 3.0, 10.0
PAIR_SETTLED_DAYS = 7.0
PAIR_MIN_MEAN = 6.0
# Winsorised at 2.5 SDs (returns under way widen the tails); the consistency factor is
# E[min(max(Z, -c), c)^2] for a standard normal Z at c = 2.5.
WINSOR_SD = 2.5
WINSOR_CONSISTENCY = 0.97753
# Daily items: the day means of the week around a PHQ-9 (3 days either side), at least 3
# days; a patient needs 4 such check-ins.
DAILY_WINDOW_DAYS = 3.0
DAILY_MIN_DAYS = 3
DAILY_MIN_POINTS_PER_PATIENT = 4


class InsufficientHistory(ValueError):
    """The history is too short to calibrate; the message says what is needed."""


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    mean_predicted: float
    observed_share: float
    count: int


@dataclass(frozen=True)
class ProbabilityCalibration:
    """How well P(relapse within 28 days) matched what followed (Brier 1950)."""

    brier: float
    bins: tuple[ReliabilityBin, ...]
    forecasts: int
    relapses_within_horizon: int


@dataclass(frozen=True)
class Calibration:
    """A clinic's fitted engine settings, with what they measure on its own history."""

    settings: EngineSettings
    prior: PopulationPrior
    budget_per_year: float
    budget_met: bool  # False: no threshold on the grid kept within the budget
    noise_pairs: int
    daily_points: int  # 0: too few, the default scale was kept
    score: RuleScore  # at the fitted threshold
    thresholds: tuple[tuple[float, float], ...]  # (threshold, false per at-risk year) tried
    raw_probabilities: ProbabilityCalibration  # the engine's own forecasts
    # Through the fitted map, on the same forecasts (in-sample); the raw ones without a map.
    probabilities: ProbabilityCalibration

    def fitted(self) -> dict[str, Any]:
        """Return the fitted settings as JSON values (``settings_from`` reads them back)."""
        values: dict[str, Any] = {
            name: float(getattr(self.settings, name)) for name in FITTED_FIELDS
        }
        values[MAP_FIELD] = [list(knot) for knot in self.settings.probability_map]
        return values


def settings_from(fitted: dict[str, Any], base: EngineSettings) -> EngineSettings:
    """Return ``base`` with the fitted values of ``Calibration.fitted`` (missing: base's)."""
    values = {name: float(fitted[name]) for name in FITTED_FIELDS if name in fitted}
    knots = tuple((float(raw), float(cal)) for raw, cal in fitted.get(MAP_FIELD, ()))
    return dataclasses.replace(
        base,
        obs_sd=values.get("obs_sd", base.obs_sd),
        daily_points_per_phq9=values.get("daily_points_per_phq9", base.daily_points_per_phq9),
        early_warning_probability=values.get(
            "early_warning_probability", base.early_warning_probability
        ),
        probability_map=knots,
    )


def relapse_days(history: PatientHistory) -> tuple[float, ...]:
    """Return the calendar days the relapse criteria were met (as the replay dates alerts)."""
    course = track_relapse(history.phq9, history.sessions, history.events)
    return tuple(float(math.floor(day)) for day in course.relapse_days)


def estimate_observation_sd(
    histories: Sequence[PatientHistory], settings: EngineSettings
) -> tuple[float, int]:
    """Return the PHQ-9's observation SD and the pairs of check-ins it rests on.

    1. Pair consecutive check-ins 3-10 days apart, with no session between them nor in the
       week before the first, whose mean is at least 6 points.
    2. The difference of a pair has variance ``2 obs_sd² + level_sd² dt`` (the level's
       random walk over the gap, docs/engine.md 2.2).
    3. Its variance is estimated robustly: winsorised at 2.5 SDs, iterated from the plain
       SD, and divided by the Gaussian consistency factor.
    """
    differences: list[float] = []
    gaps: list[float] = []
    for history in histories:
        sessions = sorted(day for day, _ in history.sessions)
        scores = sorted(history.phq9)
        for (day1, score1), (day2, score2) in itertools.pairwise(scores):
            gap = day2 - day1
            if not PAIR_MIN_DAYS <= gap <= PAIR_MAX_DAYS:
                continue
            if (score1 + score2) / 2.0 < PAIR_MIN_MEAN:
                continue
            if any(day1 - PAIR_SETTLED_DAYS <= session <= day2 for session in sessions):
                continue
            differences.append(score2 - score1)
            gaps.append(gap)
    if len(differences) < MIN_NOISE_PAIRS:
        raise InsufficientHistory(
            f"{len(differences)} pairs of PHQ-9 check-ins 3-10 days apart away from sessions; "
            f"the observation noise needs at least {MIN_NOISE_PAIRS}"
        )
    values = np.asarray(differences)
    centre = float(np.median(values))
    spread = float(np.std(values)) or 1.0
    for _ in range(20):
        limit = WINSOR_SD * spread
        clipped = np.clip(values - centre, -limit, limit)
        spread = math.sqrt(float(np.mean(clipped**2)) / WINSOR_CONSISTENCY)
    wander = settings.level_sd_per_sqrt_day**2 * float(np.mean(gaps))
    variance = max(spread**2 - wander, 0.0) / 2.0
    # Choice: no less than half a point (answers are whole points).
    return max(math.sqrt(variance), 0.5), len(differences)


def estimate_daily_scale(
    histories: Sequence[PatientHistory], obs_sd: float
) -> tuple[float | None, int]:
    """Return the daily items' points per PHQ-9 point (None: too few data) and the points.

    1. Each day with all three items gives the composite signed towards worse,
       ``(stress - mood - sleep) / 3``; around each PHQ-9 the mean of the composite over
       the days within 3 either side (at least 3 days).
    2. Within patients (4 such check-ins or more), both are centred on the patient's mean,
       so personal offsets drop out; the slope of the composite on the PHQ-9 is pooled.
    3. The PHQ-9's noise attenuates that slope: its expected share of the centred sum of
       squares, ``obs_sd² Σ (n_i - 1)``, is taken out of the denominator (errors in
       variables; Fuller 1987, 1.1).
    """
    sum_xx = 0.0
    sum_xy = 0.0
    noise_terms = 0
    points = 0
    for history in histories:
        composite: dict[int, list[float]] = {}
        for day, mood, sleep, stress in history.daily:
            if mood is None or sleep is None or stress is None:
                continue
            composite.setdefault(math.floor(day), []).append((stress - mood - sleep) / 3.0)
        if not composite:
            continue
        day_means = {day: float(np.mean(values)) for day, values in composite.items()}
        pairs: list[tuple[float, float]] = []
        for day, score in history.phq9:
            centre = math.floor(day)
            window = [
                day_means[d]
                for d in range(centre - int(DAILY_WINDOW_DAYS), centre + int(DAILY_WINDOW_DAYS) + 1)
                if d in day_means
            ]
            if len(window) >= DAILY_MIN_DAYS:
                pairs.append((score, float(np.mean(window))))
        if len(pairs) < DAILY_MIN_POINTS_PER_PATIENT:
            continue
        x = np.asarray([p[0] for p in pairs])
        y = np.asarray([p[1] for p in pairs])
        x = x - x.mean()
        y = y - y.mean()
        sum_xx += float(x @ x)
        sum_xy += float(x @ y)
        noise_terms += len(pairs) - 1
        points += len(pairs)
    signal = sum_xx - obs_sd**2 * noise_terms
    # Choice: the PHQ-9 must move at least as much as its noise, or the slope is noise.
    if points < MIN_DAILY_POINTS or signal <= 0.5 * sum_xx:
        return None, points
    scale = sum_xy / signal
    return (scale if scale > 0 else None), points


def probability_calibration(
    predicted: Sequence[float] | FloatArray,
    observed: Sequence[float] | FloatArray,
    edges: Sequence[float] = RELIABILITY_EDGES,
) -> ProbabilityCalibration:
    """Return the Brier score and the reliability table of probabilities and outcomes (0/1).

    The Brier score is the mean of ``(p - o)²``; each bin ``[low, high)`` (the last one
    closed) gives the mean predicted probability and the observed share of its forecasts.
    """
    p = np.asarray(predicted, dtype=float)
    o = np.asarray(observed, dtype=float)
    if p.shape != o.shape:
        raise ValueError("predicted and observed differ in length")
    brier = float(np.mean((p - o) ** 2)) if p.size else math.nan
    bins: list[ReliabilityBin] = []
    last = len(edges) - 2
    for index, (low, high) in enumerate(itertools.pairwise(edges)):
        inside = (p >= low) & ((p <= high) if index == last else (p < high))
        if inside.any():
            bins.append(
                ReliabilityBin(
                    low,
                    high,
                    float(p[inside].mean()),
                    float(o[inside].mean()),
                    int(inside.sum()),
                )
            )
    return ProbabilityCalibration(brier, tuple(bins), int(p.size), int(o.sum()))


def forecast_outcomes(
    histories: Mapping[str, PatientHistory],
    truth: Mapping[str, tuple[float, ...]],
    settings: EngineSettings,
    prior: PopulationPrior,
    days: Sequence[float],
) -> tuple[FloatArray, FloatArray]:
    """Return each forecast P(relapse within 28 days) and whether a relapse followed.

    Each day sees only the records before it. Only patient-days whose outcome can be seen
    and was not changed by treatment count: the patient is checking in (not disengaged)
    and has no session in the 28 days.
    """
    ids = list(histories)
    predicted: list[float] = []
    observed: list[float] = []
    for day in days:
        arrays = pack_histories([histories[i] for i in ids], day)
        m = assess_packed(arrays, day, settings, prior, crossing=False)
        for j, pid in enumerate(ids):
            p = float(m.p28[j])
            treated = any(day < d <= day + HORIZON_DAYS for d, _ in histories[pid].sessions)
            if math.isnan(p) or bool(m.disengaged[j]) or treated:
                continue
            predicted.append(p)
            observed.append(float(any(day < r <= day + HORIZON_DAYS for r in truth.get(pid, ()))))
    return np.asarray(predicted), np.asarray(observed)


def score_threshold(
    histories: Mapping[str, PatientHistory],
    truth: Mapping[str, tuple[float, ...]],
    settings: EngineSettings,
    prior: PopulationPrior,
    first_day: float,
    last_day: float,
) -> RuleScore:
    """Replay the engine from ``first_day`` to ``last_day`` and score its early warnings."""
    result = run_replay(histories, settings, prior, start_day=first_day, end_day=last_day)
    enrolled_days = sum(
        max(last_day + 1.0 - max(first, first_day), 0.0)
        for history in histories.values()
        if (first := history.first_day()) is not None
    )
    return score_rule(
        early_warning_episodes(result),
        truth,
        last_day,
        FALSE_HORIZON_DAYS,
        MIN_LEAD_DAYS,
        sum(result.at_risk_days.values()) / DAYS_PER_YEAR,
        enrolled_days / DAYS_PER_YEAR,
    )


def fit_threshold(
    histories: Mapping[str, PatientHistory],
    truth: Mapping[str, tuple[float, ...]],
    settings: EngineSettings,
    prior: PopulationPrior,
    budget_per_year: float,
    first_day: float,
    last_day: float,
) -> tuple[float, RuleScore, bool, tuple[tuple[float, float], ...]]:
    """Return the lowest threshold on the grid within the budget, its score, whether one
    was, and each threshold tried with its false episodes per at-risk patient-year.

    False episodes fall as the threshold rises, so the grid is bisected: about seven
    replays instead of 99. Without one within budget, the highest threshold.
    """
    scores: dict[float, RuleScore] = {}

    def within(index: int) -> bool:
        threshold = THRESHOLD_GRID[index]
        if threshold not in scores:
            fitted = dataclasses.replace(settings, early_warning_probability=threshold)
            scores[threshold] = score_threshold(
                histories, truth, fitted, prior, first_day, last_day
            )
        return scores[threshold].false_per_at_risk_year <= budget_per_year

    low, high = 0, len(THRESHOLD_GRID) - 1
    met = within(high)
    while low < high:
        middle = (low + high) // 2
        if within(middle):
            high = middle
        else:
            low = middle + 1
    chosen = THRESHOLD_GRID[high]
    within(high)
    tried = tuple(
        (threshold, score.false_per_at_risk_year) for threshold, score in sorted(scores.items())
    )
    return chosen, scores[chosen], met, tried


def calibrate_clinic(
    histories: Mapping[str, PatientHistory],
    budget_per_year: float,
    last_day: float,
    settings: EngineSettings | None = None,
) -> Calibration:
    """Fit a clinic's engine settings on its own history up to ``last_day``.

    1. Observation noise (``estimate_observation_sd``), then the daily items' scale with
       it (``estimate_daily_scale``; the default scale without enough daily checks).
    2. The durability prior on every history, with those settings.
    3. The calibration of P(relapse within 28 days), one forecast a week up to 28 days
       before ``last_day``, with those settings; with at least 200 forecasts and 20
       relapses within 28 days, a Platt recalibration map that the engine applies, kept
       only when it lowers the Brier score on those forecasts.
    4. The threshold (on the recalibrated probabilities), judged only where a warning can
       be judged: episodes begun and relapses met up to 56 days before ``last_day``, each
       warning judged by the relapses of the whole history.

    Raises ``InsufficientHistory`` naming what is missing.
    """
    if not budget_per_year > 0:
        raise ValueError("the false-alert budget must be positive")
    base = settings or EngineSettings()
    records = list(histories.values())
    firsts = [day for day in (h.first_day() for h in records) if day is not None]
    if not firsts:
        raise InsufficientHistory("no records: calibration needs the clinic's history")
    first_day = float(math.floor(min(firsts)))
    obs_sd, pairs = estimate_observation_sd(records, base)
    scale, daily_points = estimate_daily_scale(records, obs_sd)
    if scale is None:
        scale, daily_points = base.daily_points_per_phq9, 0
    fitted = dataclasses.replace(base, obs_sd=obs_sd, daily_points_per_phq9=scale)
    prior = fit_population_prior(records, fitted)

    truth = {pid: relapse_days(history) for pid, history in histories.items()}
    judged_day = float(math.floor(last_day - FALSE_HORIZON_DAYS))
    relapses = sum(first_day <= day <= judged_day for days in truth.values() for day in days)
    if relapses < MIN_RELAPSES:
        raise InsufficientHistory(
            f"{relapses} relapses before the last {FALSE_HORIZON_DAYS:.0f} days; "
            f"the warning threshold needs at least {MIN_RELAPSES}"
        )
    days = np.arange(first_day + FORECAST_EVERY_DAYS, last_day - HORIZON_DAYS, FORECAST_EVERY_DAYS)
    predicted, observed = forecast_outcomes(
        histories, truth, fitted, prior, [float(day) for day in days]
    )
    raw = probability_calibration(predicted, observed)
    if raw.forecasts >= MIN_MAP_FORECASTS and raw.relapses_within_horizon >= MIN_MAP_RELAPSES:
        intercept, slope = fit_platt(predicted, observed)
        if slope > 0:
            knots = platt_map(intercept, slope)
            recalibrated = probability_calibration(
                apply_probability_map(predicted, knots), observed
            )
            # Only a map that lowers the Brier score: a calibrated engine stays as it is.
            if recalibrated.brier < raw.brier:
                fitted = dataclasses.replace(fitted, probability_map=knots)
    threshold, score, met, tried = fit_threshold(
        histories, truth, fitted, prior, budget_per_year, first_day, judged_day
    )
    if score.at_risk_years < MIN_AT_RISK_YEARS:
        raise InsufficientHistory(
            f"{score.at_risk_years:.1f} patient-years in response before the last "
            f"{FALSE_HORIZON_DAYS:.0f} days; the false-alert rate needs at least "
            f"{MIN_AT_RISK_YEARS:.0f}"
        )
    fitted = dataclasses.replace(fitted, early_warning_probability=threshold)
    mapped = apply_probability_map(predicted, fitted.probability_map)
    return Calibration(
        settings=fitted,
        prior=prior,
        budget_per_year=budget_per_year,
        budget_met=met,
        noise_pairs=pairs,
        daily_points=daily_points,
        score=score,
        thresholds=tried,
        raw_probabilities=raw,
        probabilities=probability_calibration(mapped, observed),
    )
