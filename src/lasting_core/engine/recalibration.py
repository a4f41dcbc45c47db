"""A monotone recalibration map of the engine's probabilities (docs/engine.md 5,
"Calibration per clinic"), fitted by Platt scaling on the logit (Platt 1999; Cox 1958).

The map is a list of knots ``(raw, calibrated)``, raw increasing and calibrated
non-decreasing; between knots it is linear, beyond them flat. Platt scaling,
``calibrated = σ(a + b logit(raw))`` with ``b > 0``, rises strictly, so the map keeps the
engine's ranking of patients: every threshold on the calibrated scale is a threshold on
the raw one. (An isotonic step map does not: it pools the highest forecasts into one
plateau, and no threshold can then separate them.)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ProbabilityMap = tuple[tuple[float, float], ...]

# Raw probabilities are read on the logit scale within these bounds (0 and 1 have none).
EDGE = 1e-4
# Choice: knots every 0.02 of raw probability; the linear interpolation between them
# differs from the logistic curve by less than 0.005.
KNOT_STEP = 0.02


def logit(p: FloatArray) -> FloatArray:
    clipped = np.clip(p, EDGE, 1.0 - EDGE)
    result: FloatArray = np.log(clipped / (1.0 - clipped))
    return result


def fit_platt(
    predicted: Sequence[float] | FloatArray, observed: Sequence[float] | FloatArray
) -> tuple[float, float]:
    """Return ``(a, b)`` of ``P(observed) = σ(a + b logit(predicted))`` by maximum likelihood.

    1. Start from the identity, ``a = 0``, ``b = 1``.
    2. Newton-Raphson on the logistic log-likelihood (the Hessian is negative definite
       while the forecasts are not all equal), at most 50 steps, each halved until the
       likelihood does not fall.
    """
    x = logit(np.asarray(predicted, dtype=float))
    y = np.asarray(observed, dtype=float)
    if x.shape != y.shape:
        raise ValueError("predicted and observed differ in length")
    design = np.column_stack([np.ones_like(x), x])

    def log_likelihood(theta: FloatArray) -> float:
        eta = design @ theta
        return float(np.sum(y * eta - np.logaddexp(0.0, eta)))

    theta = np.array([0.0, 1.0])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(design @ theta)))
        gradient = design.T @ (y - p)
        hessian = -(design.T * (p * (1.0 - p))) @ design
        step = np.linalg.solve(hessian, -gradient)
        current = log_likelihood(theta)
        scale = 1.0
        while log_likelihood(theta + scale * step) < current and scale > 1e-6:
            scale /= 2.0
        theta = theta + scale * step
        if float(np.max(np.abs(scale * step))) < 1e-9:
            break
    return float(theta[0]), float(theta[1])


def platt_map(a: float, b: float) -> ProbabilityMap:
    """Return the knots of ``σ(a + b logit(raw))`` every ``KNOT_STEP`` of raw probability."""
    if not b > 0:
        raise ValueError("a recalibration map must rise (b > 0)")
    steps = round(1.0 / KNOT_STEP)
    raw = np.linspace(0.0, 1.0, steps + 1)
    calibrated = 1.0 / (1.0 + np.exp(-(a + b * logit(raw))))
    return tuple((float(r), float(c)) for r, c in zip(raw, calibrated, strict=True))


def apply_probability_map(probabilities: FloatArray, knots: ProbabilityMap) -> FloatArray:
    """Return the probabilities through the map (NaN stays NaN; no knots: unchanged)."""
    if not knots:
        return probabilities
    raw = np.asarray([knot[0] for knot in knots])
    calibrated = np.asarray([knot[1] for knot in knots])
    mapped: FloatArray = np.interp(probabilities, raw, calibrated)
    return np.where(np.isnan(probabilities), np.nan, mapped)


def check_probability_map(knots: ProbabilityMap) -> None:
    """Raise ValueError unless the knots are a monotone map of [0, 1] into [0, 1]."""
    for raw, calibrated in knots:
        if not (0.0 <= raw <= 1.0 and 0.0 <= calibrated <= 1.0):
            raise ValueError("probability_map knots must lie in [0, 1]")
        if math.isnan(raw) or math.isnan(calibrated):
            raise ValueError("probability_map knots must be numbers")
    for (raw1, cal1), (raw2, cal2) in itertools.pairwise(knots):
        if not raw2 > raw1 or cal2 < cal1:
            raise ValueError("probability_map must rise in raw and not fall in calibrated")
