"""Alerts that need a clinician: safety alerts first (docs/clinical.md#safety-alerts)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lasting.accounts.models import Organization
from lasting.checkins.models import Response
from lasting.patients.models import Patient


class AlertKind(models.TextChoices):
    SAFETY = "safety", "Safety"
    EARLY_WARNING = "early_warning", "Early warning"
    RELAPSE = "relapse", "Relapse"
    DISENGAGEMENT = "disengagement", "Disengagement"


class Priority(models.TextChoices):
    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    REVIEW = "review", "Needs review"
    INFO = "info", "Info"


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.REVIEW: 2, Priority.INFO: 3}


class AlertStatus(models.TextChoices):
    """Open: nobody has it yet. Acknowledged: someone has it, still open. Resolved: closed."""

    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


# Not resolved: a safety alert in either state still needs contact with the patient.
UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


class ContactOutcome(models.TextChoices):
    """What came of one attempt to contact the patient about a safety alert."""

    REACHED = "reached", "Reached the patient"
    LEFT_MESSAGE = "left_message", "Left a message"
    EMERGENCY_SERVICES = "emergency_services", "Called emergency services"
    UNABLE_TO_REACH = "unable_to_reach", "Unable to reach"


# The outcomes that close a safety alert; "unable to reach" keeps it open and escalating.
CLOSING_OUTCOMES = (
    ContactOutcome.REACHED,
    ContactOutcome.LEFT_MESSAGE,
    ContactOutcome.EMERGENCY_SERVICES,
)


class Alert(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    priority = models.CharField(max_length=8, choices=Priority.choices)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    reason = models.CharField(max_length=400)
    drivers = models.JSONField(default=dict)
    # Engine alerts: the engine day number naming the episode (one alert per episode).
    episode_day = models.IntegerField(null=True, blank=True)
    # Engine alerts: when the signal was last seen to hold (ends quiet episodes).
    last_signal_at = models.DateTimeField(null=True, blank=True)
    response = models.ForeignKey(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField()
    acknowledge_by = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution_note = models.TextField(blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_claimed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalation_notified_at = models.DateTimeField(null=True, blank=True)
    escalation_claimed_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Safety alerts: when the alert escalates next unless a closing contact outcome is
    # recorded first (lasting_core.escalation.next_escalation_at); empty once resolved.
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["organization", "status", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind", "episode_day"],
                condition=models.Q(episode_day__isnull=False),
                name="one_alert_per_engine_episode",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} ({self.get_priority_display()}) {self.get_status_display()}"
        )

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED

    @property
    def is_safety(self) -> bool:
        return self.kind == AlertKind.SAFETY


class ContactAttempt(models.Model):
    """One attempt to contact the patient about a safety alert, with its outcome and note."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="contact_attempts")
    outcome = models.CharField(max_length=24, choices=ContactOutcome.choices)
    note = models.TextField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(note=""), name="contact_attempt_has_a_note"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=ContactOutcome.values),
                name="contact_attempt_outcome_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {self.recorded_at:%Y-%m-%d %H:%M}"

    @property
    def closes_alert(self) -> bool:
        return self.outcome in CLOSING_OUTCOMES
