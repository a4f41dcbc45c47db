"""Two check-ins both at or above the bar, read as sharing one latent course (docs/engine.md 2.7).

The relapse criteria need two check-ins over the bar about a check-in interval apart. Each
regime's forecast gives each reading a normal distribution; the two readings share the
latent level they measure (its uncertainty today, its trend, most of its wandering), so
they are correlated, and the product of the two marginal probabilities under-counts
"both above". With ``EngineSettings.joint_readings`` the engine takes the bivariate normal
instead (``normal.bivariate_normal_cdf``); the measurement noise of each reading stays
independent.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lasting_core.engine.normal import bivariate_normal_cdf

FloatArray = npt.NDArray[np.float64]

__all__ = ["both_above_returning", "both_above_wandering"]


def _both_above(
    mean1: FloatArray,
    mean2: FloatArray,
    var1: FloatArray,
    var2: FloatArray,
    cov: FloatArray,
    c: FloatArray,
    noise: float,
) -> FloatArray:
    """Return P(Y1 > c, Y2 > c), Y_i = latent_i + independent noise of variance ``noise``."""
    sd1, sd2 = np.sqrt(var1 + noise), np.sqrt(var2 + noise)
    rho = np.clip(cov / (sd1 * sd2), 0.0, 1.0)
    # P(Y1 > c, Y2 > c) = P(-Z1 < h1, -Z2 < h2), and (-Z1, -Z2) has the same correlation.
    return bivariate_normal_cdf((mean1 - c) / sd1, (mean2 - c) / sd2, rho)


def both_above_returning(
    level: FloatArray,
    slope: FloatArray,
    p11: FloatArray,
    p12: FloatArray,
    p22: FloatArray,
    c: FloatArray,
    t1: FloatArray,
    t2: FloatArray,
    level_q: float,
    slope_q: float,
    noise: float,
) -> FloatArray:
    """Return P(readings t1 <= t2 days ahead both above c) under the returning trend.

    The level at t is level + slope t plus the state's uncertainty and the process noise:
    a random walk (``level_q`` per day, covariance level_q min(t1, t2)) and an integrated
    random walk of the slope (``slope_q`` per day, covariance slope_q t1^2 (3 t2 - t1) / 6).
    """
    state_var1 = p11 + 2.0 * t1 * p12 + t1 * t1 * p22
    state_var2 = p11 + 2.0 * t2 * p12 + t2 * t2 * p22
    var1 = state_var1 + level_q * t1 + slope_q * t1**3 / 3.0
    var2 = state_var2 + level_q * t2 + slope_q * t2**3 / 3.0
    cov = p11 + (t1 + t2) * p12 + t1 * t2 * p22 + level_q * t1 + slope_q * t1**2 * (3 * t2 - t1) / 6
    return _both_above(level + slope * t1, level + slope * t2, var1, var2, cov, c, noise)


def both_above_wandering(
    level: FloatArray,
    var: FloatArray,
    c: FloatArray,
    t1: FloatArray,
    t2: FloatArray,
    level_q: float,
    noise: float,
) -> FloatArray:
    """Return P(readings t1 <= t2 days ahead both above c) for the stable random-walk level."""
    cov = var + level_q * t1
    return _both_above(level, level, cov, var + level_q * t2, cov, c, noise)
