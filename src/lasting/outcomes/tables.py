"""The report's tables as header and rows: shown on the page and downloaded as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from lasting.costs.outcomes import BoosterSummary, ProposalCounts
from lasting.outcomes.report import HORIZONS, BurdenLine, OutcomeReport
from lasting.risk.performance import AlertPerformance
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


def booster_table(summary: BoosterSummary) -> Table:
    """Boosters and cost per patient-year; one row per currency (never summed across)."""
    rows: list[tuple[Cell, ...]] = [
        ("patients followed after induction", summary.patients_followed, None),
        ("patient-years of follow-up", _round(summary.patient_years, 2), None),
        ("boosters", summary.boosters, _round(summary.boosters_per_patient_year, 2)),
        ("maintenance sessions", summary.maintenance_sessions, None),
        (
            "boosters and maintenance sessions together",
            summary.boosters + summary.maintenance_sessions,
            _round(summary.maintenance_per_patient_year, 2),
        ),
        ("sessions without a price", summary.unpriced_sessions, None),
    ]
    for cost in summary.costs:
        per_year = None if cost.per_patient_year is None else str(cost.per_patient_year)
        rows.append((f"cost of all sessions ({cost.currency})", str(cost.amount), per_year))
    for cost in summary.maintenance_costs:
        per_year = None if cost.per_patient_year is None else str(cost.per_patient_year)
        rows.append(
            (f"cost of boosters and maintenance ({cost.currency})", str(cost.amount), per_year)
        )
    return Table(
        "boosters",
        f"Boosters and cost, {summary.since_on.isoformat()} to {summary.until_on.isoformat()}",
        ("what", "total", "per patient-year"),
        tuple(rows),
    )


def alert_performance_table(
    performance: AlertPerformance, proposals: ProposalCounts, burden: Sequence[BurdenLine] = ()
) -> Table:
    """The engine's replay of the last 12 months, the proposals of that window and each
    alert kind's rate a patient-year in care against its budget."""
    rate = performance.sensitivity
    burden_rows = tuple(
        row
        for line in burden
        for row in (
            (
                f"{line.label.lower()} alerts per patient-year in care",
                _round(line.per_patient_year),
            ),
            (f"{line.label.lower()} budget per patient-year", line.budget),
        )
    )
    rows: tuple[tuple[Cell, ...], ...] = (
        ("patients replayed", performance.patients_replayed),
        ("relapses", performance.relapses),
        ("relapses caught (a warning at least a week before)", performance.caught),
        ("sensitivity", _round(rate.share)),
        ("sensitivity 95 % low", _round(rate.lower)),
        ("sensitivity 95 % high", _round(rate.upper)),
        ("median lead days", performance.median_lead_days),
        ("early-warning episodes", performance.early_warning_episodes),
        ("false episodes", performance.false_episodes),
        ("false episodes still awaiting judgement", performance.false_episodes_awaiting_judgement),
        ("false episodes per at-risk patient-year", _round(performance.false_per_at_risk_year)),
        ("disengagement alerts", performance.disengagement_alerts),
        ("proposals accepted", proposals.accepted),
        ("proposals moved", proposals.moved),
        ("proposals declined", proposals.declined),
        ("proposals expired", proposals.expired),
        ("proposals open", proposals.open),
        *burden_rows,
    )
    return Table("alerts", "Alert performance, last 12 months", ("what", "value"), rows)
