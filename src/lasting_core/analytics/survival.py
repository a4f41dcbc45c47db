"""Kaplan-Meier, log-rank and Cox models of durability, with lifelines.

Durability is reported as the Kaplan-Meier median and S(28), S(56), S(84) and S(182)
days (docs/clinical.md#durability), each with its 95 % interval (lifelines' exponential
Greenwood interval), so a clinic's curve can stand beside the published figures.
Survival beyond the longest follow-up is not estimable and is None, never the last value
carried forward; a median not reached is None too.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import median_survival_times

HORIZON_DAYS = (28, 56, 84, 182)
# Choice: a Cox model needs about 10 events per factor to be trusted (Peduzzi 1995).
EVENTS_PER_FACTOR = 10
# The proportional-hazards check flags a factor below this p-value.
PH_ALPHA = 0.05
# lifelines' Schoenfeld residuals cost O(n^2) (an np.append per row: 26 s at 50,000
# episodes), so above this many episodes the check runs on a model of a fixed random
# sample of them; the hazard ratios are always those of every episode.
PH_SAMPLE = 5000


@dataclass(frozen=True)
class SurvivalAt:
    """S(days) with its 95 % interval; None beyond the longest follow-up."""

    days: int
    survival: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class CurveStep:
    """The curve from ``days`` on (a step function), with its band and number at risk."""

    days: float
    survival: float
    lower: float
    upper: float
    at_risk: int


@dataclass(frozen=True)
class DurabilityCurve:
    """A Kaplan-Meier estimate of one group's durability."""

    group: str
    n: int
    events: int
    median_days: float | None
    median_lower: float | None
    median_upper: float | None
    survival: tuple[SurvivalAt, ...]
    steps: tuple[CurveStep, ...]

    def at(self, days: int) -> SurvivalAt:
        """Return S(days) of the reported horizons."""
        for point in self.survival:
            if point.days == days:
                return point
        raise KeyError(days)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(float(value)) else None


def fit_kaplan_meier(
    durations: Sequence[float],
    events: Sequence[bool],
    *,
    group: str = "all",
    horizons: Sequence[int] = HORIZON_DAYS,
) -> DurabilityCurve:
    """Fit the Kaplan-Meier curve of one group (at least one duration)."""
    if len(durations) == 0:
        raise ValueError("a Kaplan-Meier curve needs at least one episode")
    if len(durations) != len(events):
        raise ValueError("durations and events differ in length")
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    fitter = KaplanMeierFitter(alpha=0.05).fit(t, e)
    band = fitter.confidence_interval_survival_function_
    lower_col, upper_col = band.columns
    median = _finite(fitter.median_survival_time_)
    median_band = median_survival_times(fitter.confidence_interval_survival_function_)
    longest = float(t.max())
    survival = []
    for days in horizons:
        if days > longest:
            survival.append(SurvivalAt(days, None, None, None))
            continue
        row = band.loc[:days].iloc[-1]
        survival.append(
            SurvivalAt(
                days,
                float(fitter.survival_function_at_times(days).iloc[0]),
                float(row[lower_col]),
                float(row[upper_col]),
            )
        )
    # Whole columns at once: a label lookup per step costs seconds on a clinic's curve.
    times = fitter.survival_function_.index
    at_risk = fitter.event_table["at_risk"].reindex(times).to_numpy()
    steps = tuple(
        CurveStep(
            days=float(time), survival=float(s), lower=float(lo), upper=float(hi), at_risk=int(r)
        )
        for time, s, lo, hi, r in zip(
            times,
            fitter.survival_function_.iloc[:, 0].to_numpy(),
            band.loc[times, lower_col].to_numpy(),
            band.loc[times, upper_col].to_numpy(),
            at_risk,
            strict=True,
        )
    )
    return DurabilityCurve(
        group=group,
        n=int(t.size),
        events=int(e.sum()),
        median_days=median,
        median_lower=_finite(median_band.iloc[0, 0]),
        median_upper=_finite(median_band.iloc[0, 1]),
        survival=tuple(survival),
        steps=steps,
    )


