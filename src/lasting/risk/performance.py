"""Alert performance on the clinic's own history: the engine replayed over the last 12 months.

These figures are the engine's replay of the stored history, day by day with no
look-ahead (`lasting_core.engine.run_replay`): the alerts it WOULD have raised with
today's settings and the clinic's current prior, scored against the relapses the
relapse definition finds in the same history (`lasting_core.definitions.track_relapse`).
They are not the alerts that were raised at the time (those depended on the engine and
the data of that day). "Caught", "lead" and "false episode" are the engine evaluation's
definitions (docs/engine.md 5), computed by the one implementation,
`lasting_core.engine.scoring.score_rule`.

Booster proposals belong to `plans`, a layer above this app: they are counted by
`lasting.costs.outcomes.count_booster_proposals`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import OuterRef, Subquery

from lasting.accounts.models import Organization
from lasting.patients.models import Course, Patient
from lasting.risk.history import list_history_rows, local_day
from lasting.risk.models import AlertPerformanceSnapshot
from lasting.risk.services import history_of, prior_or_default, settings_for
from lasting_core.analytics.rates import Rate, rate_of
from lasting_core.daynumbers import day_number
from lasting_core.definitions import track_relapse
from lasting_core.engine import PatientHistory, ReplayResult, SignalKind, run_replay
from lasting_core.engine.scoring import (
    DAYS_PER_YEAR,
    FALSE_HORIZON_DAYS,
    MIN_LEAD_DAYS,
    Episode,
    RuleScore,
    early_warning_episodes,
    score_rule,
)

WINDOW_DAYS = 365
latest_course = Course.objects.filter(patient=OuterRef("pk")).order_by("-number")


@dataclass(frozen=True)
class AlertPerformance:
    """What the engine would have raised over the window, scored (docs/engine.md).

    Patient-years are days on each patient's own clock / 365.25. Rates are None when their
    denominator is zero.
    """

    computed_at: datetime
    since_at: datetime
    until_at: datetime
    patients_replayed: int  # patients with at least one record before the window's end
    relapses: int  # relapse criteria met in the window (track_relapse)
    caught: int  # an open early-warning episode begun >= min_lead_days before
    sensitivity: Rate  # caught of relapses, Wilson 95 % interval
    relapses_with_open_warning: int  # caught or not (the lead may be under a week)
    median_lead_days: float | None  # over the caught relapses
    median_lead_open_days: float | None  # over every relapse with an open episode
    early_warning_episodes: int
    false_episodes: int  # no relapse while open nor within horizon_days of the start
    # False so far but begun less than horizon_days ago: a relapse may still follow.
    false_episodes_awaiting_judgement: int
    false_episodes_ended_by_session: int  # a booster may have prevented the relapse
    at_risk_patient_years: float  # time in response (when a patient could relapse)
    enrolled_patient_years: float  # from each patient's first record (or the window's start)
    false_per_at_risk_year: float | None
    disengagement_alerts: int  # one per episode
    disengagement_per_patient_year: float | None  # per enrolled patient-year
    min_lead_days: float
    horizon_days: float


def refresh_alert_performance(organization_id: int, now: datetime) -> AlertPerformance:
    """Replay the organisation's last 12 months, score it and keep it as the day's snapshot.

    1. Read every patient's history (ended courses too) on the patient's clock; leave out
       patients whose care (their latest course) ended before the window.
    2. Per time zone, replay the engine from ``now`` - 365 days to ``now`` (each patient's
       local days), with the clinic's prior and the organisation's engine settings (`settings_for`).
    3. Take the relapses the relapse definition finds in the window. For a patient whose
       care ended in the window, drop the episodes begun and relapses met after that day
       and end their enrolled time there (their days in response after it still count
       as at risk: the replay does not cut them).
    4. Score the early-warning episodes with `score_rule`: once up to today, and once up
       to ``horizon_days`` ago, whose difference is the false episodes not judged yet.
    5. Store the figures under (organisation, today on its clock); running twice rewrites.
    """
    organization = Organization.objects.get(pk=organization_id)
    since_at = now - timedelta(days=WINDOW_DAYS)
    patients = list(
        Patient.objects.filter(organization_id=organization_id)
        .annotate(care_ended_on=Subquery(latest_course.values("ended_on")[:1]))
        .order_by("pk")
    )
    # The day each patient's care ended (their latest course), on their calendar; patients
    # whose care ended before the window are not replayed.
    care_ends = {
        str(patient.pk): float(day_number(patient.care_ended_on))
        for patient in patients
        if patient.care_ended_on is not None
    }
    rows = list_history_rows(patients, now)
    histories = {str(patient.pk): history_of(rows[patient.pk]) for patient in patients}
    prior = prior_or_default(organization_id)
    settings = settings_for(organization_id)
    by_zone: dict[str, list[str]] = {}
    for patient in patients:
        by_zone.setdefault(patient.time_zone, []).append(str(patient.pk))

    episodes: dict[str, list[Episode]] = {}
    truth: dict[str, tuple[float, ...]] = {}
    at_risk_days = 0
    enrolled_days = 0.0
    disengagements = 0
    replayed = 0
    last_day = -math.inf
    for zone_name, ids in by_zone.items():
        zone = ZoneInfo(zone_name)
        start_day = math.floor(local_day(since_at, zone))
        end_day = math.floor(local_day(now, zone))
        last_day = max(last_day, float(end_day))
        present = {
            pid: histories[pid]
            for pid in ids
            if (first := histories[pid].first_day()) is not None
            and first < end_day + 1
            and care_ends.get(pid, math.inf) >= start_day
        }
        if not present:
            continue
        replayed += len(present)
        result = in_care(
            run_replay(present, settings, prior, start_day=start_day, end_day=end_day),
            care_ends,
        )
        episodes |= early_warning_episodes(result)
        at_risk_days += sum(result.at_risk_days.values())
        disengagements += sum(
            episode.kind == SignalKind.DISENGAGEMENT for episode in result.episodes
        )
        for pid, history in present.items():
            last = min(float(end_day), care_ends.get(pid, math.inf))
            truth[pid] = relapses_between(history, start_day, last)
            first = history.first_day()
            assert first is not None
            enrolled_days += max(last + 1 - max(float(start_day), first), 0.0)

    score, judged = score_window(episodes, truth, last_day, at_risk_days, enrolled_days)
    performance = performance_of(score, judged, replayed, disengagements, now, since_at)
    store_snapshot(organization, performance)
    return performance


def in_care(result: ReplayResult, care_ends: Mapping[str, float]) -> ReplayResult:
    """Drop the episodes that would have begun after a patient's care ended."""
    return dataclasses.replace(
        result,
        episodes=tuple(
            episode
            for episode in result.episodes
            if episode.start_day <= care_ends.get(episode.patient_id, math.inf)
        ),
    )


