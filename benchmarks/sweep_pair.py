"""One side of a before/after pair for the batch sweep (docs/benchmarks.md, ADR 0003).

Times ``assess_packed`` on the benchmark's cohort (``engine_speed.generate``: 100,000
patients x 1 year): wall time on 2 threads and on 1 (median of ``--repeats`` warm runs),
then the process's CPU time on one thread (min of ``--repeats``) for the whole and for its
parts. Under load, CPU time is the steadier of the two. Run it for the engine of another
commit by putting that commit's ``src`` first on the path:

    mkdir -p /tmp/before && git archive COMMIT src | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before/src .venv/bin/python benchmarks/sweep_pair.py --label before
    .venv/bin/python benchmarks/sweep_pair.py --label after
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
from engine_speed import generate

import lasting_core.engine
from lasting_core.engine import EngineSettings, PopulationPrior, assess_packed
from lasting_core.engine.assess import assess_arrays
from lasting_core.engine.sweep import run_stream_a, run_stream_d


def wall(run: Callable[[], object], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def cpu(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings, prior = EngineSettings(), PopulationPrior.default()
    n = args.patients
    arrays = generate(n, 365, 1)
    assess_packed(arrays, 365.0, settings, prior, workers=2)  # compile or load the kernels
    load = os.getloadavg()[0]
    two = wall(lambda: assess_packed(arrays, 365.0, settings, prior, workers=2), args.repeats)
    one = wall(lambda: assess_packed(arrays, 365.0, settings, prior, workers=1), args.repeats)
    whole = cpu(lambda: assess_packed(arrays, 365.0, settings, prior, workers=1), args.repeats)
    a_cpu = cpu(lambda: run_stream_a(arrays, settings, prior), args.repeats)
    d_cpu = cpu(lambda: run_stream_d(arrays, settings), args.repeats)
    a, _ = run_stream_a(arrays, settings, prior)
    d, _ = run_stream_d(arrays, settings)
    as_of = np.full(n, 365.0)
    m_cpu = cpu(lambda: assess_arrays(a, d, as_of, settings, prior), args.repeats)
    print(f"{args.label} ({os.path.dirname(lasting_core.engine.__file__)}):")
    print(
        f"  wall, 2 threads: median {statistics.median(two):.3f} s (runs "
        f"{', '.join(f'{t:.3f}' for t in two)}); 1 thread: median "
        f"{statistics.median(one):.3f} s (runs {', '.join(f'{t:.3f}' for t in one)})"
    )
    print(
        f"  CPU, one thread (min of {args.repeats}): sweep + assessment {whole:.3f} s; "
        f"stream A {a_cpu:.3f} s; stream D {d_cpu:.3f} s; assessment {m_cpu:.3f} s"
    )
    print(f"  load average (1 min): {load:.2f} before, {os.getloadavg()[0]:.2f} after")


if __name__ == "__main__":
    main()
