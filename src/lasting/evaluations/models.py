"""Evaluation requests: what a prospective patient sent, and what the clinic did with it.

A request is not a chart. Its answers (the baseline PHQ-9 and GAD-7, the screening
questions) stay here until a clinician books the evaluation; then the person becomes a
patient in the evaluation phase and the answers their first check-in, through the one
door (`lasting.intake.services`). A PHQ-9 item 9 answered 1 or more does that part at
once, so the safety alert has a patient (docs/clinical.md#evaluation-requests).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lasting.accounts.models import Location, Organization
from lasting.patients.models import Language, Patient
from lasting.patients.phones import validate_e164


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    BOOKED = "booked", "Evaluation booked"
    DECLINED = "declined", "Declined"


class DeclineReason(models.TextChoices):
    NOT_SUITABLE = "not_suitable", "Not suitable for ketamine therapy here"
    UNREACHABLE = "unreachable", "Could not be reached"
    WITHDREW = "withdrew", "The person chose not to go ahead"
    DUPLICATE = "duplicate", "A duplicate of another request"
    OTHER = "other", "Other"


class ScreeningAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNSURE = "unsure", "Not sure"


class EvaluationRequest(models.Model):
    """One request for a confidential evaluation, sent from the organisation's public page."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True, validators=[validate_e164])
    reason = models.TextField(max_length=2000)
    known_diagnoses = models.JSONField(default=list, help_text="Diagnosis codes")
    current_treatment = models.TextField(max_length=2000, blank=True)
    # {"phq9": {"q1": 2, ...}, "gad7": {...}}: the answers as sent; scored by the core.
    answers = models.JSONField(default=dict)
    # {"high_blood_pressure": "no", ...}: ScreeningAnswer values by question key.
    screening = models.JSONField(default=dict)
    # The form's one-time key: a double submit finds the request it already made.
    idempotency_key = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    decline_reason = models.CharField(max_length=16, choices=DeclineReason.choices, blank=True)
    # The patient this request became: at once after item 9 >= 1, or when booked.
    patient = models.ForeignKey(
        Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    staff_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"], name="evaluation_request_key_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(email="", phone=""), name="evaluation_request_has_contact"
            ),
        ]
        indexes = [models.Index(fields=["organization", "status", "received_at"])]
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"evaluation request {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class StatusChange(models.Model):
    """One step of a request's history, shown on its page (the audit trail keeps it too)."""

    request = models.ForeignKey(
        EvaluationRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    status = models.CharField(max_length=16, choices=RequestStatus.choices)
    decline_reason = models.CharField(max_length=16, choices=DeclineReason.choices, blank=True)
    note = models.CharField(max_length=400, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request} → {self.status}"
