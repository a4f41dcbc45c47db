"""Run the engine for patients and store what it says: assessments and engine alerts.

Two paths, one maths (docs/engine.md): `assess_one` right after a check-in or a
session (the incremental path, within the same request), `assess_many` for the periodic
sweep of a whole clinic (the batch path, vectorised across patients). Both end in
`store_assessment`, so what a clinician sees does not depend on which path ran last.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from lasting.alerts.models import Alert, AlertKind, Priority
from lasting.patients.models import Patient
from lasting.risk.history import HistoryRows, list_history_rows, local_day
from lasting.risk.models import ClinicPrior, EngineCalibration, RiskAssessment
from lasting_core.daynumbers import date_of_day
from lasting_core.engine import (
    ALERT_KINDS,
    Assessment,
    EngineSettings,
    EngineState,
    PatientHistory,
    PopulationPrior,
    SignalKind,
    assess_cohort,
    assess_patient,
    fit_population_prior,
)
from lasting_core.engine.calibrate import settings_from
from lasting_core.engine.episodes import WarningEnd, disengagement_ends, early_warning_end

log = logging.getLogger("lasting.risk")

SIGNAL_ALERTS = {
    SignalKind.EARLY_WARNING: AlertKind.EARLY_WARNING,
    SignalKind.RELAPSE: AlertKind.RELAPSE,
    SignalKind.DISENGAGEMENT: AlertKind.DISENGAGEMENT,
}


def history_of(rows: HistoryRows) -> PatientHistory:
    return PatientHistory(
        phq9=rows.phq9,
        sessions=rows.sessions,
        daily=rows.daily,
        events=rows.events,
        missed_checkins=rows.missed,
        personal_items=rows.personal_items,
        personal=rows.personal,
        life_events=rows.life_events,
    )


def prior_or_default(organization_id: int) -> PopulationPrior:
    stored = ClinicPrior.objects.filter(organization_id=organization_id).first()
    if stored is None:
        return PopulationPrior.default()
    return PopulationPrior(**stored.parameters)


def settings_for(organization_id: int) -> EngineSettings:
    """The organisation's engine settings: its latest calibration, else the defaults.

    Only the fields a calibration fits (`lasting calibrate`, docs/engine.md "Calibration
    per clinic") are read from it; every other setting is the default.
    """
    stored = (
        EngineCalibration.objects.filter(organization_id=organization_id)
        .order_by("-version")
        .values_list("settings", flat=True)
        .first()
    )
    if stored is None:
        return SETTINGS
    return settings_from(stored, SETTINGS)


def save_prior(organization_id: int, prior: PopulationPrior, now: datetime) -> None:
    ClinicPrior.objects.update_or_create(
        organization_id=organization_id,
        defaults={"fitted_at": now, "parameters": dataclasses.asdict(prior)},
    )


def assess_one(patient: Patient, now: datetime | None = None) -> Assessment:
    """Assess one patient now (incremental path) and store the result with its alerts."""
    now = now or timezone.now()
    rows = list_history_rows([patient], now)[patient.pk]
    as_of = local_day(now, ZoneInfo(patient.time_zone))
    assessment = assess_patient(
        history_of(rows),
        as_of,
        settings_for(patient.organization_id),
        prior=prior_or_default(patient.organization_id),
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


def refit_prior(patients: Sequence[Patient], now: datetime) -> PopulationPrior:
    """Fit the clinic prior on every patient's history (ended courses included) and keep it."""
    if not patients:
        return PopulationPrior.default()
    rows = list_history_rows(patients)
    prior = fit_population_prior(
        [history_of(rows[patient.pk]) for patient in patients],
        settings_for(patients[0].organization_id),
    )
    save_prior(patients[0].organization_id, prior, now)
    return prior


def assess_many(
    patients: Sequence[Patient], now: datetime | None = None, *, refit_prior: bool = True
) -> dict[int, Assessment]:
    """Assess every patient of one organisation in one vectorised sweep (batch path).

    All patients are assessed at the same instant; each one's day number is taken in their
    own time zone, so the sweep groups patients by time zone (one sweep per zone). One
    patient whose assessment cannot be stored is logged and skipped, never the others;
    if a whole group fails, its patients are assessed one by one.
    """
    now = now or timezone.now()
    if not patients:
        return {}
    organization_id = patients[0].organization_id
    if any(patient.organization_id != organization_id for patient in patients):
        raise ValueError("assess_many works on one organisation at a time")
    rows = list_history_rows(patients, now)
    histories = {patient.pk: history_of(rows[patient.pk]) for patient in patients}
    settings = settings_for(organization_id)
    prior = prior_or_default(organization_id)
    if refit_prior:
        prior = fit_population_prior(list(histories.values()), settings)
        save_prior(organization_id, prior, now)
    results: dict[int, Assessment] = {}
    by_zone: dict[str, list[Patient]] = {}
    for patient in patients:
        by_zone.setdefault(patient.time_zone, []).append(patient)
    for zone, members in by_zone.items():
        as_of = local_day(now, ZoneInfo(zone))
        assessments: list[Assessment | None]
        try:
            assessments = list(
                assess_cohort([histories[p.pk] for p in members], as_of, settings, prior)
            )
        except Exception:
            log.exception(
                "sweep of organisation %s: a group failed; assessing one by one", organization_id
            )
            assessments = [None] * len(members)
        for patient, assessment in zip(members, assessments, strict=True):
            try:
                if assessment is None:
                    assessment = assess_patient(histories[patient.pk], as_of, settings, prior)
                store_assessment(patient, assessment, now)
            except Exception:
                log.exception("patient %s: assessment failed in the sweep", patient.pk)
                continue
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


# The engine's episode rules (lasting_core.engine.episodes), as the replay applies them.
SETTINGS = EngineSettings()
QUIET_DAYS = SETTINGS.episode_quiet_days


def open_engine_alerts(patient: Patient, assessment: Assessment, now: datetime) -> list[Alert]:
    """Open a needs-review alert for each alert-worthy signal, once per episode.

    Episodes follow the engine's rule (`lasting_core.engine.episodes`), the one its
    replay applies: a relapse is one episode per confirmation day (named by its day, and
    resolving the alert does not reopen it); a disengagement stays one episode until the
    patient has been in contact for `disengagement_fold_days` days; an early warning
    stays one episode until `early_warning_end` says it ended (a relapse, a session on a
    later day, or `QUIET_DAYS` without it). A database constraint makes a concurrent
    duplicate impossible.
    """
    opened: list[Alert] = []
    for signal in assessment.signals:
        if signal.kind not in ALERT_KINDS:
            continue
        kind = SIGNAL_ALERTS[signal.kind]
        if signal.kind == SignalKind.EARLY_WARNING:
            ongoing = ongoing_early_warning(patient, assessment)
            if ongoing is not None:
                Alert.objects.filter(pk=ongoing.pk).update(last_signal_at=now)
                continue
            anchor = None
        elif signal.kind == SignalKind.DISENGAGEMENT:
            ongoing = ongoing_disengagement(patient, assessment)
            if ongoing is not None:
                Alert.objects.filter(pk=ongoing.pk).update(last_signal_at=now)
                continue
            anchor = math.floor(signal.day)
            if Alert.objects.filter(patient=patient, kind=kind, episode_day=anchor).exists():
                continue
        else:
            anchor = math.floor(signal.day)
            if Alert.objects.filter(patient=patient, kind=kind, episode_day=anchor).exists():
                continue
        try:
            with transaction.atomic():
                opened.append(
                    Alert.objects.create(
                        organization_id=patient.organization_id,
                        patient=patient,
                        kind=kind,
                        priority=Priority.HIGH if kind == AlertKind.RELAPSE else Priority.REVIEW,
                        reason=signal.sentence[:400],
                        drivers={
                            **dict(signal.drivers),
                            "p_relapse_28d": assessment.p_relapse_28d,
                        },
                        episode_day=anchor,
                        assigned_to_id=patient.assigned_clinician_id,
                        opened_at=now,
                        last_signal_at=now,
                    )
                )
        except IntegrityError:
            continue  # a concurrent assessment opened this episode's alert first
    return opened


def ongoing_early_warning(patient: Patient, assessment: Assessment) -> Alert | None:
    """The early-warning alert whose episode is still open, if any (the warning holds now)."""
    latest = (
        Alert.objects.filter(patient=patient, kind=AlertKind.EARLY_WARNING)
        .order_by("-opened_at")
        .first()
    )
    if latest is None or latest.last_signal_at is None:
        return None
    zone = ZoneInfo(patient.time_zone)
    since = assessment.days_since_session
    # The session's day number back from the days since it (rounded off float error).
    last_session_day = None if since is None else round(assessment.as_of_day - since, 6)
    last_relapse = Alert.objects.filter(patient=patient, kind=AlertKind.RELAPSE).aggregate(
        day=Max("episode_day")
    )["day"]
    end = early_warning_end(
        math.floor(assessment.as_of_day),
        holds=True,
        start_day=math.floor(local_day(latest.opened_at, zone)),
        last_warning_day=math.floor(local_day(latest.last_signal_at, zone)),
        last_session_day=last_session_day,
        last_relapse_day=None if last_relapse is None else float(last_relapse),
        quiet_days=QUIET_DAYS,
    )
    return latest if end == WarningEnd.OPEN else None


def ongoing_disengagement(patient: Patient, assessment: Assessment) -> Alert | None:
    """The disengagement alert whose episode is still open, if any (disengaged now)."""
    latest = (
        Alert.objects.filter(patient=patient, kind=AlertKind.DISENGAGEMENT)
        .order_by("-opened_at")
        .first()
    )
    if latest is None or latest.last_signal_at is None:
        return None
    ended = disengagement_ends(
        math.floor(assessment.as_of_day),
        True,
        math.floor(local_day(latest.last_signal_at, ZoneInfo(patient.time_zone))),
        SETTINGS.disengagement_fold_days,
    )
    return None if ended else latest
