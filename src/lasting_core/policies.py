"""Booster policies: when to propose a booster session, and in which window.

The policies, their defaults and their reasons: docs/clinical.md#maintenance-plans.

A policy reads a snapshot of the patient's risk and history and returns either nothing
or a proposal with a recommended window and the reasons. Clinicians decide; a proposal
only asks. Every default is a field of `PolicySettings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from lasting_core.definitions import DefinitionSettings


class Policy(StrEnum):
    FORECAST = "forecast"
    SYMPTOM = "symptom"
    FIXED = "fixed"
    AS_NEEDED = "as_needed"


DEFINITIONS = DefinitionSettings()


@dataclass(frozen=True)
class PolicySettings:
    """A maintenance plan's policy and its parameters (docs/clinical.md#maintenance-plans)."""

    policy: Policy = Policy.FORECAST
    # forecast: propose when P(relapse criteria met within 21 days) reaches this.
    probability_threshold: float = 0.5
    # forecast and symptom: no proposal sooner than this after a session or a proposal.
    min_spacing_days: float = 7.0
    # symptom: propose at the relapse threshold (PHQ-9 10), or on reliable worsening from
    # the nadir (IAPT: 6 points); both defaults come from the core's one definition.
    symptom_threshold: float = DEFINITIONS.relapse_threshold
    reliable_worsening_points: float = DEFINITIONS.reliable_change_phq9
    # fixed: a booster every N days (common practice: 4–6 weeks).
    fixed_interval_days: float = 42.0
    # Width of the recommended window, days (a choice: a week is schedulable for most).
    window_days: float = 7.0
    # No window shorter than this, however close the forecast crossing (a choice: a
    # window a clinic cannot schedule in is no proposal).
    min_window_days: float = 3.0
    # symptom: a PHQ-9 older than this, or from before the last session, is not acted on.
    score_freshness_days: float = 14.0

    def __post_init__(self) -> None:
        if not 0 < self.probability_threshold < 1:
            raise ValueError("probability_threshold must be between 0 and 1")
        if self.fixed_interval_days < 1 or self.min_spacing_days < 0 or self.window_days < 1:
            raise ValueError("intervals must be positive")


@dataclass(frozen=True)
class RiskSnapshot:
    """What a policy needs to know about one patient on one day (engine day numbers)."""

    as_of_day: float
    p_relapse_14d: float | None = None
    p_relapse_28d: float | None = None
    crossing_day: float | None = None
    latest_phq9: float | None = None
    latest_phq9_day: float | None = None
    nadir_phq9: float | None = None
    early_warning: bool = False
    last_session_day: float | None = None
    # The latest proposal of any outcome (for spacing), and the latest still open or
    # accepted (a declined or expired proposal does not count as "already proposed").
    last_proposal_day: float | None = None
    pending_proposal_day: float | None = None
    booked_booster_day: float | None = None
    in_maintenance: bool = True


@dataclass(frozen=True)
class Proposal:
    earliest_day: float
    latest_day: float
    reasons: tuple[str, ...]
    drivers: dict[str, float | str | None] = field(default_factory=dict)


def probability_within_21_days(p14: float, p28: float) -> float:
    """Interpolate P(event within 21 days) between the 14- and 28-day values.

    Survival is interpolated geometrically (constant hazard between 14 and 28 days):
    S(21) = sqrt(S(14) · S(28)).
    """
    survive = math.sqrt(max(0.0, 1 - p14) * max(0.0, 1 - p28))
    return 1 - survive


def propose(settings: PolicySettings, risk: RiskSnapshot) -> Proposal | None:
    """Return a booster proposal when the plan's policy calls for one, else None."""
    if settings.policy == Policy.AS_NEEDED or not risk.in_maintenance:
        return None
    if risk.booked_booster_day is not None and risk.booked_booster_day >= risk.as_of_day:
        return None  # a booster is already booked
    today = risk.as_of_day
    if settings.policy == Policy.FIXED:
        return _fixed(settings, risk)
    recent = [day for day in (risk.last_session_day, risk.last_proposal_day) if day is not None]
    if recent and today - max(recent) < settings.min_spacing_days:
        return None
    if settings.policy == Policy.SYMPTOM:
        return _symptom(settings, risk)
    return _forecast(settings, risk)


