"""Probe (not a feature): would a compiled daily stream pay? (issue 16 item 5, docs/benchmarks.md)

The daily stream (stream D: the EWMA, the stable-period reference, the flag and the
post-session baseline of ``engine.drift.step_daily``) is the largest part of the batch
sweep. This script compiles the same step as one loop per patient with numba, runs it on
the speed benchmark's cohort (``engine_speed.generate``) and reports, against the numpy
reference (``engine.sweep.run_stream_d``):

1. agreement: the largest difference of every state field (float32 arithmetic in both);
2. the first call's compile time, and the median time of ``--repeats`` runs of each,
   the compiled one on one thread and on ``--threads`` threads (``prange`` over patients).

numba is not a dependency of Lasting: install it into the environment to run this
(``.venv/bin/uv pip install numba``); without it the script says so and stops. The
compiled kernel here is a measurement, not used by the engine; adopting it is an ADR.

Run: .venv/bin/python benchmarks/engine_numba_probe.py [--patients 100000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from engine_speed import generate

from lasting_core.engine import EngineSettings
from lasting_core.engine.drift import (
    NOT_FLAGGED,
    WORSE_DIRECTION,
    DailyArrays,
    DailyConstants,
)
from lasting_core.engine.sweep import run_stream_d, session_days


def build_kernel(numba: Any) -> Any:
    """Return the compiled daily stream: one loop over cells per patient (prange)."""
    f32 = np.float32

    @numba.njit(parallel=True, cache=False, nogil=True)
    def kernel(
        d_day,
        d_value,
        sessions,
        direction,
        k,
        fast,
        ref_mean,
        ref_var,
        ref_days,
        flag_since,
        anchor_sum,
        anchor_days,
        day,
        first_day,
        session_day,
    ):  # type: ignore[no-untyped-def]
        lam, ref_lam, limit_sq, min_var, min_days, clip_sq, consistency, anchor_max = k
        not_flagged = f32(1e30)
        one = f32(1.0)
        zero = f32(0.0)
        cells, items, n = d_value.shape
        width = 512  # patients per block: a block's state stays in the cache over the cells
        blocks = (n + width - 1) // width
        for b in numba.prange(blocks):
            lo = b * width
            hi = min(lo + width, n)
            cursor = np.zeros(hi - lo, dtype=np.int64)
            latest = np.full(hi - lo, np.nan)
            for j in range(cells):
                for i in range(lo, hi):
                    cell_day = d_day[j, i]
                    if cell_day != cell_day:
                        continue  # padding
                    c = i - lo
                    while cursor[c] < sessions.shape[0] and sessions[cursor[c], i] < cell_day:
                        latest[c] = sessions[cursor[c], i]
                        cursor[c] += 1
                    if latest[c] == latest[c] and not (latest[c] <= session_day[i]):
                        session_day[i] = latest[c]
                        for r in range(items):
                            anchor_sum[r, i] = zero
                            anchor_days[r, i] = zero
                    if first_day[i] != first_day[i]:
                        first_day[i] = cell_day
                    day[i] = cell_day
                    since = f32(cell_day - first_day[i])
                    for r in range(items):
                        x = d_value[j, r, i]
                        if x != x:
                            continue  # a missing item changes nothing
                        value = max(x, zero)
                        if anchor_days[r, i] < anchor_max:
                            anchor_sum[r, i] += value
                            anchor_days[r, i] += one
                        weight = one if ref_days[r, i] == zero else lam
                        fast[r, i] += weight * (value - fast[r, i])
                        worse = (fast[r, i] - ref_mean[r, i]) * direction[r]
                        variance = max(ref_var[r, i], min_var)
                        warm = ref_days[r, i] >= min_days
                        if warm and worse * abs(worse) > limit_sq * variance:
                            flag_since[r, i] = min(flag_since[r, i], since)
                            continue  # the reference does not learn from a flagged day
                        flag_since[r, i] = not_flagged
                        rate = max(one / (ref_days[r, i] + one), ref_lam)
                        error = value - ref_mean[r, i]
                        square = error * error
                        if warm:
                            bound = clip_sq * variance
                            if square <= bound:
                                ref_mean[r, i] += rate * error
                            square = min(square, bound) * consistency
                        else:
                            ref_mean[r, i] += rate * error
                        ref_var[r, i] += rate * ((one - rate) * square - ref_var[r, i])
                        ref_days[r, i] += one

    return kernel


def run_compiled(kernel: Any, arrays: Any, settings: EngineSettings) -> DailyArrays:
    n = arrays.n_patients
    state = DailyArrays.empty(n, arrays.daily_items, arrays.personal_items)
    c = DailyConstants.of(settings)
    constants = np.array(
        [
            c.lam,
            c.ref_lam,
            c.limit_sq,
            c.min_var,
            c.min_days,
            c.clip_sq,
            c.consistency,
            c.anchor_days,
        ],
        dtype=np.float32,
    )
    direction = WORSE_DIRECTION[: arrays.daily_items, 0].copy()
    kernel(
        arrays.d_day,
        arrays.d_value,
        session_days(arrays),
        direction,
        constants,
        state.fast,
        state.ref_mean,
        state.ref_var,
        state.ref_days,
        state.flag_since,
        state.anchor_sum,
        state.anchor_days,
        state.day,
        state.first_day,
        state.session_day,
    )
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        import numba
    except ImportError:
        print("numba is not installed: .venv/bin/uv pip install numba, then run again")
        return
    settings = EngineSettings()
    arrays = generate(args.patients, args.days, args.seed)
    started = time.perf_counter()
    kernel = build_kernel(numba)
    small = generate(10, 30, args.seed)
    run_compiled(kernel, small, settings)
    print(f"numba {numba.__version__}: first call (compile) {time.perf_counter() - started:.2f} s")

    reference, _ = run_stream_d(arrays, settings)
    compiled = run_compiled(kernel, arrays, settings)
    worst = 0.0
    for f in fields(DailyArrays):
        a = np.asarray(getattr(reference, f.name), dtype=np.float64)
        b = np.asarray(getattr(compiled, f.name), dtype=np.float64)
        if f.name == "flag_since":  # NOT_FLAGGED is a sentinel, compare it as such
            a = np.where(a >= NOT_FLAGGED, -1.0, a)
            b = np.where(b >= NOT_FLAGGED, -1.0, b)
        both = np.isnan(a) & np.isnan(b)
        diff = np.where(both, 0.0, np.abs(a - b) / np.maximum(1.0, np.abs(a)))
        worst = max(worst, float(np.nanmax(diff, initial=0.0)))
        if np.isnan(diff).any():
            worst = float("inf")
        print(f"  {f.name:12s} largest relative difference {float(np.max(diff, initial=0)):.2e}")

    def timed(run: Any) -> float:
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    numpy_s = timed(lambda: run_stream_d(arrays, settings))
    numba.set_num_threads(1)
    one_s = timed(lambda: run_compiled(kernel, arrays, settings))
    numba.set_num_threads(args.threads)
    many_s = timed(lambda: run_compiled(kernel, arrays, settings))
    print(f"{args.patients} patients x {args.days} days, stream D, median of {args.repeats}:")
    print(
        f"  numpy reference {numpy_s:.3f} s; numba 1 thread {one_s:.3f} s; "
        f"{args.threads} threads {many_s:.3f} s; agreement {worst:.1e}"
    )


if __name__ == "__main__":
    main()
