"""The report of benchmarks/engine_eval.py: tables, distance to the targets, alert burden.

Shared with the script: the family and loop names and the first generator's policy mix.
"""

from __future__ import annotations

import argparse

from lasting_core.engine import ALERT_KINDS, EngineSettings, PopulationPrior, SignalKind
from lasting_core.engine.scoring import RuleScore
from lasting_core.simulation import MaintenancePolicy
from lasting_core.simulation.evaluation import REPORTING_FAMILY

# A realistic clinic: some patients without maintenance, some on a fixed schedule, most
# given boosters when symptoms return (assumption; the demo clinic uses the same mix).
POLICY_MIX = {
    MaintenancePolicy.NONE: 0.3,
    MaintenancePolicy.FIXED: 0.3,
    MaintenancePolicy.SYMPTOM: 0.4,
}
TUNING, REPORTING = "tuning", "reporting"
OPEN, CLOSED = "open", "closed"


def policy_mix(policy: str) -> dict[MaintenancePolicy, float]:
    """Return the first generator's maintenance mix for ``--policy``."""
    return dict(POLICY_MIX) if policy == "mix" else {MaintenancePolicy.NONE: 1.0}


def budget(kind: SignalKind, settings: EngineSettings) -> float | None:
    """Return the alert kind's budget per patient-year in care (None: relapses, a fact)."""
    budgets = {
        SignalKind.EARLY_WARNING: settings.early_warning_budget_per_year,
        SignalKind.DISENGAGEMENT: settings.disengagement_budget_per_year,
    }
    return budgets.get(kind)


def _fmt(value: float | None, pattern: str = "{:.0f}") -> str:
    return "–" if value is None or value != value else pattern.format(value)


def policy_text(policy: str) -> str:
    """Return the report's words for the maintenance actually simulated."""
    if policy == "none":
        return "no maintenance (natural history: induction only, no boosters)"
    names = {MaintenancePolicy.SYMPTOM: "symptom-triggered"}
    parts = [
        f"{names.get(kind, str(kind))} {round(100 * share)} %"
        for kind, share in policy_mix(policy).items()
    ]
    share = round(100 * REPORTING_FAMILY.reactive_share)
    return (
        "tuning family: policy mix " + " / ".join(parts) + f"; reporting family: {share} % of"
        " patients treated by the reactive clinic (boosters booked on their PHQ-9), the others"
        " none"
    )


TARGETS = "sensitivity >= 90 %, median lead >= 18 days, <= 0.5 false episodes per patient-year"


def distance_lines(results: list[dict[str, object]], settings: EngineSettings) -> list[str]:
    """Return the distance to each target of the engine's default on the reporting family."""
    lines = []
    for result in results:
        if result["family"] != REPORTING:
            continue
        loop = f"{result['loop']} loop"
        scores = result["scores"]
        assert isinstance(scores, dict)
        score = scores["engine (forecast)"]
        assert isinstance(score, RuleScore)
        lead = score.median_lead_caught
        lines.append(
            f"- reporting family ({result['cohort']}, {loop}), engine at p >= "
            f"{settings.early_warning_probability:.2f}: sensitivity "
            f"{_fmt(100 * score.sensitivity)} % (target 90 %, "
            f"{_distance(100 * score.sensitivity - 90.0, ' points')}); median lead "
            f"{_fmt(lead)} d (target 18, {_distance(None if lead is None else lead - 18.0, ' d')});"
            f" false episodes {_fmt(score.false_per_at_risk_year, '{:.2f}')} per at-risk pt-yr"
            f" (target 0.5, {_distance(0.5 - score.false_per_at_risk_year, '', '{:+.2f}')})"
        )
    return lines


def _distance(margin: float | None, unit: str, pattern: str = "{:+.0f}") -> str:
    if margin is None or margin != margin:
        return "not measured"
    verdict = "met" if margin >= 0 else "missed"
    return f"{verdict} by {pattern.format(margin)}{unit}"


