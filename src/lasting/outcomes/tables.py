"""The report's tables as header and rows: shown on the page and downloaded as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from lasting.outcomes.report import HORIZONS, OutcomeReport
from lasting_core.analytics.survival import DurabilityCurve

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.header)
        for row in self.rows:
            writer.writerow(["" if cell is None else _text(cell) for cell in row])
        return out.getvalue()


def _text(cell: Cell) -> str:
    if isinstance(cell, float):
        return f"{cell:.4g}"
    return str(cell)


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


SURVIVAL_HEADER = tuple(
    column for days in HORIZONS for column in (f"S({days})", f"S({days}) low", f"S({days}) high")
)
CURVE_HEADER = ("n", "relapses", "median days", "median low", "median high", *SURVIVAL_HEADER)


def curve_cells(curve: DurabilityCurve) -> tuple[Cell, ...]:
    cells: list[Cell] = [
        curve.n,
        curve.events,
        curve.median_days,
        curve.median_lower,
        curve.median_upper,
    ]
    for point in curve.survival:
        cells += [_round(point.survival), _round(point.lower), _round(point.upper)]
    return tuple(cells)


def report_tables(report: OutcomeReport) -> dict[str, Table]:
    """Every table of the page, by the name `?download=` takes."""
    tables = [
        Table(
            "funnel",
            "Induction funnel",
            ("step", "courses", "share of evaluated", "share of previous step"),
            tuple(
                (s.label, s.count, _round(s.share_of_evaluated), _round(s.share_of_previous))
                for s in report.funnel
            ),
        ),
        Table(
            "rates",
            "Response and remission",
            ("rate", "count", "of", "share", "95% low", "95% high"),
            tuple(
                (label, r.count, r.total, _round(r.share), _round(r.lower), _round(r.upper))
                for label, r in report.rates
            ),
        ),
        Table(
            "durability",
            "Durability (Kaplan-Meier), overall and by factor",
            ("factor", "group", *CURVE_HEADER, "log-rank p"),
            tuple(
                [("All episodes", "all", *curve_cells(report.overall), None)]
                if report.overall
                else []
            )
            + tuple(
                (split.label, curve.group, *curve_cells(curve), _round(split.logrank_p, 4))
                for split in report.splits
                for curve in split.curves
            ),
        ),
        Table(
            "cox",
            "Cox model of durability",
            ("factor", "hazard ratio", "95% low", "95% high", "p", "proportional hazards p"),
            tuple(
                (
                    t.factor,
                    _round(t.hazard_ratio),
                    _round(t.lower),
                    _round(t.upper),
                    _round(t.p, 4),
                    _round(t.ph_p, 4),
                )
                for t in (report.cox.terms if report.cox else ())
            ),
        ),
        Table(
            "curve",
            "Overall durability curve",
            ("days", "S", "95% low", "95% high", "at risk"),
            tuple(
                (s.days, _round(s.survival, 4), _round(s.lower, 4), _round(s.upper, 4), s.at_risk)
                for s in (report.overall.steps if report.overall else ())
            ),
        ),
        Table(
            "anchors",
            "Published durability figures",
            ("source", "population", "measure", "median days", *(f"S({d})" for d in HORIZONS)),
            tuple(
                (
                    a.source,
                    a.population,
                    a.measure,
                    a.median_days,
                    *(a.survival_at(days) for days in HORIZONS),
                )
                for a in report.anchors
            ),
        ),
    ]
    return {table.name: table for table in tables}
