"""Check-in links, check-ins and the scored instrument responses inside them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lasting.accounts.models import Organization
from lasting.patients.models import Patient
from lasting_core.instruments import InstrumentCode


class Instrument(models.TextChoices):
    PHQ9 = InstrumentCode.PHQ9.value, "PHQ-9"
    GAD7 = InstrumentCode.GAD7.value, "GAD-7"
    PCL5 = InstrumentCode.PCL5.value, "PCL-5"
    PAIN_NRS = InstrumentCode.PAIN_NRS.value, "Pain NRS"
    DAILY = InstrumentCode.DAILY.value, "Daily check"


class CheckInLink(models.Model):
    """A single-use, expiring link that opens a check-in form without a password.

    Only a hash of the token is stored, so a copy of the database cannot open links.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkin_links")
    token_hash = models.CharField(max_length=64, unique=True)
    instruments = models.JSONField(help_text="Instrument codes, in the order asked")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Source(models.TextChoices):
    LINK = "link", "Check-in link"
    CLINIC = "clinic", "Entered in clinic"
    IMPORT = "import", "Imported"
    FHIR = "fhir", "FHIR interface"
    API = "api", "Sent through the API"


class CheckIn(models.Model):
    """One submission by a patient: one or more instrument responses and an optional note."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkins")
    submitted_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.LINK)
    link = models.OneToOneField(
        CheckInLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="checkin"
    )
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)
    body_hash = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "idempotency_key"], name="checkin_idempotency_key_unique"
            )
        ]
        indexes = [models.Index(fields=["patient", "submitted_at"])]


class Response(models.Model):
    """One instrument inside a check-in: every item answer, the total, band and version."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="responses")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="responses")
    observed_at = models.DateTimeField()
    instrument = models.CharField(max_length=16, choices=Instrument.choices)
    instrument_version = models.CharField(max_length=64)
    answers = models.JSONField()
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=32, blank=True)
    band_label = models.CharField(max_length=64, blank=True)
    valid = models.BooleanField()
    prorated = models.BooleanField(default=False)
    flags = models.JSONField(default=list)

    class Meta:
        ordering = ["observed_at"]
        indexes = [models.Index(fields=["patient", "instrument", "observed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["checkin", "instrument"], name="one_response_per_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.total}"

    @property
    def summary(self) -> str:
        """One line for tables: the total and band, or each answered daily item."""
        name = self.get_instrument_display()
        if self.total is not None:
            band = f" ({self.band_label})" if self.band_label else ""
            return f"{name} {self.total:g}{band}"
        answered = [f"{key} {value}" for key, value in self.answers.items() if value is not None]
        return f"{name}: {', '.join(answered)}" if answered else f"{name}: not scored"

    @property
    def item9(self) -> int | None:
        value = self.answers.get("q9") if self.instrument == Instrument.PHQ9 else None
        return value if isinstance(value, int) else None


class ScheduleReason(models.TextChoices):
    PRE_SESSION = "pre_session", "Before an induction session"
    MAINTENANCE = "maintenance", "Weekly maintenance check-in"
    RAISED_RISK = "raised_risk", "Extra check-in while risk is raised"
    DAILY = "daily", "Daily check"


class Excuse(models.TextChoices):
    """A known reason a scheduled check-in may go unanswered without counting as missed."""

    PAUSE = "pause", "Reminders paused"


class ScheduledCheckIn(models.Model):
    """A check-in the schedule asked for: its window, its link, and whether it was answered.

    Planned by `lasting.outreach` from `lasting_core.schedules`; `key` ("<reason>:<local
    day>") is unique per patient, so planning twice never creates a second row. Expired
    and unanswered means missed: the engine's disengagement signal counts these, unless
    the check-in is excused (it fell due while the patient's reminders were paused).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="scheduled_checkins"
    )
    key = models.CharField(max_length=40)
    reason = models.CharField(max_length=16, choices=ScheduleReason.choices)
    instruments = models.JSONField(help_text="Instrument codes, in the order asked")
    due_on = models.DateField(help_text="The patient's local date")
    opens_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    link = models.OneToOneField(
        CheckInLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="scheduled"
    )
    answered_by = models.ForeignKey(
        CheckIn, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    excused = models.CharField(max_length=8, choices=Excuse.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["opens_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "key"], name="scheduled_checkin_key_unique")
        ]
        indexes = [
            models.Index(fields=["patient", "expires_at"]),
            models.Index(fields=["organization", "opens_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.due_on:%Y-%m-%d}"

    @property
    def answered(self) -> bool:
        return self.answered_by_id is not None
