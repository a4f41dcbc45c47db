"""A monotone recalibration map of the engine's probabilities (docs/engine.md 5,
"Calibration per clinic"): isotonic regression of what happened on what was forecast.

The map is a list of knots ``(raw, calibrated)``, raw increasing and calibrated
non-decreasing; between knots it is linear, beyond them flat. An isotonic fit gives each
block of the pool-adjacent-violators algorithm (Ayer et al. 1955; Barlow et al. 1972) two
knots, at its lowest and highest forecast, so on the forecasts it was fitted on the map is
exactly the isotonic step function: their squared error cannot exceed the raw forecasts'.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ProbabilityMap = tuple[tuple[float, float], ...]


def fit_isotonic_map(
    predicted: Sequence[float] | FloatArray, observed: Sequence[float] | FloatArray
) -> ProbabilityMap:
    """Return the isotonic map of ``observed`` (0/1) on ``predicted``, as knots.

    1. Sort the forecasts; each starts as its own block (ties share one block).
    2. Pool adjacent violators: while a block's mean exceeds the next one's, merge them
       (weighted by their counts).
    3. Each block gives two knots, (its lowest forecast, its mean) and (its highest
       forecast, its mean); a single-forecast block gives one.
    """
    p = np.asarray(predicted, dtype=float)
    o = np.asarray(observed, dtype=float)
    if p.shape != o.shape:
        raise ValueError("predicted and observed differ in length")
    if p.size == 0:
        return ()
    order = np.argsort(p, kind="stable")
    p, o = p[order], o[order]
    values, first = np.unique(p, return_index=True)
    sums = np.add.reduceat(o, first)
    counts = np.diff(np.append(first, p.size)).astype(float)
    # Blocks as [low, high, sum, count], merged left to right.
    blocks: list[list[float]] = []
    for value, total, count in zip(values.tolist(), sums.tolist(), counts.tolist(), strict=True):
        blocks.append([value, value, total, count])
        while len(blocks) > 1 and blocks[-2][2] / blocks[-2][3] > blocks[-1][2] / blocks[-1][3]:
            low, _, total_low, count_low = blocks[-2]
            _, high, total_high, count_high = blocks.pop()
            blocks[-1] = [low, high, total_low + total_high, count_low + count_high]
    knots: list[tuple[float, float]] = []
    for low, high, total, count in blocks:
        mean = total / count
        knots.append((low, mean))
        if high > low:
            knots.append((high, mean))
    return tuple(knots)


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
    for (raw1, cal1), (raw2, cal2) in itertools.pairwise(knots):
        if not raw2 > raw1 or cal2 < cal1:
            raise ValueError("probability_map must rise in raw and not fall in calibrated")