def relapses_between(
    history: PatientHistory, start_day: float, end_day: float
) -> tuple[float, ...]:
    """The days the relapse criteria were met on the patient's records, inside the window.

    A relapse is dated by the calendar day of its confirming check-in, as the replay
    dates its alerts (a check-in's day number carries its time of day).
    """
    course = track_relapse(history.phq9, history.sessions, history.events)
    days = (float(math.floor(day)) for day in course.relapse_days)
    return tuple(day for day in days if start_day <= day <= end_day)


def score_window(
    episodes: Mapping[str, list[Episode]],
    truth: Mapping[str, tuple[float, ...]],
    last_day: float,
    at_risk_days: float,
    enrolled_days: float,
) -> tuple[RuleScore, RuleScore]:
    """Score the window up to today, and the part whose warnings can be judged already."""
    if not math.isfinite(last_day):
        last_day = 0.0
    at_risk_years = at_risk_days / DAYS_PER_YEAR
    enrolled_years = enrolled_days / DAYS_PER_YEAR
    score = score_rule(
        episodes,
        truth,
        last_day,
        FALSE_HORIZON_DAYS,
        MIN_LEAD_DAYS,
        at_risk_years,
        enrolled_years,
    )
    judged = score_rule(
        episodes,
        truth,
        last_day - FALSE_HORIZON_DAYS,
        FALSE_HORIZON_DAYS,
        MIN_LEAD_DAYS,
        at_risk_years,
        enrolled_years,
    )
    return score, judged


def performance_of(
    score: RuleScore,
    judged: RuleScore,
    replayed: int,
    disengagements: int,
    now: datetime,
    since_at: datetime,
) -> AlertPerformance:
    return AlertPerformance(
        computed_at=now,
        since_at=since_at,
        until_at=now,
        patients_replayed=replayed,
        relapses=score.relapses,
        caught=score.caught,
        sensitivity=rate_of(score.caught, score.relapses),
        relapses_with_open_warning=score.with_open_episode,
        median_lead_days=score.median_lead_caught,
        median_lead_open_days=score.median_lead_open,
        early_warning_episodes=score.episodes,
        false_episodes=score.false_episodes,
        false_episodes_awaiting_judgement=score.false_episodes - judged.false_episodes,
        false_episodes_ended_by_session=score.false_ended_by_session,
        at_risk_patient_years=score.at_risk_years,
        enrolled_patient_years=score.enrolled_years,
        false_per_at_risk_year=finite_or_none(score.false_per_at_risk_year),
        disengagement_alerts=disengagements,
        disengagement_per_patient_year=(
            disengagements / score.enrolled_years if score.enrolled_years else None
        ),
        min_lead_days=MIN_LEAD_DAYS,
        horizon_days=FALSE_HORIZON_DAYS,
    )


def finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


# The dataclass's fields kept in the snapshot's JSON (times and the rate have columns or
# are recomputed from their counts).
STORED_APART = ("computed_at", "since_at", "until_at", "sensitivity")
STORED_FIGURES = {
    field.name for field in dataclasses.fields(AlertPerformance) if field.name not in STORED_APART
}


@transaction.atomic
def store_snapshot(organization: Organization, performance: AlertPerformance) -> None:
    figures = {
        name: value for name, value in asdict(performance).items() if name not in STORED_APART
    }
    computed_on = performance.computed_at.astimezone(ZoneInfo(organization.time_zone)).date()
    AlertPerformanceSnapshot.objects.update_or_create(
        organization=organization,
        computed_on=computed_on,
        defaults={
            "computed_at": performance.computed_at,
            "since_at": performance.since_at,
            "until_at": performance.until_at,
            "figures": figures,
        },
    )


def find_alert_performance(organization_id: int) -> AlertPerformance | None:
    """The organisation's latest snapshot, None before the first daily job has run."""
    snapshot = (
        AlertPerformanceSnapshot.objects.filter(organization_id=organization_id)
        .order_by("-computed_at")
        .first()
    )
    if snapshot is None:
        return None
    figures: dict[str, Any] = dict(snapshot.figures)
    if set(figures) != STORED_FIGURES:
        return None  # written by another version of these figures: the next job rewrites it
    return AlertPerformance(
        computed_at=snapshot.computed_at,
        since_at=snapshot.since_at,
        until_at=snapshot.until_at,
        sensitivity=rate_of(figures["caught"], figures["relapses"]),
        **figures,
    )
