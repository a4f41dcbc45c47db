"""The daily stream compiled with numba (docs/decisions/0002-compiled-engine-loop.md).

The same step as ``drift.step_daily`` and ``drift.step_personal`` driven by
``sweep.SessionCursor``, written as one loop over a block of patients per daily cell, so
the state of a block stays in the CPU cache and each cell costs a few instructions
instead of some thirty numpy passes. The numpy functions stay the reference: a test runs
both on the same cohorts and asserts every state field is identical (float32 arithmetic
in both, in the same order).

numba is imported on first use, not with the engine, and the kernel is compiled on its
first call; numba caches the machine code on disk (``__pycache__`` beside this file, or
the user's cache folder when that is read-only). Where neither folder is writable the
kernel still compiles, without a cache; where numba is missing, ``load`` returns None and
the sweep runs the numpy reference.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np

from lasting_core.engine.drift import WORSE_DIRECTION, DailyArrays, DailyConstants

# Patients per block inside the kernel: a block's state (7 float32 fields x items) stays
# in the L1/L2 cache across the loop over cells. A performance setting only.
BLOCK_PATIENTS = 512


def _daily_kernel(
    lo: int,
    hi: int,
    d_day: Any,
    d_value: Any,
    personal: Any,
    sessions: Any,
    direction: Any,
    k: Any,
    fast: Any,
    ref_mean: Any,
    ref_var: Any,
    ref_days: Any,
    flag_since: Any,
    anchor_sum: Any,
    anchor_days: Any,
    day: Any,
    first_day: Any,
    session_day: Any,
    personal_run: Any,
    personal_day: Any,
) -> None:  # pragma: no cover - compiled; the numpy reference is drift.step_daily
    """Run patients lo:hi of the daily stream over every cell, updating the state in place.

    ``k``: float32 (lam, ref_lam, limit_sq, min_var, min_days, clip_sq, consistency,
    anchor_days), as ``DailyConstants``. ``sessions``: (s, n) session days, sorted,
    padded with +inf (``sweep.session_days``).
    """
    f32 = np.float32
    lam = k[0]
    ref_lam = k[1]
    limit_sq = k[2]
    min_var = k[3]
    min_days = k[4]
    clip_sq = k[5]
    consistency = k[6]
    anchor_max = k[7]
    not_flagged = f32(1e30)
    one = f32(1.0)
    zero = f32(0.0)
    cells = d_value.shape[0]
    items = d_value.shape[1]
    kinds = personal.shape[1]
    n_sessions = sessions.shape[0]
    since = np.empty(BLOCK_PATIENTS, dtype=np.float32)
    for block in range(lo, hi, BLOCK_PATIENTS):
        top = min(block + BLOCK_PATIENTS, hi)
        cursor = np.zeros(top - block, dtype=np.int64)
        latest = np.full(top - block, np.nan)
        for j in range(cells):
            # Per patient: the session cursor (sessions strictly before the cell's day, as
            # SessionCursor), 0. a newer session restarts the baseline, the cell's day.
            for i in range(block, top):
                c = i - block
                cell_day = d_day[j, i]
                while cursor[c] < n_sessions and sessions[cursor[c], i] < cell_day:
                    latest[c] = sessions[cursor[c], i]
                    cursor[c] += 1
                if latest[c] == latest[c] and not (latest[c] <= session_day[i]):
                    session_day[i] = latest[c]
                    for r in range(items):
                        anchor_sum[r, i] *= zero
                        anchor_days[r, i] *= zero
                if cell_day == cell_day:
                    if first_day[i] != first_day[i]:
                        first_day[i] = cell_day
                    day[i] = cell_day
                since[c] = f32(cell_day - first_day[i])
            # Per item: drift.step_daily term by term, branch-free (masks as 0/1 factors),
            # so the loop over patients runs on the CPU's vector lanes.
            # Each loop over patients works on 1-D slices (no index wrap-around), so the
            # compiler can run it on the CPU's vector lanes.
            width = top - block
            for r in range(items):
                sign = direction[r]
                xs = d_value[j, r, block:top]
                fast_r = fast[r, block:top]
                mean_r = ref_mean[r, block:top]
                var_r = ref_var[r, block:top]
                days_r = ref_days[r, block:top]
                flag_r = flag_since[r, block:top]
                sum_r = anchor_sum[r, block:top]
                count_r = anchor_days[r, block:top]
                for c in range(width):
                    x = xs[c]
                    seen = x == x
                    value = x if x > zero else zero
                    days = days_r[c]
                    mean = mean_r[c]
                    spread = var_r[c]
                    # 1. The EWMA.
                    weight = (one if days == zero else lam) * (one if seen else zero)
                    ewma = fast_r[c]
                    ewma += weight * (value - ewma)
                    fast_r[c] = ewma
                    # 2. The flag.
                    worse = (ewma - mean) * sign
                    variance = spread if spread >= min_var else min_var
                    warm = days >= min_days
                    flagged = (worse * abs(worse) > limit_sq * variance) & seen & warm
                    learn = seen & (flagged ^ True)
                    bound_since = since[c] + (zero if flagged else not_flagged)
                    flag = flag_r[c]
                    flag = bound_since if bound_since < flag else flag
                    floor = not_flagged if learn else zero
                    flag_r[c] = floor if floor > flag else flag
                    # 3. The reference.
                    inverse = one / (days + one)
                    rate = (inverse if inverse >= ref_lam else ref_lam) * (one if learn else zero)
                    error = value - mean
                    bound = clip_sq * variance if warm else not_flagged
                    square = error * error
                    mean_r[c] = mean + (rate * (one if square <= bound else zero)) * error
                    square = square if square <= bound else bound
                    square *= consistency if warm else one
                    var_r[c] = spread + rate * ((one - rate) * square - spread)
                    days_r[c] = days + (one if learn else zero)
                    # 4. The post-session baseline.
                    anchoring = one if seen & (count_r[c] < anchor_max) else zero
                    sum_r[c] += anchoring * value
                    count_r[c] += anchoring
            # The personal warning signs' streaks (drift.step_personal).
            for r in range(kinds):
                for i in range(block, top):
                    crossed = personal[j, r, i]
                    if crossed != crossed:
                        continue  # not answered: nothing changes
                    if crossed > zero:
                        if personal_day[r, i] == d_day[j, i] - 1.0:
                            personal_run[r, i] += one
                        else:
                            personal_run[r, i] = one
                        personal_day[r, i] = d_day[j, i]
                    else:
                        personal_run[r, i] = zero
                        personal_day[r, i] = np.nan


# nogil: chunks of patients run on threads; error_model "numpy": float division follows
# IEEE (as the numpy reference) instead of checking for zero, which keeps loops vectorised.
# No fastmath: the results must equal the reference's to the last bit.
_OPTIONS: dict[str, Any] = {"nogil": True, "error_model": "numpy"}


@cache
def load() -> Callable[..., None] | None:
    """Return the compiled kernel (compiled on its first call), or None without numba."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a pinned dependency
        return None
    try:
        kernel: Callable[..., None] = numba.njit(cache=True, **_OPTIONS)(_daily_kernel)
    except RuntimeError:  # no writable cache folder: compile on each process instead
        kernel = numba.njit(cache=False, **_OPTIONS)(_daily_kernel)
    return kernel


def constants_array(k: DailyConstants) -> Any:
    return np.array(
        [
            k.lam,
            k.ref_lam,
            k.limit_sq,
            k.min_var,
            k.min_days,
            k.clip_sq,
            k.consistency,
            k.anchor_days,
        ],
        dtype=np.float32,
    )


def run_daily(
    kernel: Callable[..., None],
    d: DailyArrays,
    d_day: Any,
    d_value: Any,
    personal: Any,
    sessions: Any,
    constants: Any,
    start: int,
    stop: int,
) -> None:
    """Run patients start:stop of the daily stream with the compiled kernel (in place).

    The arrays are passed whole with the patients' bounds, so every call has the same
    array types (one compiled version); ``personal`` is (cells, k, n), k may be 0.
    """
    items = d_value.shape[1]
    direction = np.ascontiguousarray(WORSE_DIRECTION[:items, 0])
    kernel(
        start,
        stop,
        d_day,
        d_value,
        personal,
        sessions,
        direction,
        constants,
        d.fast,
        d.ref_mean,
        d.ref_var,
        d.ref_days,
        d.flag_since,
        d.anchor_sum,
        d.anchor_days,
        d.day,
        d.first_day,
        d.session_day,
        d.personal_run,
        d.personal_day,
    )
