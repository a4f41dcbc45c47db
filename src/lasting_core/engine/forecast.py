"""Forecast of the relapse criteria and the expected crossing date (docs/engine.md 2.7).

F(tau) is the probability that the latent PHQ-9 reaches the patient's relapse bar
(PHQ-9 >= 10 and half the improvement lost) within tau days, from the two-regime filter
of ``returns``: a return already under way is projected along its trend; a stable patient
may wander up, or start a return early enough (the personal durability hazard, over quick
and slow kinds of return) to reach the bar in time. The criteria need two check-ins over
the bar, about a check-in interval g apart, so P(relapse criteria met within h) asks for
check-ins at h - g and at h (``returns.two_readings``; only the next one once the first
has met them). Expected crossing: the median of F with its 80 % interval (by bisection).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from lasting_core.engine.normal import normal_cdf
from lasting_core.engine.parameters import EngineSettings

FloatArray = npt.NDArray[np.float64]

__all__ = ["crossing_quantiles", "normal_cdf"]

_BISECTION_STEPS = 11  # 180 days / 2^11: about 0.1 days (shown rounded to days)


IntArray = npt.NDArray[np.int64]
Probability = Callable[[FloatArray], FloatArray]  # F(tau), element by element


def crossing_quantiles(
    probability_on: Callable[[IntArray | None], Probability],
    rows: IntArray,
    n: int,
    quantiles: tuple[float, ...],
    settings: EngineSettings,
) -> FloatArray:
    """Return, per quantile and patient, the days until F reaches it (NaN if beyond range).

    ``probability_on(None)`` evaluates F for the patients ``rows`` (of n) repeated once per
    quantile, end to end; ``probability_on(positions)`` at those positions only. Bisection on [0,
    forecast_max_days], all quantiles at once; F is treated as increasing in tau. A
    quantile F does not reach by forecast_max_days is NaN whatever the bisection finds, so
    only the reachable ones are bisected (F is elementwise: the same days either way).
    """
    result: FloatArray = np.full((len(quantiles), n), np.nan)
    if rows.size == 0:
        return result
    times = len(quantiles)
    q = np.repeat(np.asarray(quantiles, dtype=np.float64), rows.size)
    at_high = probability_on(None)(np.full(q.size, settings.forecast_max_days))
    reachable = np.flatnonzero(at_high >= q)
    probability = probability_on(reachable)
    q = q[reachable]
    low = np.zeros(q.size)
    high = np.full(q.size, settings.forecast_max_days)
    for _ in range(_BISECTION_STEPS):
        middle = 0.5 * (low + high)
        reached = probability(middle) >= q
        high = np.where(reached, middle, high)
        low = np.where(reached, low, middle)
    days = np.full(times * rows.size, np.nan)
    days[reachable] = high
    result[:, rows] = days.reshape(times, rows.size)
    return result
