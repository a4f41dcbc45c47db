"""Calibration per clinic: fit the engine's clinic-dependent settings on the organisation's
own history and keep them as its engine settings, versioned and audited.

The fitting is the core's (`lasting_core.engine.calibrate.calibrate_clinic`); this module
reads the organisation's history, stores a new `EngineCalibration` version with an audit
event, and from then on `risk.services.settings_for` gives the engine those settings.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max

from lasting.accounts.models import Organization
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient
from lasting.risk.history import list_history_rows, local_day
from lasting.risk.models import EngineCalibration
from lasting.risk.services import SETTINGS, history_of, save_prior
from lasting_core.engine.calibrate import Calibration, calibrate_clinic


class UnknownOrganization(LookupError):
    """No organisation has that slug or id."""


def get_organization(reference: str) -> Organization:
    """Return the organisation named by its slug or its id; raise UnknownOrganization."""
    found = Organization.objects.filter(slug=reference).first()
    if found is None and reference.isdigit():
        found = Organization.objects.filter(pk=int(reference)).first()
    if found is None:
        raise UnknownOrganization(f"no organisation with the slug or id {reference!r}")
    return found


def calibrate_organization(
    organization: Organization, budget_per_year: float, now: datetime
) -> Calibration:
    """Fit the organisation's engine settings on every patient's history up to ``now``.

    Every patient counts, ended courses too, each on their own clock (engine day numbers);
    the history ends on the latest of today's day numbers across the patients' time zones.
    Raises `InsufficientHistory` (from the core) naming what is missing.
    """
    patients = list(Patient.objects.filter(organization=organization).order_by("pk"))
    rows = list_history_rows(patients, now)
    histories = {str(patient.pk): history_of(rows[patient.pk]) for patient in patients}
    zones = {patient.time_zone for patient in patients} or {organization.time_zone}
    last_day = max(math.floor(local_day(now, ZoneInfo(zone))) for zone in zones)
    return calibrate_clinic(histories, budget_per_year, float(last_day), SETTINGS)


def calibration_metrics(calibration: Calibration) -> dict[str, Any]:
    """What the fitted settings measured on the history (kept with the version)."""
    score = calibration.score
    return {
        "budget_per_year": calibration.budget_per_year,
        "budget_met": calibration.budget_met,
        "noise_pairs": calibration.noise_pairs,
        "daily_points": calibration.daily_points,
        "relapses": score.relapses,
        "caught": score.caught,
        "sensitivity": none_if_nan(score.sensitivity),
        "median_lead_days": score.median_lead_caught,
        "episodes": score.episodes,
        "false_episodes": score.false_episodes,
        "false_per_at_risk_year": none_if_nan(score.false_per_at_risk_year),
        "at_risk_patient_years": score.at_risk_years,
        "thresholds": [list(pair) for pair in calibration.thresholds],
        "forecasts": calibration.probabilities.forecasts,
        "raw_brier": none_if_nan(calibration.raw_probabilities.brier),
        "raw_reliability": [dataclasses.asdict(b) for b in calibration.raw_probabilities.bins],
        # Through the fitted map, on the same forecasts (in-sample).
        "brier": none_if_nan(calibration.probabilities.brier),
        "reliability": [dataclasses.asdict(b) for b in calibration.probabilities.bins],
        "prior": dataclasses.asdict(calibration.prior),
    }


def none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value


@transaction.atomic
def store_calibration(
    organization: Organization, calibration: Calibration, actor: Actor, now: datetime
) -> EngineCalibration:
    """Keep the calibration as the organisation's next engine-settings version, audited.

    The fitted prior also becomes the clinic's prior at once (the nightly sweep refits it
    on the same history with these settings).
    """
    # Lock the organisation's row so two calibrations at once cannot take one version.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    latest = EngineCalibration.objects.filter(organization=organization).aggregate(
        version=Max("version")
    )["version"]
    stored = EngineCalibration.objects.create(
        organization=organization,
        version=(latest or 0) + 1,
        settings=calibration.fitted(),
        metrics=calibration_metrics(calibration),
        created_by_id=actor.user_id,
        created_at=now,
    )
    save_prior(organization.pk, calibration.prior, now)
    record_event(actor, Action.CREATE, organization_id=organization.pk, obj=stored)
    return stored
