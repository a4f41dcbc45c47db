"""The arena's forecast policies judged against the fixed schedules and the oracle
(docs/benchmarks.md, "Policy arena")."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from lasting_core.simulation.arena import ArenaResult, PolicyKind, PolicyResult

# Targets (docs/benchmarks.md): the forecast policy should save this share of relapse-days
# against fixed schedules with the same sessions, and lie within this margin of the oracle.
TARGET_FIXED_REDUCTION = 0.30
TARGET_ORACLE_MARGIN = 0.20
# Issue 16's intermediate step: the forecast curve at the oracle's sessions within 1.5
# times the oracle's relapse-days.
STEP_ORACLE_RATIO = 1.5


def policies_of(result: ArenaResult, kind: PolicyKind) -> list[PolicyResult]:
    """The results of one parametrised kind (fixed:N, forecast:P), fewest sessions first."""
    return sorted(
        (r for r in result.results if r.policy.startswith(kind.value + ":")),
        key=lambda r: r.sessions_per_patient_year,
    )


def oracle_of(result: ArenaResult) -> PolicyResult | None:
    return next((r for r in result.results if r.policy == PolicyKind.ORACLE.value), None)


@dataclass(frozen=True)
class ForecastVerdict:
    """A forecast policy against the fixed-schedule curve and the oracle (docs/benchmarks.md).

    ``fixed_relapse_days`` interpolates the fixed schedules at the forecast's sessions per
    patient-year; NaN when that lies outside the fixed schedules' range (no verdict).
    """

    policy: str
    sessions_per_patient_year: float
    relapse_days_per_patient_year: float
    fixed_relapse_days: float
    reduction_vs_fixed: float
    oracle_relapse_days: float
    excess_over_oracle: float
    meets_fixed_target: bool
    meets_oracle_target: bool


def judge_forecasts(result: ArenaResult) -> list[ForecastVerdict]:
    """Compare each forecast policy with the fixed schedules and the oracle."""
    fixed = policies_of(result, PolicyKind.FIXED)
    oracle = oracle_of(result)
    oracle_days = oracle.relapse_days_per_patient_year if oracle else math.nan
    verdicts = []
    for r in result.results:
        if not r.policy.startswith(PolicyKind.FORECAST.value + ":"):
            continue
        x = r.sessions_per_patient_year
        fixed_days = math.nan
        if len(fixed) >= 2:
            xs = [f.sessions_per_patient_year for f in fixed]
            if xs[0] <= x <= xs[-1]:
                fixed_days = float(
                    np.interp(x, xs, [f.relapse_days_per_patient_year for f in fixed])
                )
        y = r.relapse_days_per_patient_year
        reduction = 1.0 - y / fixed_days if fixed_days > 0 else math.nan
        excess = y / oracle_days - 1.0 if oracle_days > 0 else math.nan
        verdicts.append(
            ForecastVerdict(
                policy=r.policy,
                sessions_per_patient_year=x,
                relapse_days_per_patient_year=y,
                fixed_relapse_days=fixed_days,
                reduction_vs_fixed=reduction,
                oracle_relapse_days=oracle_days,
                excess_over_oracle=excess,
                meets_fixed_target=reduction >= TARGET_FIXED_REDUCTION,
                meets_oracle_target=excess <= TARGET_ORACLE_MARGIN,
            )
        )
    return verdicts


@dataclass(frozen=True)
class OracleVerdict:
    """A kind of policy (forecast:P, seen:K) against the oracle at equal sessions: its
    curve of sessions against relapse-days (one point a parameter) read at the oracle's
    sessions."""

    kind: PolicyKind
    sessions_per_patient_year: float
    oracle_relapse_days: float
    relapse_days: float
    between: tuple[str, str]  # the two policies of the kind read between

    @property
    def ratio(self) -> float:
        return self.relapse_days / self.oracle_relapse_days

    @property
    def meets_step(self) -> bool:
        return self.ratio <= STEP_ORACLE_RATIO

    @property
    def meets_target(self) -> bool:
        return self.ratio <= 1.0 + TARGET_ORACLE_MARGIN


def judge_oracle_at_equal_sessions(
    result: ArenaResult, kind: PolicyKind = PolicyKind.FORECAST
) -> OracleVerdict | None:
    """Read the curve of one kind of policy (forecast:P by default) at the oracle's
    sessions per patient-year (linear between the two nearest parameters); None without
    an oracle, or when no pair of the kind's policies brackets the oracle's sessions (run
    a lower P, or a smaller K)."""
    oracle = oracle_of(result)
    forecasts = policies_of(result, kind)
    if oracle is None or oracle.relapse_days_per_patient_year <= 0:
        return None
    x = oracle.sessions_per_patient_year
    for low, high in itertools.pairwise(forecasts):
        x0, x1 = low.sessions_per_patient_year, high.sessions_per_patient_year
        if x0 <= x <= x1 and x1 > x0:
            y0, y1 = low.relapse_days_per_patient_year, high.relapse_days_per_patient_year
            y = y0 + (y1 - y0) * (x - x0) / (x1 - x0)
            return OracleVerdict(
                kind, x, oracle.relapse_days_per_patient_year, y, (low.policy, high.policy)
            )
    return None
