"""Ketamine treatment sessions with their dose, monitoring and vital signs (DESIGN section 4)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lasting.accounts.models import Location, Organization
from lasting.patients.models import Course, Patient
from lasting_core.definitions import ClinicalEventKind as CoreEventKind


class SessionKind(models.TextChoices):
    INDUCTION = "induction", "Induction"
    BOOSTER = "booster", "Booster"
    MAINTENANCE = "maintenance", "Maintenance"


class Route(models.TextChoices):
    IV = "iv", "IV ketamine"
    IM = "im", "IM ketamine"
    INTRANASAL_ESKETAMINE = "intranasal_esketamine", "Intranasal esketamine"
    OTHER = "other", "Other"


class TreatmentSession(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sessions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    route = models.CharField(max_length=32, choices=Route.choices)
    dose_mg = models.DecimalField(
        max_digits=6, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(1000)]
    )
    dose_mg_per_kg = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    lot_number = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # MOAA/S-style sedation 0 (awake) – 5 (unresponsive); dissociation 0 (none) – 4 (severe).
    sedation = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(5)]
    )
    dissociation = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    respiratory_depression = models.BooleanField(default=False)
    adverse_events = models.TextField(blank=True)
    serious_adverse_event = models.BooleanField(default=False)
    discharge_note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["started_at"]
        indexes = [models.Index(fields=["patient", "started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="session_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d}"


class VitalPhase(models.TextChoices):
    BEFORE = "before", "Before dose"
    DURING = "during", "During"
    AFTER = "after", "After (40 min+)"
    DISCHARGE = "discharge", "At discharge"


class VitalSign(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="vitals")
    measured_at = models.DateTimeField()
    phase = models.CharField(max_length=16, choices=VitalPhase.choices)
    systolic_mmhg = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(50), MaxValueValidator(260)]
    )
    diastolic_mmhg = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(20), MaxValueValidator(160)]
    )
    heart_rate_bpm = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(20), MaxValueValidator(250)]
    )
    spo2_percent = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(50), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["measured_at"]


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Appointment(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=120)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["organization", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class ClinicalEventKind(models.TextChoices):
    """Events that count as a relapse at once (DESIGN section 2); values are the core's."""

    HOSPITALISATION = CoreEventKind.HOSPITALISATION.value, "Psychiatric hospitalisation"
    SUICIDE_RELATED = (
        CoreEventKind.SUICIDE_RELATED.value,
        "Suicide attempt or suicide-related event",
    )


class ClinicalEvent(models.Model):
    """A clinician-entered event in the patient's course."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="clinical_events")
    kind = models.CharField(max_length=32, choices=ClinicalEventKind.choices)
    occurred_on = models.DateField()
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_on"]
