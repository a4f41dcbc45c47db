"""Run the engine for patients and store what it says: assessments and engine alerts.

Two paths, one maths (DESIGN section 5): `assess_one` right after a check-in or a
session (the incremental path, within the same request), `assess_many` for the periodic
sweep of a whole clinic (the batch path, vectorised across patients). Both end in
`store_assessment`, so what a clinician sees does not depend on which path ran last.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from lasting.alerts.models import (
    Alert,
    AlertKind,
    ClinicPrior,
    Priority,
    RiskAssessment,
)
from lasting.alerts.queries import HistoryRows, list_history_rows, local_day
from lasting.patients.models import Patient
from lasting_core.daynumbers import date_of_day
from lasting_core.engine import (
    ALERT_KINDS,
    Assessment,
    EngineState,
    PatientHistory,
    PopulationPrior,
    SignalKind,
    assess_cohort,
    assess_patient,
    fit_population_prior,
)

SIGNAL_ALERTS = {
    SignalKind.EARLY_WARNING: AlertKind.EARLY_WARNING,
    SignalKind.RELAPSE: AlertKind.RELAPSE,
    SignalKind.DISENGAGEMENT: AlertKind.DISENGAGEMENT,
}


def history_of(rows: HistoryRows) -> PatientHistory:
    return PatientHistory(phq9=rows.phq9, sessions=rows.sessions, daily=rows.daily)


def find_prior(organization_id: int) -> PopulationPrior:
    stored = ClinicPrior.objects.filter(organization_id=organization_id).first()
    if stored is None:
        return PopulationPrior.default()
    return PopulationPrior(**stored.parameters)


def save_prior(organization_id: int, prior: PopulationPrior, now: datetime) -> None:
    ClinicPrior.objects.update_or_create(
        organization_id=organization_id,
        defaults={"fitted_at": now, "parameters": dataclasses.asdict(prior)},
    )


def assess_one(patient: Patient, now: datetime | None = None) -> Assessment:
    """Assess one patient now (incremental path) and store the result with its alerts."""
    now = now or timezone.now()
    rows = list_history_rows([patient])[patient.pk]
    as_of = local_day(now, ZoneInfo(patient.time_zone))
    assessment = assess_patient(
        history_of(rows),
        as_of,
        prior=find_prior(patient.organization_id),
        state=find_engine_state(patient),
    )
    store_assessment(patient, assessment, now)
    return assessment


def find_engine_state(patient: Patient) -> EngineState | None:
    """The state stored with the patient's latest assessment, if it can still be read."""
    stored = (
        RiskAssessment.objects.filter(patient=patient)
        .exclude(engine_state="")
        .order_by("-assessed_on")
        .values_list("engine_state", flat=True)
        .first()
    )
    if not stored:
        return None
    try:
        return EngineState.from_json(stored)
    except (ValueError, KeyError, TypeError):
        return None  # another engine version: the engine sweeps the history again


def assess_many(
    patients: Sequence[Patient], now: datetime | None = None, *, refit_prior: bool = True
) -> dict[int, Assessment]:
    """Assess every patient of one organisation in one vectorised sweep (batch path).

    All patients are assessed at the same instant; each one's day number is taken in their
    own time zone, so the sweep groups patients by time zone (one sweep per zone).
    """
    now = now or timezone.now()
    if not patients:
        return {}
    organization_id = patients[0].organization_id
    if any(patient.organization_id != organization_id for patient in patients):
        raise ValueError("assess_many works on one organisation at a time")
    rows = list_history_rows(patients)
    histories = {patient.pk: history_of(rows[patient.pk]) for patient in patients}
    prior = find_prior(organization_id)
    if refit_prior:
        prior = fit_population_prior(list(histories.values()))
        save_prior(organization_id, prior, now)
    results: dict[int, Assessment] = {}
    by_zone: dict[str, list[Patient]] = {}
    for patient in patients:
        by_zone.setdefault(patient.time_zone, []).append(patient)
    for zone, members in by_zone.items():
        as_of = local_day(now, ZoneInfo(zone))
        assessments = assess_cohort([histories[p.pk] for p in members], as_of, prior=prior)
        for patient, assessment in zip(members, assessments, strict=True):
            store_assessment(patient, assessment, now)
            results[patient.pk] = assessment
    return results


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


@transaction.atomic
def store_assessment(patient: Patient, assessment: Assessment, now: datetime) -> RiskAssessment:
    """Keep one assessment per patient per day, and open the engine's alerts (deduplicated)."""
    interval = assessment.crossing_interval
    stored, _ = RiskAssessment.objects.update_or_create(
        patient=patient,
        assessed_on=date_of_day(assessment.as_of_day),
        defaults={
            "organization_id": patient.organization_id,
            "computed_at": now,
            "level": rounded(assessment.level, 2),
            "level_sd": rounded(assessment.level_sd, 2),
            "slope_per_week": rounded(assessment.slope_per_week, 2),
            "p_relapse_14d": rounded(assessment.p_relapse_14d),
            "p_relapse_28d": rounded(assessment.p_relapse_28d),
            "crossing_on": date_of_day(assessment.crossing_day)
            if assessment.crossing_day is not None
            else None,
            "crossing_earliest_on": date_of_day(interval[0]) if interval else None,
            "crossing_latest_on": date_of_day(interval[1]) if interval else None,
            "relapse_state": str(assessment.relapse_state),
            "relapse_bar": rounded(assessment.relapse_bar, 2),
            "explanation": assessment.explanation,
            "engine_state": assessment.state.to_json() if assessment.state else "",
            "signals": [
                {
                    "kind": str(signal.kind),
                    "sentence": signal.sentence,
                    "drivers": dict(signal.drivers),
                }
                for signal in assessment.signals
            ],
        },
    )
    open_engine_alerts(patient, assessment, now)
    return stored


def episode_anchor(assessment: Assessment, kind: SignalKind, signal_day: float) -> int:
    """The day that names the episode a signal belongs to (mirrors the engine's replay).

    A relapse is one episode per confirmation day; a disengagement one per silence (its
    due day); an early warning one per relief period, i.e. since the last session.
    """
    if kind == SignalKind.EARLY_WARNING:
        since = assessment.days_since_session
        return math.floor(assessment.as_of_day - since) if since is not None else 0
    return math.floor(signal_day)


def open_engine_alerts(patient: Patient, assessment: Assessment, now: datetime) -> list[Alert]:
    """Open a needs-review alert for each alert-worthy signal, once per episode.

    Resolving an alert does not reopen its episode: a relapse confirmed on one day, a
    silence that started on one day, or an early warning since the last session raises
    one alert, however many assessments see it again.
    """
    opened: list[Alert] = []
    for signal in assessment.signals:
        if signal.kind not in ALERT_KINDS:
            continue
        kind = SIGNAL_ALERTS[signal.kind]
        anchor = episode_anchor(assessment, signal.kind, signal.day)
        if Alert.objects.filter(patient=patient, kind=kind, episode_day=anchor).exists():
            continue
        opened.append(
            Alert.objects.create(
                organization_id=patient.organization_id,
                patient=patient,
                kind=kind,
                priority=Priority.REVIEW,
                reason=signal.sentence[:400],
                drivers={**dict(signal.drivers), "p_relapse_28d": assessment.p_relapse_28d},
                episode_day=anchor,
                assigned_to_id=patient.assigned_clinician_id,
                opened_at=now,
            )
        )
    return opened
