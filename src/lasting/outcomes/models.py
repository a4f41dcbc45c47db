"""Stored outcomes: each durability interval and each course's induction, per organisation.

The hourly job (`services.refresh_outcomes`) derives these rows from the clinical record
with the core's definitions (`lasting_core.analytics.episodes`, `track_relapse`), so the
analytics page reads a few thousand plain rows instead of years of check-ins
(docs/outcomes.md). The factors of each episode are the durability factors of
docs/clinical.md#durability, fixed at the episode's start.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lasting.accounts.models import Location, Organization
from lasting.patients.models import Course, Patient


class InductionGroup(models.TextChoices):
    """How many induction sessions the series before the episode had."""

    FEWER_THAN_6 = "fewer_than_6", "Fewer than 6"
    SIX = "6", "6"
    MORE_THAN_6 = "more_than_6", "More than 6"


class EndOfInduction(models.TextChoices):
    """The verdict of the end of induction of the series before the episode."""

    REMITTED = "remitted", "Remitted"
    RESPONDED = "responded", "Responded, not remitted"
    NOT_ASSESSED = "not_assessed", "Not responded or not assessed"


class OutcomeEpisode(models.Model):
    """One durability interval: from a session to relapse (an event) or censoring."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.SET_NULL, null=True, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, related_name="+")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    start_on = models.DateField()
    end_on = models.DateField()
    days = models.FloatField()
    relapsed = models.BooleanField()
    started_by = models.CharField(max_length=16)  # a session kind
    ended_by = models.CharField(max_length=16)  # "relapse", a session kind, or "censored"
    # Factors, as they stood at the start of the episode.
    diagnosis = models.CharField(max_length=32)
    severity = models.CharField(max_length=24)  # baseline PHQ-9 band, or "unknown"
    induction_sessions = models.PositiveSmallIntegerField()
    induction_group = models.CharField(max_length=16, choices=InductionGroup.choices)
    end_of_induction = models.CharField(max_length=16, choices=EndOfInduction.choices)
    in_therapy = models.BooleanField()
    antidepressant = models.BooleanField()
    life_stress = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(fields=["organization", "start_on"]),
            models.Index(fields=["organization", "diagnosis", "severity"]),
        ]

    def __str__(self) -> str:
        return f"episode {self.pk}"


class CourseOutcome(models.Model):
    """One course's way through induction, for the funnel."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, related_name="+")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_on = models.DateField()
    diagnosis = models.CharField(max_length=32)
    started_induction = models.BooleanField()
    induction_sessions = models.PositiveSmallIntegerField()
    completed_six = models.BooleanField()
    assessed = models.BooleanField()  # a PHQ-9 1-14 days after the last induction session
    responded = models.BooleanField()
    remitted = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["organization", "started_on"])]

    def __str__(self) -> str:
        return f"course outcome {self.pk}"


class OutcomeVersion(models.Model):
    """Bumped by every refresh of an organisation's rows: the analytics cache's key."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveBigIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"outcomes v{self.version}"