def log_rank_p(groups: Mapping[str, tuple[Sequence[float], Sequence[bool]]]) -> float | None:
    """Return the log-rank p-value across the groups (None with fewer than two groups)."""
    named = [(name, t, e) for name, (t, e) in groups.items() if len(t) > 0]
    if len(named) < 2:
        return None
    durations = np.concatenate([np.asarray(t, dtype=float) for _, t, _ in named])
    observed = np.concatenate([np.asarray(e, dtype=bool) for _, _, e in named])
    labels = np.concatenate([np.full(len(t), name, dtype=object) for name, t, _ in named])
    if not observed.any():
        return None
    result = multivariate_logrank_test(durations, labels, observed)
    return float(result.p_value)


@dataclass(frozen=True)
class CoxTerm:
    """One factor of a Cox model: its hazard ratio, 95 % interval, p-value and PH check."""

    factor: str
    hazard_ratio: float
    lower: float
    upper: float
    p: float
    ph_p: float | None  # proportional-hazards test (rank of time); low: the HR drifts

    @property
    def holds_proportional_hazards(self) -> bool:
        return self.ph_p is None or self.ph_p >= PH_ALPHA


@dataclass(frozen=True)
class CoxModel:
    """A Cox proportional-hazards model, or why none was fitted (``too_few``)."""

    n: int
    events: int
    terms: tuple[CoxTerm, ...]
    concordance: float | None
    too_few: str | None = None
    left_out: tuple[str, ...] = ()  # factors with no variation in these data


def fit_cox(
    factors: Mapping[str, Sequence[float]],
    durations: Sequence[float],
    events: Sequence[bool],
    *,
    events_per_factor: int = EVENTS_PER_FACTOR,
    ph_sample: int = PH_SAMPLE,
) -> CoxModel:
    """Fit a Cox model of durability on numeric factors (0/1 for yes/no).

    Factors that do not vary are left out (named in ``left_out``); with fewer than
    ``events_per_factor`` relapses per factor the model is not fitted and ``too_few``
    says so in a plain sentence.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    n, n_events = int(t.size), int(e.sum())
    frame = pd.DataFrame(
        {name: np.asarray(values, dtype=float) for name, values in factors.items()}
    )
    varying = [name for name in frame.columns if frame[name].nunique() > 1]
    left_out = tuple(name for name in frame.columns if name not in varying)
    if not varying:
        return CoxModel(n, n_events, (), None, "No factor varies in these episodes.", left_out)
    needed = events_per_factor * len(varying)
    if n_events < needed:
        factors_named = "1 factor" if len(varying) == 1 else f"{len(varying)} factors"
        sentence = (
            f"Too few relapses for a model of {factors_named}: {n_events} relapses, "
            f"at least {needed} are needed ({events_per_factor} per factor)."
        )
        return CoxModel(n, n_events, (), None, sentence, left_out)
    data = frame[varying].assign(_duration=t, _event=e.astype(int))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fitter = CoxPHFitter().fit(data, duration_col="_duration", event_col="_event")
            checked, checked_fit = data, fitter
            if len(data) > ph_sample:
                rows = np.random.default_rng(0).choice(len(data), ph_sample, replace=False)
                checked = data.iloc[np.sort(rows)]
                checked_fit = CoxPHFitter().fit(
                    checked, duration_col="_duration", event_col="_event"
                )
            ph = proportional_hazard_test(checked_fit, checked, time_transform="rank")
    except ConvergenceError:
        sentence = "The model did not converge on these episodes (a factor separates them)."
        return CoxModel(n, n_events, (), None, sentence, left_out)
    summary = fitter.summary
    ph_p = ph.summary["p"]
    terms = tuple(
        CoxTerm(
            factor=str(name),
            hazard_ratio=float(summary.loc[name, "exp(coef)"]),
            lower=float(summary.loc[name, "exp(coef) lower 95%"]),
            upper=float(summary.loc[name, "exp(coef) upper 95%"]),
            p=float(summary.loc[name, "p"]),
            ph_p=float(ph_p.loc[name]) if name in ph_p.index else None,
        )
        for name in varying
    )
    return CoxModel(n, n_events, terms, float(fitter.concordance_index_), None, left_out)
