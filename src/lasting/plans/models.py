"""Maintenance plans and the booster proposals they produce.

The policies and their defaults: docs/clinical.md#maintenance-plans.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lasting.accounts.models import Organization
from lasting.patients.models import Patient
from lasting.treatment.models import Appointment
from lasting_core.policies import Policy, PolicySettings

DEFAULTS = PolicySettings()


class PolicyChoice(models.TextChoices):
    FORECAST = Policy.FORECAST.value, "Forecast (before the predicted relapse)"
    SYMPTOM = Policy.SYMPTOM.value, "Symptom-triggered"
    FIXED = Policy.FIXED.value, "Fixed interval"
    AS_NEEDED = Policy.AS_NEEDED.value, "As needed (the patient asks)"


class MaintenancePlan(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="plan")
    policy = models.CharField(
        max_length=16, choices=PolicyChoice.choices, default=PolicyChoice.FORECAST
    )
    probability_threshold = models.FloatField(
        default=DEFAULTS.probability_threshold,
        validators=[MinValueValidator(0.05), MaxValueValidator(0.95)],
    )
    min_spacing_days = models.PositiveSmallIntegerField(
        default=int(DEFAULTS.min_spacing_days), validators=[MaxValueValidator(90)]
    )
    symptom_threshold = models.PositiveSmallIntegerField(
        default=int(DEFAULTS.symptom_threshold), validators=[MaxValueValidator(27)]
    )
    fixed_interval_days = models.PositiveSmallIntegerField(
        default=int(DEFAULTS.fixed_interval_days),
        validators=[MinValueValidator(7), MaxValueValidator(180)],
    )
    # The daily check is opt-in: it adds one short question set every evening.
    daily_check = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def policy_settings(self) -> PolicySettings:
        return PolicySettings(
            policy=Policy(self.policy),
            probability_threshold=self.probability_threshold,
            min_spacing_days=float(self.min_spacing_days),
            symptom_threshold=float(self.symptom_threshold),
            fixed_interval_days=float(self.fixed_interval_days),
        )


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    MOVED = "moved", "Moved"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class BoosterProposal(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="proposals")
    policy = models.CharField(max_length=16, choices=PolicyChoice.choices)
    created_at = models.DateTimeField()
    earliest_on = models.DateField()
    latest_on = models.DateField()
    reason = models.CharField(max_length=500)
    drivers = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_note = models.TextField(blank=True)
    appointment = models.OneToOneField(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="proposal"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="open"),
                name="one_open_proposal_per_patient",
            )
        ]


PLAN_FIELDS = (
    "policy",
    "probability_threshold",
    "min_spacing_days",
    "symptom_threshold",
    "fixed_interval_days",
    "daily_check",
)


class MaintenancePlanChange(models.Model):
    """One change of a maintenance plan: the policy and parameters as they stood after it,
    which of them changed, who changed them, when and why. Never changed once stored."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="plan_changes")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The author's name as it read then: the history outlives a renamed or removed account.
    author_name = models.CharField(max_length=150)
    reason = models.CharField(max_length=500)
    # The names of the fields this change set; empty for the plan's first save.
    changed_fields = models.JSONField(default=list)
    policy = models.CharField(max_length=16, choices=PolicyChoice.choices)
    probability_threshold = models.FloatField()
    min_spacing_days = models.PositiveSmallIntegerField()
    symptom_threshold = models.PositiveSmallIntegerField()
    fixed_interval_days = models.PositiveSmallIntegerField()
    daily_check = models.BooleanField()

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def changed_words(self) -> list[str]:
        return [FIELD_WORDS.get(name, name) for name in self.changed_fields]


FIELD_WORDS = {
    "policy": "policy",
    "probability_threshold": "forecast threshold",
    "min_spacing_days": "minimum days after a session",
    "symptom_threshold": "PHQ-9 threshold",
    "fixed_interval_days": "fixed interval",
    "daily_check": "daily check",
}
