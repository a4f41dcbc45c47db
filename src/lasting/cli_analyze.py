"""`lasting analyze durability`: Kaplan-Meier durability of an episodes.csv, no Django.

The statistics are the core's (``lasting_core.analytics``); this module reads the file,
prints a table and an ASCII curve or the JSON of docs/formats.md, and draws the SVG curve
(a Vega-Lite spec rendered by vl-convert, as the arena's frontier).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lasting_core.analytics.episodes import Episode
    from lasting_core.analytics.survival import DurabilityCurve

COMMAND = "lasting analyze durability"
ALL_EPISODES = "all"
CURVE_WIDTH = 60
CURVE_HEIGHT = 12
CURVE_MARKS = "*o+x#@%&"


class AnalyzeError(Exception):
    """A reason to stop before writing anything (said on stderr)."""


def add_analyze_command(commands: Any) -> None:
    """Add `analyze durability` to the `lasting` command table."""
    analyze = commands.add_parser("analyze", help="outcome analytics on exported files")
    actions = analyze.add_subparsers(dest="analyze_command", required=True, metavar="ANALYSIS")
    durability = actions.add_parser(
        "durability",
        help="Kaplan-Meier durability (median, S(28/56/84/182)) of an episodes.csv "
        "(docs/formats.md)",
    )
    durability.add_argument(
        "--episodes", type=Path, required=True, help="episodes.csv: episode_id,duration_days,event"
    )
    durability.add_argument(
        "--group-by",
        default=None,
        metavar="COLUMN",
        help="a curve per value of this column, compared by the log-rank test (e.g. group)",
    )
    durability.add_argument(
        "--json", action="store_true", help="print the results as JSON (docs/formats.md)"
    )
    durability.add_argument(
        "--plot", type=Path, default=None, metavar="FILE", help="also save the curves as SVG"
    )
    durability.set_defaults(handler=cmd_analyze_durability)


def cmd_analyze_durability(args: argparse.Namespace) -> int:
    """Fit one Kaplan-Meier curve per group; print it; nothing on stdout on an error."""
    from lasting_core.analytics.episodes import EpisodeFileError, read_episodes

    try:
        if args.plot is not None:
            check_plot_path(args.plot)
        text = read_text(args.episodes)
        try:
            episodes = read_episodes(text, group_by=args.group_by)
        except EpisodeFileError as error:
            raise AnalyzeError(f"{args.episodes}: {error}") from None
        curves, logrank_p = analyze_durability(episodes)
        if args.plot is not None:
            write_plot(args.plot, curves)
    except AnalyzeError as error:
        print(f"{COMMAND}: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(durability_json(curves, logrank_p)))
        return 0
    print_report(curves, logrank_p, grouped=args.group_by is not None)
    if args.plot is not None:
        print(f"Curve saved to {args.plot}")
    return 0


def read_text(path: Path) -> str:
    """Return the UTF-8 text of ``path`` (a byte-order mark is allowed)."""
    try:
        if not path.exists():
            raise AnalyzeError(f"{path}: no such file")
        if not path.is_file():
            raise AnalyzeError(f"{path}: not a regular file")
        data = path.read_bytes()
    except OSError as error:
        raise AnalyzeError(f"{path}: cannot read: {error.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise AnalyzeError(
            f"{path}: line {line}: not UTF-8 text (byte {error.start + 1}); save it as UTF-8"
        ) from None


def check_plot_path(path: Path) -> None:
    # The SVG is written beside the target and renamed onto it: never onto a device, a
    # directory or anything else that is not a regular file.
    if not path.parent.is_dir():
        raise AnalyzeError(f"{path.parent}: no such directory")
    if path.exists() and not path.is_file():
        raise AnalyzeError(f"{path}: not a regular file")


def analyze_durability(
    episodes: Sequence[Episode],
) -> tuple[list[DurabilityCurve], float | None]:
    """Return the curve of each group (by name) and the log-rank p (None ungrouped)."""
    from lasting_core.analytics.survival import fit_kaplan_meier, log_rank_p

    grouped: dict[str, tuple[list[float], list[bool]]] = {}
    for episode in episodes:
        name = ALL_EPISODES if episode.group is None else episode.group
        durations, events = grouped.setdefault(name, ([], []))
        durations.append(episode.duration_days)
        events.append(episode.event)
    curves = [
        fit_kaplan_meier(durations, events, group=name)
        for name, (durations, events) in sorted(grouped.items())
    ]
    is_grouped = any(episode.group is not None for episode in episodes)
    return curves, log_rank_p(grouped) if is_grouped else None


def _days(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def durability_json(curves: Sequence[DurabilityCurve], logrank_p: float | None) -> dict[str, Any]:
    """Return the JSON document of docs/formats.md (one object per group)."""
    groups = []
    for curve in curves:
        # A median not reached has no interval either: its lower bound alone is not one.
        reached = curve.median_days is not None
        groups.append(
            {
                "group": curve.group,
                "n": curve.n,
                "events": curve.events,
                "median_days": _days(curve.median_days),
                "median_ci": [
                    _days(curve.median_lower) if reached else None,
                    _days(curve.median_upper) if reached else None,
                ],
                "survival": {str(point.days): point.survival for point in curve.survival},
            }
        )
    return {"groups": groups, "logrank_p": logrank_p}


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _median_text(curve: DurabilityCurve) -> str:
    if curve.median_days is None:
        return "not reached"
    low, high = (
        "n.r." if bound is None else str(_days(bound))
        for bound in (curve.median_lower, curve.median_upper)
    )
    return f"{_days(curve.median_days)} ({low}-{high})"


def print_report(
    curves: Sequence[DurabilityCurve], logrank_p: float | None, *, grouped: bool
) -> None:
    """Print the table of medians and S(t), the log-rank p and the ASCII curve."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(
        title="Durability (Kaplan-Meier, 95 % intervals)",
        caption="n.r.: not reached; -: beyond the longest follow-up",
    )
    for heading in ("Group", "Episodes", "Relapses", "Median days (95 % CI)"):
        table.add_column(heading, justify="left" if heading == "Group" else "right", no_wrap=True)
    horizons = [point.days for point in curves[0].survival]
    for days in horizons:
        table.add_column(f"S({days})", justify="right")
    for curve in curves:
        cells = [_share(point.survival) for point in curve.survival]
        table.add_row(curve.group, str(curve.n), str(curve.events), _median_text(curve), *cells)
    console.print(table)
    if grouped:
        p_text = (
            "not computable (one group or no relapse)" if logrank_p is None else f"{logrank_p:.3g}"
        )
        console.print(f"Log-rank test across groups: p = {p_text}")
    console.print(ascii_curve(curves), markup=False)