def report(
    results: list[dict[str, object]], args: argparse.Namespace, settings: EngineSettings
) -> str:
    family = REPORTING_FAMILY
    lines = [
        "## Engine evaluation (benchmarks/engine_eval.py)",
        "",
        f"Tuning family: {args.patients} patients per cohort, {args.days} days of replay, seed"
        f" {args.seed}. Reporting family ({family.name}, fixed): {family.patients} patients,"
        f" {family.days} days, seed {family.seed} (past {family.past_seed}). Both +"
        f"{args.horizon:.0f} days to judge the last warnings; {policy_text(args.policy)}."
        " Caught = an early-warning episode open at the relapse"
        f" and begun >= {args.min_lead:.0f} days before it; engine warning at P(relapse within"
        f" 28 d) >= {settings.early_warning_probability:.2f}. Targets: {TARGETS}.",
        "",
        "| family | cohort | loop | rule | relapses | sensitivity | median lead, caught (all"
        " open) | false episodes / at-risk pt-yr | same, not cut short by a session |"
        " / enrolled pt-yr | episodes (ended by session) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        scores = result["scores"]
        assert isinstance(scores, dict)
        for rule, score in scores.items():
            assert isinstance(score, RuleScore)
            lines.append(
                f"| {result['family']} | {result['cohort']} | {result['loop']} | {rule} |"
                f" {score.relapses} | "
                f"{_fmt(100 * score.sensitivity)} % | {_fmt(score.median_lead_caught)} "
                f"({_fmt(score.median_lead_open)}) d | "
                f"{_fmt(score.false_per_at_risk_year, '{:.2f}')}"
                f" | {_fmt(score.false_not_treated_per_at_risk_year, '{:.2f}')}"
                f" | {_fmt(score.false_per_enrolled_year, '{:.2f}')} | {score.episodes} "
                f"({score.ended_by_session}) |"
            )
    lines += ["", "Distance to the targets:", "", *distance_lines(results, settings)]
    lines += [
        "",
        "Disengagement alerts per enrolled patient-year (one per episode; budget"
        f" {settings.disengagement_budget_per_year:.1f}), by days of contact that end an episode"
        f" (default {settings.disengagement_fold_days:.0f}):",
        "",
    ]
    for result in results:
        burden = result["disengagement"]
        assert isinstance(burden, dict)
        cells = ", ".join(f"{fold:.0f} d: {rate:.2f}" for fold, rate in sorted(burden.items()))
        lines.append(
            f"- {result['family']} / {result['cohort']} / {result['loop']} loop: {cells}; at the"
            f" default, {result['never_back']:.2f} of them from patients who never came back"
        )
    lines += [
        "",
        "Alert burden: the engine's alerts (one per episode) per enrolled patient-year, by"
        " kind; closed loop, the app's mid-week check-ins asked and answered per enrolled"
        " patient-year:",
        "",
        "| family | cohort | loop | " + " | ".join(str(k) for k in sorted(ALERT_KINDS)) + " |"
        " mid-week asked | answered |",
        "|---|---|---|" + "---|" * (len(ALERT_KINDS) + 2),
        "| budget (EngineSettings) | | | "
        + " | ".join(_fmt(budget(kind, settings), "{:.1f}") for kind in sorted(ALERT_KINDS))
        + " | | |",
    ]
    for result in results:
        alerts, extra = result["alerts"], result["extra"]
        assert isinstance(alerts, dict)
        assert isinstance(extra, dict)
        cells = " | ".join(f"{alerts[kind]:.2f}" for kind in sorted(ALERT_KINDS))
        lines.append(
            f"| {result['family']} | {result['cohort']} | {result['loop']} | {cells} |"
            f" {_fmt(extra.get('asked'), '{:.1f}')} | {_fmt(extra.get('answered'), '{:.1f}')} |"
        )
    lines += ["", "Priors fitted on each cohort's simulated past (another seed):", ""]
    for result in results:
        prior = result["prior"]
        assert isinstance(prior, PopulationPrior)
        if result["loop"] == CLOSED:
            lines.append(f"- {result['cohort']}, closed loop: ran in {result['seconds']:.0f} s")
            continue
        lines.append(
            f"- {result['cohort']}: shape {prior.shape:.2f}, gamma a {prior.gamma_shape:.2f}, "
            f"median relief {prior.median_days():.0f} d, rise {prior.rise_days:.0f} d "
            f"({prior.source}); ran in {result['seconds']:.0f} s"
        )
    if args.calibration:
        lines += ["", "Calibration of P(relapse criteria met within 28 days), every 14 days:", ""]
        for result in results:
            table = result["calibration"]
            assert isinstance(table, list)
            cells = ", ".join(f"{p:.2f}→{o:.2f} (n {n})" for p, o, n in table)
            lines.append(
                f"- {result['cohort']} ({result['loop']} loop): Brier {result['brier']:.3f};"
                f" predicted→observed: {cells}"
            )
    return "\n".join(lines)
