"""The cost forecast job: read each patient's inputs, simulate the changed ones, store.

Who is forecast: patients whose current course is in maintenance and who are in response
by their history (responding, or a relapse-level score awaiting confirmation): the
simulator models a responder in maintenance. Others have their stored forecast removed
and the page says why (docs/clinical.md#costs).

Inputs per patient: the engine's durability (the clinic prior and the patient's own
relief intervals, read from their history as the engine reads it), the baseline PHQ-9
and whether induction ended in remission, the plan's daily check, the plan's policy with its
parameters, and the prices of a booster and a maintenance session at the patient's
location by the route of their latest session. The fingerprint of these inputs decides
whether a patient is simulated again; an unchanged patient costs one comparison.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from lasting.costs.models import CostForecast
from lasting.costs.queries import price_list
from lasting.patients.models import Course, Patient, Phase
from lasting.plans.models import MaintenancePlan, PolicyChoice
from lasting.risk.history import list_history_rows
from lasting.risk.services import history_of, prior_or_default
from lasting.treatment.models import SessionKind, TreatmentSession
from lasting_core.costs import (
    ALTERNATIVES,
    DEFAULT_YEARS,
    ForecastKind,
    ForecastPatient,
    ForecastPolicy,
    PolicyForecast,
    forecast_costs,
)
from lasting_core.engine import PopulationPrior

log = logging.getLogger("lasting.costs")

# Bump when the forecast's model changes, so every stored forecast is recomputed.
MODEL_VERSION = 1
# Choice: one fixed seed, so the same inputs always give the same numbers.
FORECAST_SEED = 20261202


@dataclass(frozen=True)
class ForecastInput:
    patient_id: int
    patient: ForecastPatient
    policies: tuple[ForecastPolicy, ...]
    fingerprint: str


def plan_policy(plan: MaintenancePlan | None) -> ForecastPolicy:
    """The patient's plan as the simulator's policy (no plan: the default plan)."""
    plan = plan or MaintenancePlan()
    spacing = int(plan.min_spacing_days)
    if plan.policy == PolicyChoice.FIXED:
        return ForecastPolicy(
            ForecastKind.FIXED, float(plan.fixed_interval_days), min_spacing_days=spacing
        )
    if plan.policy == PolicyChoice.SYMPTOM:
        return ForecastPolicy(
            ForecastKind.SYMPTOM,
            symptom_threshold=float(plan.symptom_threshold),
            min_spacing_days=spacing,
        )
    if plan.policy == PolicyChoice.AS_NEEDED:
        return ForecastPolicy(ForecastKind.AS_NEEDED, min_spacing_days=spacing)
    return ForecastPolicy(
        ForecastKind.FORECAST, float(plan.probability_threshold), min_spacing_days=spacing
    )


def fingerprint_of(
    patient: ForecastPatient,
    policies: Sequence[ForecastPolicy],
    prior: PopulationPrior,
    years: int,
) -> str:
    payload = {
        "version": MODEL_VERSION,
        "seed": FORECAST_SEED,
        "years": years,
        "prior": [prior.shape, prior.rise_days, prior.rise_log_sd],
        "durability": [
            round(patient.durability.shape, 9),
            round(patient.durability.gamma_shape, 9),
            round(patient.durability.gamma_rate, 6),
        ],
        "baseline": round(patient.baseline_phq9, 6),
        "remission": patient.remission,
        "daily": patient.daily_check,
        "prices": [str(patient.booster_price), str(patient.maintenance_price)],
        "policies": [
            [p.kind.value, p.parameter, p.symptom_threshold, p.min_spacing_days] for p in policies
        ],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def list_forecast_inputs(
    organization_id: int, years: int = DEFAULT_YEARS, now: datetime | None = None
) -> tuple[list[ForecastInput], list[int], PopulationPrior]:
    """Inputs of every forecastable patient, and the ids of those who are not."""
    latest_course = Course.objects.filter(patient=OuterRef("pk")).order_by("-number")
    latest_session = TreatmentSession.objects.filter(patient=OuterRef("pk")).order_by("-started_at")
    everyone = list(
        Patient.objects.filter(organization_id=organization_id).annotate(
            phase=Subquery(latest_course.values("phase")[:1]),
            route=Subquery(latest_session.values("route")[:1]),
            session_location_id=Subquery(latest_session.values("location_id")[:1]),
        )
    )
    in_maintenance = [p for p in everyone if p.phase == Phase.MAINTENANCE]
    left_out = [p.pk for p in everyone if p.phase != Phase.MAINTENANCE]
    rows = list_history_rows(in_maintenance, now)
    plans = {
        plan.patient_id: plan
        for plan in MaintenancePlan.objects.filter(organization_id=organization_id)
    }
    prices, _ = price_list(organization_id)
    prior = prior_or_default(organization_id)
    inputs: list[ForecastInput] = []
    for patient in in_maintenance:
        plan = plans.get(patient.pk)
        location_id = patient.location_id or patient.session_location_id
        route = patient.route or ""
        forecast_patient = ForecastPatient.from_history(
            patient.pk,
            prior,
            history_of(rows[patient.pk]),
            daily_check=bool(plan and plan.daily_check),
            booster_price=prices.get((location_id, route, SessionKind.BOOSTER.value)),
            maintenance_price=prices.get((location_id, route, SessionKind.MAINTENANCE.value)),
        )
        if forecast_patient is None:
            left_out.append(patient.pk)
            continue
        policies = (plan_policy(plan), *ALTERNATIVES)
        inputs.append(
            ForecastInput(
                patient_id=patient.pk,
                patient=forecast_patient,
                policies=policies,
                fingerprint=fingerprint_of(forecast_patient, policies, prior, years),
            )
        )
    return inputs, left_out, prior


def forecast_organization(
    organization_id: int, now: datetime | None = None, *, years: int = DEFAULT_YEARS
) -> int:
    """Forecast every changed patient of one organisation; return how many were simulated.

    Idempotent: running it twice simulates nothing the second time.
    """
    now = now or timezone.now()
    inputs, left_out, prior = list_forecast_inputs(organization_id, years, now)
    stored = dict(
        CostForecast.objects.filter(organization_id=organization_id).values_list(
            "patient_id", "fingerprint"
        )
    )
    changed = [item for item in inputs if stored.get(item.patient_id) != item.fingerprint]
    CostForecast.objects.filter(organization_id=organization_id, patient_id__in=left_out).delete()
    if not changed:
        return 0
    results = forecast_costs(
        [item.patient for item in changed],
        [list(item.policies) for item in changed],
        years=years,
        seed=FORECAST_SEED,
        prior=prior,
    )
    _, currency = price_list(organization_id)
    with transaction.atomic():
        for item, result in zip(changed, results, strict=True):
            CostForecast.objects.update_or_create(
                patient_id=item.patient_id,
                defaults={
                    "organization_id": organization_id,
                    "computed_at": now,
                    "fingerprint": item.fingerprint,
                    "years": years,
                    "median_relief_days": round(result.median_relief_days, 1),
                    "currency": currency,
                    "rows": [
                        forecast_row(policy, forecast, current=index == 0)
                        for index, (policy, forecast) in enumerate(
                            zip(item.policies, result.policies, strict=True)
                        )
                    ],
                },
            )
    log.info("organisation %s: %s cost forecasts computed", organization_id, len(changed))
    return len(changed)


def forecast_row(
    policy: ForecastPolicy, forecast: PolicyForecast, *, current: bool
) -> dict[str, object]:
    def money(value: float | None) -> str | None:
        return None if value is None else str(Decimal(value).quantize(Decimal("1")))

    return {
        "policy": forecast.policy,
        "kind": policy.kind.value,
        "parameter": policy.parameter,
        "current": current,
        "expected_sessions": round(forecast.expected_sessions, 2),
        "sessions_low": forecast.sessions_low,
        "sessions_high": forecast.sessions_high,
        "expected_relapse_days": round(forecast.expected_relapse_days, 1),
        "expected_cost": money(forecast.expected_cost),
        "cost_low": money(forecast.cost_low),
        "cost_high": money(forecast.cost_high),
    }
