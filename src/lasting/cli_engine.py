"""`lasting replay` (the engine over CSV history) and `lasting simulate` (the policy
arena): no database, no Django."""

from __future__ import annotations

import argparse
import math
import os
import sys
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

from lasting.cli_arguments import non_negative_price, positive_int


def cmd_replay(args: argparse.Namespace) -> int:
    """Replay the engine over CSV history; no database, no Django."""
    from lasting_core.csvformats import CsvFormatError, write_alerts
    from lasting_core.replayfiles import replay_files

    optional = (args.personal_items, args.personal_observations, args.life_events)
    for path in (args.observations, args.sessions, *[p for p in optional if p is not None]):
        if not path.is_file():
            print(f"lasting replay: {path}: no such file", file=sys.stderr)
            return 1
    if not args.out.parent.is_dir():
        print(f"lasting replay: {args.out.parent}: no such directory", file=sys.stderr)
        return 1
    # The alerts are written beside the output and renamed onto it: never onto a device,
    # a directory or anything else that is not a regular file.
    if args.out.exists() and not args.out.is_file():
        print(f"lasting replay: {args.out}: not a regular file", file=sys.stderr)
        return 1
    try:
        rows = replay_files(
            args.observations,
            args.sessions,
            personal_items_path=args.personal_items,
            personal_observations_path=args.personal_observations,
            life_events_path=args.life_events,
            fit_prior=args.fit_prior,
        )
    except CsvFormatError as error:
        print(f"lasting replay: {error}", file=sys.stderr)
        return 1
    try:
        count = write_alerts(args.out, rows)
    except OSError as error:
        print(f"lasting replay: cannot write {args.out}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"{count} alerts written to {args.out}")
    return 0


DEFAULT_ARENA_POLICIES = (
    "fixed:14,fixed:28,fixed:42,fixed:56,symptom,forecast:0.3,forecast:0.5,forecast:0.7,oracle"
)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run the policy arena on a simulated cohort; no database, no Django.

    ``--workers N`` runs the cohort's shards on N processes, ``--dask ADDRESS`` on a Dask
    cluster; the results are the same either way (``run_arena``).
    """
    from rich.console import Console

    from lasting.arena_report import (
        oracle_line,
        progress_bar,
        results_table,
        verdict_lines,
        write_csv,
        write_frontier,
    )
    from lasting_core.simulation import PRESETS, arena
    from lasting_core.simulation.arena import PolicyKind, parse_policy, run_arena
    from lasting_core.simulation.arena_verdicts import (
        judge_forecasts,
        judge_oracle_at_equal_sessions,
    )

    def fail(message: str) -> int:
        print(f"lasting simulate: {message}", file=sys.stderr)
        return 2

    try:
        policies = [parse_policy(text) for text in args.policies.split(",") if text.strip()]
    except ValueError as error:
        return fail(str(error))
    if not policies:
        return fail("give at least one policy with --policies")
    if args.preset not in PRESETS:
        return fail(f"unknown preset {args.preset!r} (known: {', '.join(PRESETS)})")
    if args.patients < 1 or args.days < 1:
        return fail("--patients and --days must be at least 1")
    if not math.isfinite(args.price_per_session) or args.price_per_session < 0:
        return fail("--price-per-session must be a non-negative number")
    if args.workers < 1:
        return fail(f"--workers must be at least 1, got {args.workers}")
    if args.dask and args.workers != 1:
        return fail("give either --workers or --dask, not both")
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return fail(f"cannot create {out}: {error.strerror}")
    if not out.is_dir() or not os.access(out, os.W_OK | os.X_OK):
        return fail(f"cannot write to {out}")

    console = Console(stderr=True)
    shard_patients = arena.SHARD_PATIENTS
    shards = len(arena.shard_sizes(args.patients, shard_patients))
    with ExitStack() as stack:
        map_shards = None
        if args.dask:
            from lasting.dask_runner import DaskUnavailable, SchedulerUnreachable, dask_shard_map

            try:
                map_shards = stack.enter_context(dask_shard_map(args.dask))
            except (DaskUnavailable, SchedulerUnreachable) as error:
                return fail(str(error))
        # Shards running here report each policy-day; shards elsewhere report when done.
        here = map_shards is None and (args.workers == 1 or shards == 1)
        steps = (len(policies) * shards, args.days) if here else (shards, 1)
        advance = stack.enter_context(progress_bar(console, *steps))
        result = run_arena(
            policies,
            args.patients,
            args.days,
            preset=args.preset,
            seed=args.seed,
            price_per_session=args.price_per_session,
            progress=advance,
            workers=args.workers,
            shard_patients=shard_patients,
            map_shards=map_shards,
        )
    try:
        write_csv(out / "arena.csv", result)
        write_frontier(out, result)
    except OSError as error:
        return fail(f"cannot write to {out}: {error.strerror}")
    # Wide enough for the column names when the output is a file or a narrow terminal.
    stdout = Console(width=max(Console().width, 120))
    stdout.print(results_table(result))
    for line in verdict_lines(judge_forecasts(result)):
        stdout.print(line, highlight=False)
    stdout.print(oracle_line(judge_oracle_at_equal_sessions(result)), highlight=False)
    for kind in (PolicyKind.CLOSED, PolicyKind.SEEN):
        if any(policy.kind == kind for policy in policies):
            verdict = judge_oracle_at_equal_sessions(result, kind)
            stdout.print(oracle_line(verdict, kind), highlight=False)
    for policy in result.results:
        if policy.engine_assessments:
            stdout.print(
                f"{policy.policy}: {policy.seconds:.1f} s, of which the engine "
                f"{policy.engine_seconds:.1f} s for {policy.engine_assessments:,} assessments",
                highlight=False,
            )
    stdout.print(
        f"{result.seconds:.1f} s; wrote {out / 'arena.csv'}, frontier.svg and frontier.png",
        highlight=False,
    )
    if args.export_cohort:
        export_cohort(args, out / "cohort", stdout)
    return 0


# Simulated calendars start on a fixed day, so the same seed writes the same files.
SIMULATION_START = date(2026, 1, 5)


def export_cohort(args: argparse.Namespace, directory: Path, stdout: Any) -> None:
    """Write the preset's cohort, under a realistic clinic's policy mix, as exchange CSVs."""
    from lasting_core.simulation import simulate_cohort
    from lasting_core.simulation.export import CLINIC_POLICY_MIX, write_cohort

    cohort = simulate_cohort(
        args.patients, args.days, preset=args.preset, seed=args.seed, policy_mix=CLINIC_POLICY_MIX
    )
    counts = write_cohort(cohort, directory, SIMULATION_START)
    stdout.print(
        f"wrote the cohort to {directory}: "
        + ", ".join(f"{name} ({rows:,} rows)" for name, rows in counts.items()),
        highlight=False,
    )


def add_engine_commands(commands: Any) -> None:
    """Register `replay` and `simulate` on the `lasting` command's subparsers."""
    replay = commands.add_parser(
        "replay", help="backtest the early-warning engine on CSV history (docs/formats.md)"
    )
    replay.add_argument("--observations", type=Path, required=True, help="observations.csv")
    replay.add_argument("--sessions", type=Path, required=True, help="sessions.csv")
    replay.add_argument("--out", type=Path, required=True, help="where to write alerts.csv")
    replay.add_argument(
        "--fit-prior",
        action="store_true",
        help="fit the clinic prior on these files (looks ahead; default: published prior)",
    )
    for option, name in (
        ("--personal-items", "personal_items.csv"),
        ("--personal-observations", "personal_observations.csv"),
        ("--life-events", "life_events.csv"),
    ):
        replay.add_argument(
            option,
            type=Path,
            default=None,
            help=f"optional {name} (docs/formats.md; default: {name} beside the observations)",
        )
    replay.set_defaults(handler=cmd_replay)

    simulate = commands.add_parser(
        "simulate", help="compare booster policies on simulated patients (the policy arena)"
    )
    simulate.add_argument("--preset", default="real-world", help="real-world (default) or lab")
    simulate.add_argument(
        "--patients", type=positive_int, default=10_000, help="simulated patients (10,000)"
    )
    simulate.add_argument(
        "--days", type=positive_int, default=365, help="days simulated per patient (365)"
    )
    simulate.add_argument("--seed", type=int, default=0, help="random seed of the cohort")
    simulate.add_argument(
        "--policies",
        default=DEFAULT_ARENA_POLICIES,
        help="comma-separated: fixed:N, symptom, forecast:P, closed:P (forecast with the "
        "app's check-in schedule), seen:K (a bound), oracle",
    )
    simulate.add_argument(
        "--price-per-session",
        type=non_negative_price,
        default=500.0,
        help="price of one booster, USD (default 500: a typical US self-pay IV ketamine infusion)",
    )
    simulate.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="processes to run the cohort's shards of 25,000 patients on (default 1)",
    )
    simulate.add_argument(
        "--dask",
        metavar="ADDRESS",
        default=None,
        help="run the shards on the Dask cluster whose scheduler is at ADDRESS "
        "(tcp://host:port; needs lasting[scale] here and on the workers)",
    )
    simulate.add_argument(
        "--out", type=Path, required=True, help="directory for arena.csv and frontier.svg/png"
    )
    simulate.add_argument(
        "--export-cohort",
        action="store_true",
        help="also write DIR/cohort/: observations.csv, sessions.csv (docs/formats.md), "
        "truth.csv and latent.csv of the preset's cohort under a realistic policy mix",
    )
    simulate.set_defaults(handler=cmd_simulate)
