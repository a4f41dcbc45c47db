"""The stored 12-month cost forecast of each patient in maintenance.

The forecast is simulated by the pure core (`lasting_core.costs`) in a periodic job and
kept here with the fingerprint of its inputs, so the job recomputes only patients whose
durability, plan or prices changed, and pages only read (docs/clinical.md#costs).
"""

from __future__ import annotations

from django.db import models

from lasting.accounts.models import Organization
from lasting.patients.models import Patient


class CostForecast(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="cost_forecast")
    computed_at = models.DateTimeField()
    # SHA-256 of the inputs (durability, baseline, plan, prices, model version, seed).
    fingerprint = models.CharField(max_length=64)
    years = models.PositiveIntegerField()
    median_relief_days = models.FloatField()
    currency = models.CharField(max_length=3, default="USD")
    # One row per policy, the current plan first: label, current, expected_sessions,
    # sessions_low/high, expected_relapse_days, expected_cost, cost_low/high (cost None
    # when a price the policy needs is not set).
    rows = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"cost forecast {self.pk}"

    @property
    def current(self) -> dict[str, object] | None:
        return next((row for row in self.rows if row.get("current")), None)
