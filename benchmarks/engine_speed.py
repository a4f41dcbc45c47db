"""Speed of the engine (docs/benchmarks.md): batch sweep, per-patient ratio, incremental update.

1. Batch: ``--patients`` patients (default 100,000) x one year: weekly PHQ-9 (with an
   induction series and a few boosters) and a daily check (mood, sleep, stress; 20 % of
   items missing), generated directly as the engine's packed arrays. The sweep (both
   streams) plus the assessment of every patient (level, slope, P(relapse within 14 and
   28 days), crossing date with its interval, every signal's condition) is timed; turning
   the arrays into one Python object per patient is timed apart.
2. Memory: peak traced allocations during the sweep (tracemalloc) and the process's peak
   resident memory (getrusage; includes the input data).
3. Patient by patient: the same maths on a random sample of patients, one at a time
   (n = 1), extrapolated to all patients.
4. Incremental: one patient with a year of history and a stored state; the time to fold in
   one new check-in and assess (median of many), and the time to re-sweep the history.
5. Floor: one numpy pass (a sum) over the same input arrays.
6. Split on one thread: stream A and stream D, each compiled and as the numpy reference,
   the assessment. The compiled kernels' first call in a fresh process: importing numba,
   then compiling (an empty on-disk cache) or loading the machine code (a warm cache),
   the daily kernel then stream A's; each in a child process with its own
   ``NUMBA_CACHE_DIR``.

Run: .venv/bin/python benchmarks/engine_speed.py [--patients 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np

from lasting_core.engine import (
    CohortArrays,
    EngineSettings,
    PatientHistory,
    PopulationPrior,
    assess_packed,
    assess_patient,
)
from lasting_core.engine.assess import assess_arrays
from lasting_core.engine.history import BOOSTER, INDUCTION, PHQ9
from lasting_core.engine.patients import build_assessment
from lasting_core.engine.sweep import run_stream_a, run_stream_d

FIRST_CALL = """
import time
started = time.perf_counter()
import numba
imported = time.perf_counter()
import numpy as np
from lasting_core.engine import EngineSettings, pack_histories, PatientHistory
from lasting_core.engine import PopulationPrior
from lasting_core.engine.sweep import run_stream_a, run_stream_d
history = PatientHistory(phq9=((0.0, 20.0),), sessions=((1.0, "induction"),),
                         daily=((2.5, 7.0, 6.0, 3.0),))
