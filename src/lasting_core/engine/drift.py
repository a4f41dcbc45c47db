"""Drift guard and daily-item monitor (DESIGN 5.3 and 5.4), on arrays of n patients.

CUSUM: a one-sided (worsening) CUSUM on the Kalman filter's standardised innovations,
C = max(0, C + z - k), signalling while C >= h. Innovations, not raw scores: raw weekly
scores are autocorrelated and a plain CUSUM on them is slow (DESIGN 5.3). A session resets
C, since the model is re-learning the post-session level.

Daily items: each day's mean of mood, sleep and stress feeds an EWMA (lambda 0.2-0.3) that
is compared with the patient's stable-period reference: an exponentially weighted mean and
spread of earlier days, not updated on flagged days, each day's error clipped at
``reference_clip_sd`` spreads (a robust, Huber-type estimate). An item is flagged when its EWMA
lies more than ``daily_limit_sd`` EWMA standard deviations on the worse side of the
reference (lower mood or sleep, higher stress), after ``reference_min_days`` days of data.
The daily stream runs in float32: it needs no more precision, and it is the bulk of the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.engine.settings import EngineSettings

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

# The worse direction of each daily item (mood, sleep quality, stress; 0-10 each).
WORSE_DIRECTION = np.array([[-1.0], [-1.0], [1.0]], dtype=np.float32)


@dataclass
class CusumArrays:
    """CUSUM of n patients: value, check-ins in the current excursion, day it crossed h."""

    value: FloatArray
    run: FloatArray
    since: FloatArray  # NaN while below h

    @classmethod
    def empty(cls, n: int) -> CusumArrays:
        return cls(value=np.zeros(n), run=np.zeros(n), since=np.full(n, np.nan))


def step_cusum(
    c: CusumArrays,
    observed: BoolArray,
    z: FloatArray,
    day: FloatArray,
    session: BoolArray,
    settings: EngineSettings,
) -> None:
    """Add the innovations of check-ins where ``observed``; reset where ``session``."""
    value = np.maximum(c.value + z - settings.cusum_k, 0.0)
    np.copyto(c.value, value, where=observed)
    np.copyto(c.run, np.where(c.value > 0.0, c.run + 1.0, 0.0), where=observed)
    crossing = observed & (c.value >= settings.cusum_h) & np.isnan(c.since)
    np.copyto(c.since, day, where=crossing)
    np.copyto(c.since, np.nan, where=observed & (c.value < settings.cusum_h))
    np.copyto(c.value, 0.0, where=session)
    np.copyto(c.run, 0.0, where=session)
    np.copyto(c.since, np.nan, where=session)


# "Not flagged" in DailyArrays.flag_since: a sentinel, not NaN, so the step can use fmin/fmax
# (branch-free arithmetic is several times faster than masked copies on random masks).
NOT_FLAGGED = np.float32(1e30)


@dataclass
class DailyArrays:
    """Daily-item monitor of n patients, each field (3, n) float32 (item-major) but the days."""

    fast: Float32Array  # the EWMA (0 before the first value)
    ref_mean: Float32Array
    ref_var: Float32Array
    ref_days: Float32Array  # days in the reference
    flag_since: Float32Array  # days from the first cell to the flag's start; NOT_FLAGGED
    day: FloatArray  # (n,) the latest cell's day
    first_day: FloatArray  # (n,) the first cell's day (origin of flag_since)

    @classmethod
    def empty(cls, n: int) -> DailyArrays:
        def zeros3() -> Float32Array:
            return np.zeros((3, n), dtype=np.float32)

        return cls(
            fast=zeros3(),
            ref_mean=zeros3(),
            ref_var=zeros3(),
            ref_days=zeros3(),
            flag_since=np.full((3, n), NOT_FLAGGED, dtype=np.float32),
            day=np.full(n, np.nan),
            first_day=np.full(n, np.nan),
        )

    def flagged(self) -> BoolArray:
        """Return which items are flagged, (3, n)."""
        result: BoolArray = self.flag_since < NOT_FLAGGED
        return result

    def copy(self) -> DailyArrays:
        return DailyArrays(
            fast=self.fast.copy(),
            ref_mean=self.ref_mean.copy(),
            ref_var=self.ref_var.copy(),
            ref_days=self.ref_days.copy(),
            flag_since=self.flag_since.copy(),
            day=self.day.copy(),
            first_day=self.first_day.copy(),
        )

    def rows(self, start: int, stop: int) -> DailyArrays:
        """Return a view of patients start:stop (updates write through)."""
        return DailyArrays(
            fast=self.fast[:, start:stop],
            ref_mean=self.ref_mean[:, start:stop],
            ref_var=self.ref_var[:, start:stop],
            ref_days=self.ref_days[:, start:stop],
            flag_since=self.flag_since[:, start:stop],
            day=self.day[start:stop],
            first_day=self.first_day[start:stop],
        )


@dataclass(frozen=True)
class DailyConstants:
    """Float32 constants of the daily step, computed once per sweep."""

    lam: np.float32
    ref_lam: np.float32
    limit_sq: np.float32  # (limit x EWMA SD factor)^2, in units of the reference variance
    min_var: np.float32
    min_days: np.float32
    clip_sq: np.float32
    consistency: np.float32  # 1 / E[min(Z^2, c^2)]: clipped squares are unbiased for normal noise

    @classmethod
    def of(cls, settings: EngineSettings) -> DailyConstants:
        limit = settings.daily_limit_sd * settings.ewma_sd_factor
        return cls(
            lam=np.float32(settings.ewma_lambda),
            ref_lam=np.float32(settings.reference_lambda),
            limit_sq=np.float32(limit**2),
            min_var=np.float32(settings.reference_min_sd**2),
            min_days=np.float32(settings.reference_min_days),
            clip_sq=np.float32(settings.reference_clip_sd**2),
            consistency=np.float32(1.0 / _clipped_second_moment(settings.reference_clip_sd)),
        )


def _clipped_second_moment(c: float) -> float:
    """Return E[min(Z^2, c^2)] for a standard normal Z."""
    inside = math.erf(c / math.sqrt(2.0))
    density = math.exp(-c * c / 2.0) / math.sqrt(2.0 * math.pi)
    return inside - 2.0 * c * density + c * c * (1.0 - inside)


def step_daily(d: DailyArrays, cell_day: FloatArray, x: Float32Array, k: DailyConstants) -> None:
    """Fold in one daily cell per patient (NaN items, and padding, change nothing).

    Steps: 1. the EWMA starts at the first value and then moves by lambda; 2. the flag is
    judged against the reference of earlier days; 3. the reference learns from unflagged
    days only: a running mean until the exponential weight takes over; once warm, days
    beyond ``clip`` spreads leave the mean alone and their squared errors are clipped
    (consistency-corrected, so unbiased for normal noise). Masks enter as 0/1 factors:
    every update is exact where its factor is 0.
    """
    seen = x == x  # False for NaN
    value = np.fmax(x, np.float32(0.0))  # NaN -> 0, items are never negative
    has_day = cell_day == cell_day
    np.copyto(d.first_day, cell_day, where=has_day & np.isnan(d.first_day))
    np.copyto(d.day, cell_day, where=has_day)

    # 1. The EWMA: weight 1 on the first value (fast starts at 0), then lambda.
    first = d.ref_days == 0
    weight = seen * (k.lam + (1 - k.lam) * first)
    d.fast += weight * (value - d.fast)

    # 2. The flag: on the worse side of the reference, beyond the limit.
    worse = (d.fast - d.ref_mean) * WORSE_DIRECTION
    variance = np.maximum(d.ref_var, k.min_var)
    warm = d.ref_days >= k.min_days
    flagged = (worse * np.abs(worse) > k.limit_sq * variance) & seen & warm
    learn = seen & ~flagged
    since = (cell_day - d.first_day).astype(np.float32)
    np.fmin(d.flag_since, since + ~flagged * NOT_FLAGGED, out=d.flag_since)
    np.fmax(d.flag_since, learn * NOT_FLAGGED, out=d.flag_since)

    # 3. The reference.
    rate = np.maximum(1 / (d.ref_days + 1), k.ref_lam) * learn
    error = value - d.ref_mean
    # Robust once warm (before, the spread itself is still being learnt): days beyond the
    # clip do not move the mean (symmetric, so unbiased), and their squares are clipped.
    bound = k.clip_sq * variance + ~warm * NOT_FLAGGED
    square = error * error
    d.ref_mean += (rate * (square <= bound)) * error
    square = np.minimum(square, bound)
    square *= 1 + warm * (k.consistency - 1)
    d.ref_var += rate * ((1 - rate) * square - d.ref_var)
    d.ref_days += learn