def _window(
    settings: PolicySettings, start: float, latest: float | None = None
) -> tuple[float, float]:
    """A window from `start`, `window_days` wide, cut short by `latest` but never shorter
    than `min_window_days`."""
    end = start + settings.window_days
    if latest is not None:
        end = min(end, max(start + settings.min_window_days, latest))
    return start, end


def _forecast(settings: PolicySettings, risk: RiskSnapshot) -> Proposal | None:
    reasons: list[str] = []
    drivers: dict[str, float | str | None] = {"policy": Policy.FORECAST.value}
    if risk.p_relapse_14d is not None and risk.p_relapse_28d is not None:
        p21 = probability_within_21_days(risk.p_relapse_14d, risk.p_relapse_28d)
        drivers["p_relapse_21d"] = round(p21, 3)
        if p21 >= settings.probability_threshold:
            reasons.append(
                f"forecast: {p21:.0%} chance of relapse within 3 weeks "
                f"(threshold {settings.probability_threshold:.0%})"
            )
    if risk.early_warning:
        reasons.append("a confirmed early warning is open")
    judged = _judged_phq9(settings, risk)
    if judged is not None and judged >= settings.symptom_threshold:
        # Symptoms already back: no forecast is needed to act on them (the arena measured
        # the forecast without this far behind the symptom rule, docs/benchmarks.md).
        reasons.append(f"PHQ-9 {judged:g} is at or above {settings.symptom_threshold:g}")
        drivers["latest_phq9"] = judged
    if not reasons:
        return None
    latest = None
    if risk.crossing_day is not None:
        # Aim to treat before the forecast crossing, with a day's margin.
        latest = risk.crossing_day - 1
        drivers["crossing_day"] = risk.crossing_day
    earliest, last = _window(settings, risk.as_of_day, latest)
    return Proposal(earliest, last, tuple(reasons), drivers)


def _judged_phq9(settings: PolicySettings, risk: RiskSnapshot) -> float | None:
    """The latest PHQ-9 if a policy may act on it: at most `score_freshness_days` old and
    taken after the last session (before it, the booster has not been judged yet)."""
    if risk.latest_phq9 is None or risk.latest_phq9_day is None:
        return None
    if risk.as_of_day - risk.latest_phq9_day > settings.score_freshness_days:
        return None
    if risk.last_session_day is not None and risk.latest_phq9_day <= risk.last_session_day:
        return None
    return risk.latest_phq9


def _symptom(settings: PolicySettings, risk: RiskSnapshot) -> Proposal | None:
    reasons: list[str] = []
    latest = _judged_phq9(settings, risk)
    if latest is None:
        return None
    if latest >= settings.symptom_threshold:
        reasons.append(f"PHQ-9 {latest:g} is at or above {settings.symptom_threshold:g}")
    if (
        risk.nadir_phq9 is not None
        and latest - risk.nadir_phq9 >= settings.reliable_worsening_points
    ):
        reasons.append(
            f"PHQ-9 rose {latest - risk.nadir_phq9:g} points from its lowest ({risk.nadir_phq9:g})"
        )
    if not reasons:
        return None
    earliest, last = _window(settings, risk.as_of_day)
    drivers: dict[str, float | str | None] = {
        "policy": Policy.SYMPTOM.value,
        "latest_phq9": latest,
        "nadir_phq9": risk.nadir_phq9,
    }
    return Proposal(earliest, last, tuple(reasons), drivers)


def _fixed(settings: PolicySettings, risk: RiskSnapshot) -> Proposal | None:
    if risk.last_session_day is None:
        return None
    due = risk.last_session_day + settings.fixed_interval_days
    already_proposed = (
        risk.pending_proposal_day is not None and risk.pending_proposal_day > risk.last_session_day
    )
    recently_proposed = (
        risk.last_proposal_day is not None
        and risk.as_of_day - risk.last_proposal_day < settings.min_spacing_days
    )
    # Propose a week before the booster falls due; again a week after a declined or
    # expired proposal, so a fixed schedule never silently stops.
    if already_proposed or recently_proposed or risk.as_of_day < due - settings.window_days:
        return None
    half = settings.window_days / 2
    earliest = max(risk.as_of_day, due - half)
    return Proposal(
        earliest,
        max(earliest + 1, due + half),
        (f"fixed schedule: a booster every {settings.fixed_interval_days:g} days",),
        {"policy": Policy.FIXED.value, "due_day": due},
    )
