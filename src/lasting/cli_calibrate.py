"""`lasting calibrate`: fit an organisation's engine settings on its own history and keep
them as its next engine-settings version (docs/engine.md, "Calibration per clinic")."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lasting_core.engine import EngineSettings
    from lasting_core.engine.calibrate import Calibration, ProbabilityCalibration

COMMAND = "lasting calibrate"
DEFAULT_BUDGET = 0.5  # false early-warning episodes per at-risk patient-year (docs/engine.md 5)


def positive_budget(text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from error
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def add_calibrate_command(commands: Any) -> None:
    """Add `calibrate` to the `lasting` command table."""
    calibrate = commands.add_parser(
        "calibrate",
        help="fit an organisation's engine settings (noise, daily scale, prior, warning "
        "threshold) on its own history and store them",
    )
    calibrate.add_argument(
        "--organization", required=True, metavar="SLUG_OR_ID", help="the organisation"
    )
    calibrate.add_argument(
        "--budget",
        type=positive_budget,
        default=DEFAULT_BUDGET,
        help="false early-warning episodes allowed per at-risk patient-year "
        f"(default {DEFAULT_BUDGET})",
    )
    calibrate.add_argument("--dry-run", action="store_true", help="fit and print, store nothing")
    calibrate.set_defaults(handler=cmd_calibrate)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit, print the table, store unless --dry-run; errors on stderr, nothing stored."""
    from lasting.cli import setup_django

    setup_django()
    from django.utils import timezone

    from lasting.audit.services import Actor
    from lasting.risk.calibration import (
        UnknownOrganization,
        calibrate_organization,
        get_organization,
        store_calibration,
    )
    from lasting.risk.services import settings_for
    from lasting_core.engine.calibrate import InsufficientHistory

    try:
        organization = get_organization(args.organization)
    except UnknownOrganization as error:
        print(f"{COMMAND}: {error}", file=sys.stderr)
        return 1
    now = timezone.now()
    try:
        calibration = calibrate_organization(organization, args.budget, now)
    except InsufficientHistory as error:
        print(
            f"{COMMAND}: {organization.slug}: too little history to calibrate: {error}",
            file=sys.stderr,
        )
        return 1
    for line in report_lines(calibration, settings_for(organization.pk)):
        print(line)
    if args.dry_run:
        print("Dry run: nothing stored.")
        return 0
    stored = store_calibration(
        organization, calibration, Actor.system(COMMAND, organization.pk), now
    )
    print(f"Stored as engine settings version {stored.version} of {organization.slug}.")
    return 0


def report_lines(calibration: Calibration, current: EngineSettings) -> list[str]:
    """The fitted settings beside the current ones, what they measure, and the table."""
    score = calibration.score
    probabilities = calibration.probabilities
    prior = calibration.prior
    fitted = calibration.settings
    lines = [
        "Setting                          current   fitted",
        f"PHQ-9 observation SD (points)    {current.obs_sd:7.2f}  {fitted.obs_sd:7.2f}"
        f"   ({calibration.noise_pairs} pairs of check-ins)",
        f"daily points per PHQ-9 point     {current.daily_points_per_phq9:7.3f}  "
        f"{fitted.daily_points_per_phq9:7.3f}   "
        + (
            f"({calibration.daily_points} check-ins with daily checks)"
            if calibration.daily_points
            else "(too few daily checks: default kept)"
        ),
        f"early-warning threshold P28      {current.early_warning_probability:7.2f}  "
        f"{fitted.early_warning_probability:7.2f}   "
        + (
            f"(lowest within {calibration.budget_per_year:g} false per at-risk patient-year)"
            if calibration.budget_met
            else f"(none within {calibration.budget_per_year:g}: the highest tried)"
        ),
        f"durability prior                 k {prior.shape:.2f}, a {prior.gamma_shape:.2f}, "
        f"rise {prior.rise_days:.0f} days ({prior.source})",
        "",
        "On the clinic's history at the fitted threshold (warnings judged up to 56 days ago):",
        f"  relapses {score.relapses}, caught {score.caught} "
        f"(sensitivity {percent(score.sensitivity)}), median lead "
        f"{days(score.median_lead_caught)}",
        f"  early-warning episodes {score.episodes}, false {score.false_episodes} "
        f"({score.false_per_at_risk_year:.2f} per at-risk patient-year, "
        f"{score.at_risk_years:.1f} at-risk patient-years)",
        "  thresholds tried: "
        + ", ".join(f"{t:.2f} -> {rate:.2f}" for t, rate in calibration.thresholds),
    ]
    lines += reliability_lines("the engine's own", calibration.raw_probabilities)
    if fitted.probability_map:
        lines += reliability_lines(
            f"recalibrated by the fitted map ({len(fitted.probability_map)} knots; in-sample)",
            probabilities,
        )
    else:
        lines += ["", "No recalibration map (too few forecasts or relapses)."]
    return lines


def reliability_lines(title: str, probabilities: ProbabilityCalibration) -> list[str]:
    lines = [
        "",
        f"P(relapse within 28 days), {title}: {probabilities.forecasts} weekly forecasts, "
        f"{probabilities.relapses_within_horizon} followed by a relapse, "
        f"Brier score {probabilities.brier:.3f}",
        "  predicted bin   mean predicted   observed   forecasts",
    ]
    for bin_ in probabilities.bins:
        lines.append(
            f"  {bin_.low:4.2f}-{bin_.high:4.2f}     {bin_.mean_predicted:14.2f}"
            f"   {bin_.observed_share:8.2f}   {bin_.count:9d}"
        )
    return lines


def percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.0f} %"


def days(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} days"
