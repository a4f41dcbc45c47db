"""Output of the policy arena: arena.csv, the frontier chart (SVG and PNG) and a table.

The arena itself is pure (``lasting_core.simulation.arena``); this module only writes and
draws. The chart is Vega-Lite built with Altair and rendered by vl-convert, so no browser
is needed. No Django.
"""

from __future__ import annotations

import csv
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lasting_core.simulation.arena import ArenaResult, PolicyKind, PolicyResult
from lasting_core.simulation.arena_verdicts import (
    STEP_ORACLE_RATIO,
    TARGET_ORACLE_MARGIN,
    ForecastVerdict,
    OracleVerdict,
)

CSV_COLUMNS = (
    "policy",
    "sessions_per_patient_year",
    "relapse_days_per_patient_year",
    "relapsed_share",
    "cost_per_patient_year",
)


def _row(result: PolicyResult) -> list[str]:
    return [
        result.policy,
        f"{result.sessions_per_patient_year:.3f}",
        f"{result.relapse_days_per_patient_year:.3f}",
        f"{result.relapsed_share:.4f}",
        f"{result.cost_per_patient_year:.2f}",
    ]


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: no half-written files."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        # mkstemp makes the file private; outputs are ordinary readable files.
        Path(temporary).chmod(0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(path: Path, result: ArenaResult) -> None:
    """Write one row per policy with the columns of ``CSV_COLUMNS``."""
    lines = [",".join(CSV_COLUMNS)]
    lines += [",".join(_row(r)) for r in result.results]
    _write_atomically(path, ("\n".join(lines) + "\n").encode())


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read an arena.csv back (for tests and reports)."""
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def _family(policy: str) -> str:
    return policy.partition(":")[0]


def frontier_chart(result: ArenaResult) -> dict[str, Any]:
    """Return the Vega-Lite spec of sessions against relapse-days per patient-year."""
    rows = [
        {
            "policy": r.policy,
            "family": _family(r.policy),
            "sessions": round(r.sessions_per_patient_year, 3),
            "relapse_days": round(r.relapse_days_per_patient_year, 3),
        }
        for r in result.results
        if math.isfinite(r.sessions_per_patient_year)
    ]
    data = {"values": rows}
    x = alt.X("sessions:Q", title="Sessions per patient-year")
    y = alt.Y("relapse_days:Q", title="Relapse-days per patient-year (latent PHQ-9 ≥ 10)")
    color = alt.Color("family:N", title="Policy")
    fixed_line = (
        alt.Chart(data)
        .mark_line(strokeDash=[4, 3])
        .encode(x=x, y=y, color=color, order="sessions:Q")
        .transform_filter(alt.datum.family == "fixed")
    )
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=70)
        .encode(x=x, y=y, color=color, tooltip=["policy:N", "sessions:Q", "relapse_days:Q"])
    )
    labels = (
        alt.Chart(data)
        .mark_text(align="left", dx=7, dy=-6, fontSize=10)
        .encode(x=x, y=y, text="policy:N")
    )
    chart = (fixed_line + points + labels).properties(
        title=(
            f"Policy frontier: {result.preset}, {result.n_patients:,} patients, "
            f"{result.days} days (seed {result.seed})"
        ),
        width=560,
        height=380,
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def write_frontier(directory: Path, result: ArenaResult) -> tuple[Path, Path]:
    """Render the frontier to ``frontier.svg`` and ``frontier.png`` in ``directory``."""
    spec = frontier_chart(result)
    svg_path = directory / "frontier.svg"
    png_path = directory / "frontier.png"
    _write_atomically(svg_path, vl_convert.vegalite_to_svg(spec).encode())
    _write_atomically(png_path, vl_convert.vegalite_to_png(spec, scale=2))
    return svg_path, png_path


def results_table(result: ArenaResult) -> Table:
    table = Table(
        title=(
            f"Policy arena: {result.preset}, {result.n_patients:,} patients × {result.days} days; "
            f"{result.scored_patients:,} responders scored over "
            f"{result.patient_years:,.0f} patient-years in maintenance"
        )
    )
    for column in CSV_COLUMNS:
        table.add_column(column, justify="left" if column == "policy" else "right")
    for r in result.results:
        table.add_row(*_row(r))
    return table


def verdict_lines(verdicts: Sequence[ForecastVerdict]) -> list[str]:
    """Describe each forecast policy in plain sentences, against its targets.

    Targets: at least 30 % fewer relapse-days than the fixed schedules at the same number
    of sessions, and at most 20 % more relapse-days than the oracle."""
    lines = []
    for v in verdicts:
        if math.isnan(v.fixed_relapse_days):
            fixed = "outside the fixed schedules' range of sessions: no fixed comparison"
        else:
            change = (
                f"{v.reduction_vs_fixed:.0%} fewer"
                if v.reduction_vs_fixed >= 0
                else f"{-v.reduction_vs_fixed:.0%} more"
            )
            fixed = (
                f"{change} relapse-days than fixed schedules at "
                f"{v.sessions_per_patient_year:.2f} sessions "
                f"({v.fixed_relapse_days:.1f}; target ≥ 30 %: "
                f"{'met' if v.meets_fixed_target else 'not met'})"
            )
        oracle = (
            f"{v.excess_over_oracle:+.0%} relapse-days against the oracle "
            f"({v.oracle_relapse_days:.1f}; target ≤ +20 %: "
            f"{'met' if v.meets_oracle_target else 'not met'})"
        )
        lines.append(
            f"{v.policy}: {v.relapse_days_per_patient_year:.1f} relapse-days; {fixed}; {oracle}"
        )
    return lines


def oracle_line(verdict: OracleVerdict | None, kind: PolicyKind = PolicyKind.FORECAST) -> str:
    """One kind's curve (forecast:P, seen:K) against the oracle at the oracle's sessions (or
    why not)."""
    name = kind.value
    if verdict is None:
        hint = "a smaller K" if kind == PolicyKind.SEEN else "a lower P"
        return (
            f"{name} against the oracle at equal sessions: no verdict (needs the oracle and "
            f"two {name} policies whose sessions bracket the oracle's; add {hint})"
        )
    low, high = verdict.between
    line = (
        f"{name} against the oracle at equal sessions ({verdict.sessions_per_patient_year:.2f}"
        f" a patient-year, read between {low} and {high}): "
        f"{verdict.relapse_days:.1f} relapse-days against "
        f"{verdict.oracle_relapse_days:.1f}, {verdict.ratio:.2f} times"
    )
    if kind == PolicyKind.SEEN:
        return line + " (a bound: it sees the hidden latent PHQ-9)"
    return line + (
        f" (step ≤ {STEP_ORACLE_RATIO:g}: {'met' if verdict.meets_step else 'not met'}; "
        f"target ≤ {1 + TARGET_ORACLE_MARGIN:g}: {'met' if verdict.meets_target else 'not met'})"
    )


@contextmanager
def progress_bar(
    console: Console, policies: int, days: int
) -> Iterator[Callable[[str, int, int], None]]:
    """Yield an arena progress callback that drives one rich bar over all policy-days."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("simulating", total=policies * days)
        done: dict[str, int] = {}

        def advance(policy: str, day: int, total_days: int) -> None:
            done[policy] = day + 1
            if day % 5 == 0 or day + 1 == total_days:
                bar.update(task, completed=sum(done.values()), description=f"simulating {policy}")

        yield advance
