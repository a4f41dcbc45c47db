"""Reminders for scheduled check-ins, each patient's contact preferences, the delivery log,
and the staff's log of reaching out to patients who went quiet
(docs/clinical.md#check-ins-and-reminders)."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lasting.accounts.models import Organization
from lasting.checkins.models import ScheduledCheckIn
from lasting.patients.models import Patient
from lasting_core.schedules import ScheduleSettings

DEFAULT_SCHEDULE = ScheduleSettings()
# A weekly check-in open longer than 6 days would overlap the next one.
MAX_OPEN_DAYS = 6


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "Text message"


class CheckInDefaults(models.Model):
    """The organisation's check-in and reminder defaults (set by the clinic admin).

    Reminders: for every patient without their own preferences (without a row,
    ContactPreference's defaults). Check-ins: when maintenance check-ins open, how long
    they stay open, and after how many stable weeks they lighten to every other week
    (without a row, lasting_core.schedules.ScheduleSettings' defaults, with their reasons).
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="checkin_defaults"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    quiet_from = models.TimeField(default=time(21, 0))
    quiet_until = models.TimeField(default=time(8, 0))
    checkin_opens_at = models.TimeField(default=DEFAULT_SCHEDULE.checkin_opens_at)
    checkin_open_days = models.PositiveSmallIntegerField(
        default=DEFAULT_SCHEDULE.checkin_open_days,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_OPEN_DAYS)],
    )
    stable_after_weeks = models.PositiveSmallIntegerField(
        default=DEFAULT_SCHEDULE.stable_after_weeks,
        validators=[MinValueValidator(4), MaxValueValidator(104)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(checkin_open_days__gte=1, checkin_open_days__lte=MAX_OPEN_DAYS),
                name="checkin_open_days_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"check-in defaults of organisation {self.organization_id}"

    def schedule_settings(self) -> ScheduleSettings:
        return replace(
            DEFAULT_SCHEDULE,
            checkin_opens_at=self.checkin_opens_at,
            checkin_open_days=self.checkin_open_days,
            stable_after_weeks=self.stable_after_weeks,
        )


class ContactPreference(models.Model):
    """How and when a patient is reminded; without a row, the organisation's defaults
    (CheckInDefaults) apply, and without those the defaults below."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="contact_preference"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    opted_out = models.BooleanField(
        default=False, help_text="The patient asked for no reminders at all."
    )
    paused_until = models.DateField(
        null=True, blank=True, help_text="No reminders up to and including this day."
    )
    # No reminder arrives between these local times; one due then waits for the morning
    # (a choice: 21:00-08:00 keeps messages out of most people's nights).
    quiet_from = models.TimeField(default=time(21, 0))
    quiet_until = models.TimeField(default=time(8, 0))
    updated_at = models.DateTimeField(auto_now=True)


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    HANDED_OVER = "handed_over", "Handed to the mail server"
    SENT = "sent", "Sent"
    UNKNOWN = "unknown", "Delivery unknown (not re-sent)"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent"


class Reminder(models.Model):
    """One reminder for one scheduled check-in on one channel: sent at most once.

    The unique constraint means queuing it twice makes one row; the status moves
    pending → sending → handed_over → sent under row locks, so a job run twice, or
    killed and run again, never sends it twice (see `lasting.outreach.reminders`).
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reminders")
    scheduled = models.ForeignKey(
        ScheduledCheckIn, on_delete=models.CASCADE, related_name="reminders"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(
        max_length=16, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-send_after"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheduled", "channel"], name="one_reminder_per_checkin_and_channel"
            )
        ]
        indexes = [models.Index(fields=["status", "send_after"])]


class Outcome(models.TextChoices):
    SENT = "sent", "Sent"
    RETRY = "retry", "Failed, will retry"
    FAILED = "failed", "Failed, given up"
    UNKNOWN = "unknown", "Delivery unknown"
    SKIPPED = "skipped", "Not sent"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per attempt or decision, never any message text."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="attempts_log")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    # Why, in words that name no patient data: "SMTP 421", "opted out", "paused".
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class OutreachChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "E-mail"


class OutreachOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    MESSAGE = "message", "Left a message"
    NO_ANSWER = "no_answer", "No answer"
    WRONG_NUMBER = "wrong_number", "Wrong number or address"


class OutreachAttempt(models.Model):
    """One attempt by staff to reach a patient who has not checked in (not about a safety
    alert: those have their own contact outcomes, lasting.alerts.models.ContactAttempt)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="outreach")
    channel = models.CharField(max_length=8, choices=OutreachChannel.choices)
    outcome = models.CharField(max_length=16, choices=OutreachOutcome.choices)
    note = models.CharField(max_length=400, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["patient", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_outcome_display()}"