def _survival_on(curve: DurabilityCurve, days: float) -> float | None:
    """Return the step curve on ``days`` (None beyond its last step)."""
    if not curve.steps or days > curve.steps[-1].days:
        return None
    value = curve.steps[0].survival
    for step in curve.steps:
        if step.days > days:
            break
        value = step.survival
    return value


def ascii_curve(
    curves: Sequence[DurabilityCurve], width: int = CURVE_WIDTH, height: int = CURVE_HEIGHT
) -> str:
    """Draw the step curves as text: survival 0-1 upward, days 0 to the longest rightward."""
    longest = max((curve.steps[-1].days for curve in curves if curve.steps), default=0.0)
    span = longest if longest > 0 else 1.0
    grid = [[" "] * width for _ in range(height + 1)]
    for index, curve in enumerate(curves):
        mark = CURVE_MARKS[index % len(CURVE_MARKS)]
        for column in range(width):
            survival = _survival_on(curve, span * column / (width - 1))
            if survival is not None:
                grid[height - round(survival * height)][column] = mark
        for step in curve.steps:  # every step shows, even between two columns
            column = round(step.days / span * (width - 1))
            grid[height - round(step.survival * height)][column] = mark
    lines = []
    for row, cells in enumerate(grid):
        label = f"{(height - row) / height:4.2f}" if row % (height // 4 or 1) == 0 else "    "
        lines.append(f"{label} |{''.join(cells)}")
    lines.append("     +" + "-" * width)
    right = f"{_days(longest)} days"
    lines.append("      0" + right.rjust(width - 1))
    legend = ", ".join(
        f"{CURVE_MARKS[i % len(CURVE_MARKS)]} {curve.group}" for i, curve in enumerate(curves)
    )
    lines.append(f"      {legend}")
    return "\n".join(lines)


def durability_chart(curves: Sequence[DurabilityCurve]) -> dict[str, Any]:
    """Return the Vega-Lite spec of the step curves with their 95 % bands."""
    import altair as alt

    rows = [
        {
            "group": curve.group,
            "days": step.days,
            "survival": round(step.survival, 4),
            "lower": round(step.lower, 4) if math.isfinite(step.lower) else None,
            "upper": round(step.upper, 4) if math.isfinite(step.upper) else None,
        }
        for curve in curves
        for step in curve.steps
    ]
    data = {"values": rows}
    x = alt.X("days:Q", title="Days since the session")
    color = alt.Color("group:N", title="Group")
    band = (
        alt.Chart(data)
        .mark_area(interpolate="step-after", opacity=0.15)
        .encode(x=x, y="lower:Q", y2="upper:Q", color=color)
    )
    line = (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y("survival:Q", title="Still in response", scale=alt.Scale(domain=[0, 1])),
            color=color,
        )
    )
    total = sum(curve.n for curve in curves)
    chart = (band + line).properties(
        title=f"Durability (Kaplan-Meier, 95 % bands), {total:,} episodes",
        width=560,
        height=320,
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def write_plot(path: Path, curves: Sequence[DurabilityCurve]) -> None:
    """Render the SVG and put it at ``path`` atomically (a temporary file renamed)."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(durability_chart(curves)).encode()
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise AnalyzeError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(svg)
        # mkstemp's private mode is kept: the curve comes from the clinic's own episodes.
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise AnalyzeError(f"cannot write {path}: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