arrays = pack_histories([history])
loaded = time.perf_counter()
run_stream_d(arrays, EngineSettings(), compiled=True)
daily = time.perf_counter()
run_stream_a(arrays, EngineSettings(), PopulationPrior.default(), compiled=True)
print(imported - started, daily - loaded, time.perf_counter() - daily)
"""


def first_call(cache_dir: str) -> tuple[float, float, float]:
    """Return (import numba, first call of the daily kernel, then of stream A's), seconds."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
    out = subprocess.run(
        [sys.executable, "-c", FIRST_CALL], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def median_time(run: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def generate(n: int, days: int, seed: int) -> CohortArrays:
    """Return packed arrays of n patients over ``days`` days (time-major)."""
    rng = np.random.default_rng(seed)
    offset = rng.integers(0, 7, n).astype(np.float64)
    weeks = days // 7
    induction = offset[None, :] + np.array([0.0, 2.0, 5.0, 7.0, 9.0, 12.0])[:, None]
    phq9_days = offset[None, :] + 7.0 * np.arange(weeks)[:, None] - 0.5
    boosters = offset[None, :] + np.array([60.0, 130.0, 200.0, 270.0])[:, None] + 0.5
    all_days = np.concatenate([phq9_days, induction, boosters])
    kinds = np.concatenate(
        [
            np.full(phq9_days.shape, PHQ9),
            np.full(induction.shape, INDUCTION),
            np.full(boosters.shape, BOOSTER),
        ]
    ).astype(np.int8)
    order = np.argsort(all_days, axis=0, kind="stable")
    a_day = np.take_along_axis(all_days, order, axis=0)
    a_kind = np.take_along_axis(kinds, order, axis=0)
    level = 17.0 - 10.0 * (a_day > offset + 12.0) + rng.normal(0.0, 2.2, a_day.shape)
    a_value = np.where(a_kind == PHQ9, np.clip(np.round(level), 0, 27), 0.0)
    d_day = np.arange(days, dtype=np.float64)[:, None] + np.zeros(n)[None, :]
    d_value = np.empty((days, 3, n), dtype=np.float32)
    usual = np.array([[7.0], [6.0], [3.0]], dtype=np.float32)
    for day in range(days):  # one day at a time keeps the generator's temporaries small
        noise = rng.standard_normal((3, n), dtype=np.float32)
        d_value[day] = np.round(np.clip(usual + noise, 0, 10))
        d_value[day][rng.random((3, n), dtype=np.float32) < 0.2] = np.nan
    return CohortArrays(a_day=a_day, a_kind=a_kind, a_value=a_value, d_day=d_day, d_value=d_value)


def take(arrays: CohortArrays, i: int) -> CohortArrays:
    return CohortArrays(
        a_day=arrays.a_day[:, i : i + 1].copy(),
        a_kind=arrays.a_kind[:, i : i + 1].copy(),
        a_value=arrays.a_value[:, i : i + 1].copy(),
        d_day=arrays.d_day[:, i : i + 1].copy(),
        d_value=arrays.d_value[:, :, i : i + 1].copy(),
    )


def history_of_column(arrays: CohortArrays, i: int) -> PatientHistory:
    kinds = {PHQ9: "phq9", INDUCTION: "induction", BOOSTER: "booster"}
    a = [
        (float(d), kinds[int(k)], float(v))
        for d, k, v in zip(
            arrays.a_day[:, i], arrays.a_kind[:, i], arrays.a_value[:, i], strict=True
        )
    ]
    daily = tuple(
        (float(d) + 0.5, *(None if np.isnan(x) else float(x) for x in row))
        for d, row in zip(arrays.d_day[:, i], arrays.d_value[:, :, i], strict=True)
    )
    return PatientHistory(
        phq9=tuple((d, v) for d, k, v in a if k == "phq9"),
        sessions=tuple((d, k) for d, k, _ in a if k != "phq9"),
        daily=daily,  # type: ignore[arg-type]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--sample", type=int, default=200, help="patients timed one by one")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="threads for the batch sweep")
    args = parser.parse_args()
    settings = EngineSettings()
    prior = PopulationPrior.default()
    n, days = args.patients, args.days

    arrays = generate(n, days, args.seed)
    as_of = float(days)
    observations = int(np.count_nonzero(arrays.a_kind == PHQ9)) + int(
        np.count_nonzero(~np.isnan(arrays.d_value).all(axis=1))
    )
    input_mb = (
        sum(
            a.nbytes
            for a in (arrays.a_day, arrays.a_kind, arrays.a_value, arrays.d_day, arrays.d_value)
        )
        / 1e6
    )

    floor = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        total = float(np.nansum(arrays.d_value)) + float(arrays.a_value.sum())
        floor.append(time.perf_counter() - started)
    plain_floor = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        total = float(arrays.d_value.sum(dtype=np.float32)) + float(arrays.a_value.sum())
        plain_floor.append(time.perf_counter() - started)
    del total

    with tempfile.TemporaryDirectory() as cache_dir:
        import_s, cold_s, cold_a_s = first_call(cache_dir)
        _, cached_s, cached_a_s = first_call(cache_dir)

    run_stream_d(take(arrays, 0), settings, compiled=True)  # compile or load in this process
    run_stream_a(take(arrays, 0), settings, prior, compiled=True)
    a_state, _ = run_stream_a(arrays, settings, prior)
    d_state, _ = run_stream_d(arrays, settings)
    split = {
        "stream A (PHQ-9, sessions), compiled": median_time(
            lambda: run_stream_a(arrays, settings, prior, compiled=True), args.repeats
        ),
        "stream A, numpy reference": median_time(
            lambda: run_stream_a(arrays, settings, prior, compiled=False), args.repeats
        ),
        "stream D (daily cells), compiled": median_time(
            lambda: run_stream_d(arrays, settings, compiled=True), args.repeats
        ),
        "stream D, numpy reference": median_time(
            lambda: run_stream_d(arrays, settings, compiled=False), args.repeats
        ),
        "assessment": median_time(
            lambda: assess_arrays(a_state, d_state, np.full(n, float(days)), settings, prior),
            args.repeats,
        ),
    }

    sweep = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        m = assess_packed(arrays, as_of, settings, prior, workers=args.workers)
        sweep.append(time.perf_counter() - started)
    single = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        assess_packed(arrays, as_of, settings, prior, workers=1)
        single.append(time.perf_counter() - started)
    tracemalloc.start()
    assess_packed(arrays, as_of, settings, prior)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    started = time.perf_counter()
    objects = [build_assessment(m, i, settings) for i in range(min(n, 10_000))]
    per_object = (time.perf_counter() - started) / len(objects)

    rng = np.random.default_rng(args.seed)
    sample = rng.choice(n, size=min(args.sample, n), replace=False)
    columns = [take(arrays, int(i)) for i in sample]
    started = time.perf_counter()
    for column in columns:
        assess_packed(column, as_of, settings, prior)
    one_by_one = (time.perf_counter() - started) / len(columns)

    history = history_of_column(arrays, int(sample[0]))
    last = history.phq9[-1][0]
    before = PatientHistory(phq9=history.phq9[:-1], sessions=history.sessions, daily=history.daily)
    state = assess_patient(before, last - 0.01, settings, prior).state
    incremental = []
    for _ in range(200):
        started = time.perf_counter()
        assess_patient(history, last, settings, prior, state=state)
        incremental.append(time.perf_counter() - started)
    resweep = []
    for _ in range(20):
        started = time.perf_counter()
        assess_patient(history, last, settings, prior)
        resweep.append(time.perf_counter() - started)

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = statistics.median(sweep)
    load = os.getloadavg()[0]
    print("## Engine speed (benchmarks/engine_speed.py)")
    print()
    print(
        f"{n:,} patients x {days} days: {observations:,} observations "
        f"(weekly PHQ-9 + daily check), input arrays {input_mb:,.0f} MB."
    )
    print()
    print("| measure | value | target |")
    print("|---|---|---|")
    print(
        f"| batch sweep + assessment, {args.workers} threads (median of {args.repeats}) | "
        f"{best:.3f} s (runs: {', '.join(f'{t:.3f}' for t in sweep)}) | <= 1 s |"
    )
    print(
        f"| the same on one thread (median of {args.repeats}) | {statistics.median(single):.3f} s"
        f" (runs: {', '.join(f'{t:.3f}' for t in single)}) | — |"
    )
    print(f"| peak traced allocations during the sweep | {traced_peak / 1e6:,.0f} MB | <= 2 GB |")
    print(
        f"| peak resident memory of the process (incl. input) | {peak_rss_mb:,.0f} MB | <= 2 GB |"
    )
    print(
        f"| same maths patient by patient (n = 1, {len(columns)} sampled, extrapolated) | "
        f"{one_by_one * 1e3:.2f} ms/patient -> {one_by_one * n:,.0f} s; ratio "
        f"{one_by_one * n / statistics.median(single):,.0f}x against one thread | >= 100x |"
    )
    print(
        f"| incremental: one new check-in on a stored state (median of 200) | "
        f"{statistics.median(incremental) * 1e3:.2f} ms | <= 5 ms |"
    )
    print(
        f"| one patient, re-sweep of a year of history (median of 20) | "
        f"{statistics.median(resweep) * 1e3:.2f} ms | — |"
    )
    print(f"| building Assessment objects with sentences | {per_object * 1e6:.0f} µs/patient | — |")
    print(
        f"| floor: one numpy pass over the input (sum; nansum) | {min(plain_floor) * 1e3:.1f} ms; "
        f"{min(floor) * 1e3:.1f} ms | — |"
    )
    print()
    print(f"Split on one thread (median of {args.repeats}):", end=" ")
    print("; ".join(f"{name} {value:.3f} s" for name, value in split.items()) + ".")
    print(
        f"Compiled kernels, first call in a fresh process: import numba {import_s:.2f} s; "
        f"then the daily kernel: compile (empty cache) {cold_s:.2f} s, or load from the "
        f"on-disk cache {cached_s:.2f} s; then stream A's: compile {cold_a_s:.2f} s, or "
        f"load {cached_a_s:.2f} s."
    )
    print(f"Sweep / floor: {best / min(plain_floor):,.0f}x the single pass over the data.")
    print(f"Load average (1 min) at the end: {load:.2f} on {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
