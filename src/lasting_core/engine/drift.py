"""Drift guard and daily-item monitor (docs/engine.md 2.3, 2.4), on arrays of n patients.

CUSUM: a one-sided (worsening) CUSUM on the Kalman filter's standardised innovations,
C = max(0, C + z - k), signalling while C >= h. Innovations, not raw scores: raw weekly
scores are autocorrelated and a plain CUSUM on them is slow (docs/engine.md 2.3). A session resets
C, since the model is re-learning the post-session level.

Daily items: each day's mean of mood, sleep and stress feeds an EWMA (lambda 0.2-0.3) that
is compared with the patient's stable-period reference: an exponentially weighted mean and
spread of earlier days, not updated on flagged days, each day's error clipped at
``reference_clip_sd`` spreads (a robust, Huber-type estimate). An item is flagged when its EWMA
lies more than ``daily_limit_sd`` EWMA standard deviations on the worse side of the
reference (lower mood or sleep, higher stress), after ``reference_min_days`` days of data.

Daily change for the forecast: each item also keeps a post-session baseline, the plain mean
of its first ``daily_anchor_days`` days after the latest session, then held until the next
session (a session moves the level, so the baseline restarts). ``daily_change`` reads the
EWMA's change since that baseline, signed towards worse and in PHQ-9 points, with its SD.
The daily stream runs in float32: it needs no more precision, and it is the bulk of the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt

from lasting_core.engine.parameters import EngineSettings

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

# The worse direction of each daily item (mood, sleep quality, stress; 0-10 each) and of the
# personal composite (normalised so that higher is worse, history.PersonalItem.normalise).
WORSE_DIRECTION = np.array([[-1.0], [-1.0], [1.0], [1.0]], dtype=np.float32)


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
ONE = np.float32(1.0)


@dataclass
class DailyArrays:
    """Daily-item monitor of n patients.

    Each item field is (items, n) float32 (item-major; 3 items, or 4 with the personal
    composite); the days are (n,); the personal streaks are (k, n), k personal items.
    """

    fast: Float32Array  # the EWMA (0 before the first value)
    ref_mean: Float32Array
    ref_var: Float32Array
    ref_days: Float32Array  # days in the reference
    flag_since: Float32Array  # days from the first cell to the flag's start; NOT_FLAGGED
    anchor_sum: Float32Array  # sum of the post-session baseline's days
    anchor_days: Float32Array  # days in it; NOT_FLAGGED before any session
    day: FloatArray  # (n,) the latest cell's day
    first_day: FloatArray  # (n,) the first cell's day (origin of flag_since)
    session_day: FloatArray  # (n,) the session the baseline follows; NaN before any
    # (k, n): days in a row each personal item's day mean crossed its threshold, up to
    # personal_day, the latest day it did (NaN: its latest answer did not cross).
    personal_run: Float32Array = field(default_factory=lambda: _personal(0, 0)[0])
    personal_day: FloatArray = field(default_factory=lambda: _personal(0, 0)[1])

    @classmethod
    def empty(cls, n: int, items: int = 3, personal: int = 0) -> DailyArrays:
        def zeros() -> Float32Array:
            return np.zeros((items, n), dtype=np.float32)

        run, day = _personal(personal, n)
        return cls(
            fast=zeros(),
            ref_mean=zeros(),
            ref_var=zeros(),
            ref_days=zeros(),
            flag_since=np.full((items, n), NOT_FLAGGED, dtype=np.float32),
            anchor_sum=zeros(),
            anchor_days=np.full((items, n), NOT_FLAGGED, dtype=np.float32),
            day=np.full(n, np.nan),
            first_day=np.full(n, np.nan),
            session_day=np.full(n, np.nan),
            personal_run=run,
            personal_day=day,
        )

    def flagged(self) -> BoolArray:
        """Return which items are flagged, (3, n)."""
        result: BoolArray = self.flag_since < NOT_FLAGGED
        return result

    def copy(self) -> DailyArrays:
        return DailyArrays(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def rows(self, start: int, stop: int) -> DailyArrays:
        """Return a view of patients start:stop (updates write through)."""
        return DailyArrays(**{f.name: getattr(self, f.name)[..., start:stop] for f in fields(self)})


def _personal(k: int, n: int) -> tuple[Float32Array, FloatArray]:
    return np.zeros((k, n), dtype=np.float32), np.full((k, n), np.nan)


def step_personal(d: DailyArrays, cell_day: FloatArray, crossed: Float32Array) -> None:
    """Fold in one cell's personal crossings (k, n): 1 crossed, 0 not, NaN not answered.

    A crossing on the day after the item's last crossing extends its run; a crossing after
    a gap starts a new run of 1; an answer that does not cross ends the run; a day without
    an answer changes nothing (so the next crossing starts afresh unless it is the next day).
    """
    answered = crossed == crossed
    hit = answered & (crossed > 0)
    follows = d.personal_day == cell_day - 1.0
    run = np.where(hit, np.where(follows, d.personal_run + ONE, ONE), np.float32(0.0))
    np.copyto(d.personal_run, run, where=answered)
    np.copyto(d.personal_day, np.where(hit, cell_day, np.nan), where=answered)


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
    anchor_days: np.float32

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
            anchor_days=np.float32(settings.daily_anchor_days),
        )


def _clipped_second_moment(c: float) -> float:
    """Return E[min(Z^2, c^2)] for a standard normal Z."""
    inside = math.erf(c / math.sqrt(2.0))
    density = math.exp(-c * c / 2.0) / math.sqrt(2.0 * math.pi)
    return inside - 2.0 * c * density + c * c * (1.0 - inside)


def step_daily(
    d: DailyArrays,
    cell_day: FloatArray,
    x: Float32Array,
    k: DailyConstants,
    session_day: FloatArray | None = None,
) -> None:
    """Fold in one daily cell per patient (NaN items, and padding, change nothing).

    ``session_day``: each patient's latest session before the cell's day (NaN: none).
    Steps: 0. a session newer than the baseline's restarts it; 1. the EWMA starts at the
    first value and then moves by lambda; 2. the flag is judged against the reference of
    earlier days; 3. the reference learns from unflagged days only: a running mean until
    the exponential weight takes over; once warm, days beyond ``clip`` spreads leave the
    mean alone and their squared errors are clipped (consistency-corrected, so unbiased
    for normal noise); 4. the post-session baseline averages its first days. Masks enter
    as 0/1 factors: every update is exact where its factor is 0.
    """
    if session_day is not None:
        restart = ~(session_day <= d.session_day) & (session_day == session_day)
        if restart.any():
            np.copyto(d.session_day, session_day, where=restart)
            keep = ~restart
            d.anchor_sum *= keep
            d.anchor_days *= keep
    seen = x == x  # False for NaN
    value = np.fmax(x, np.float32(0.0))  # NaN -> 0, items are never negative
    has_day = cell_day == cell_day
    np.copyto(d.first_day, cell_day, where=has_day & np.isnan(d.first_day))
    np.copyto(d.day, cell_day, where=has_day)

    # 1. The EWMA: weight 1 on the first value (fast starts at 0), then lambda.
    weight = np.where(d.ref_days == 0, ONE, k.lam) * seen
    d.fast += weight * (value - d.fast)

    # 2. The flag: on the worse side of the reference, beyond the limit.
    worse = (d.fast - d.ref_mean) * WORSE_DIRECTION[: x.shape[0]]
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
    bound = np.where(warm, k.clip_sq * variance, NOT_FLAGGED)
    square = error * error
    d.ref_mean += (rate * (square <= bound)) * error
    square = np.minimum(square, bound)
    square *= np.where(warm, k.consistency, ONE)
    d.ref_var += rate * ((1 - rate) * square - d.ref_var)
    d.ref_days += learn

    # 4. The post-session baseline: a plain mean of its first days, then held (before any
    # session its day count is the NOT_FLAGGED sentinel, so nothing is added).
    anchoring = seen & (d.anchor_days < k.anchor_days)
    d.anchor_sum += anchoring * value
    d.anchor_days += anchoring


def daily_change(
    d: DailyArrays, as_of: FloatArray, settings: EngineSettings
) -> tuple[FloatArray, FloatArray]:
    """Return the daily items' change since the post-session baseline and its SD.

    In PHQ-9 points (``daily_points_per_phq9``), signed so that worse is positive: the mean
    over items with a baseline of at least ``daily_anchor_min_days`` days. The SD allows
    for the EWMA's and the baseline's AR(1) noise, each item's spread taken from its
    stable-period reference, items independent. NaN where there is no evidence: no
    baseline yet, or no daily check within ``daily_stale_days``.
    """
    phi = settings.daily_autocorrelation
    long_run = (1.0 + phi) / (1.0 - phi)  # variance factor of a long mean of AR(1) noise
    ready = (d.anchor_days >= settings.daily_anchor_min_days) & (d.anchor_days < NOT_FLAGGED)
    count = ready.sum(axis=0)
    spread_sq = np.maximum(d.ref_var, settings.reference_min_sd**2).astype(np.float64)
    anchor_days = np.where(ready, d.anchor_days, ONE)
    direction = WORSE_DIRECTION[: d.fast.shape[0]]
    worse = ((d.fast - d.anchor_sum / anchor_days) * direction).astype(np.float64)
    item_var = spread_sq * (settings.ewma_sd_factor**2 + long_run / anchor_days)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ready, worse, 0.0).sum(axis=0) / count
        var = np.where(ready, item_var, 0.0).sum(axis=0) / count**2
    current = (count > 0) & ((as_of - d.day) <= settings.daily_stale_days)
    scale = settings.daily_points_per_phq9
    change: FloatArray = np.where(current, mean / scale, np.nan)
    sd: FloatArray = np.where(current, np.sqrt(var) / scale, np.nan)
    return change, sd
