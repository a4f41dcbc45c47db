"""Relapse-prevention plans: versioned text written with the patient, and the patient's own
warning signs tracked as personal items of the daily check.

The plan's sections follow the Stanley-Brown safety plan (Stanley & Brown 2012); the rules
for personal items (answer types, thresholds, directions) are in
docs/clinical.md#relapse-prevention-plan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lasting.accounts.models import Organization
from lasting.checkins.models import CheckIn
from lasting.patients.models import Patient


class AnswerType(models.TextChoices):
    SCALE = "scale", "0-10 scale"
    YES_NO = "yes_no", "Yes or no"
    HOURS = "hours", "Hours (0-24)"


# The values an answer of each type can take (yes is 1, no is 0).
ANSWER_RANGES: dict[str, tuple[float, float]] = {
    AnswerType.SCALE: (0.0, 10.0),
    AnswerType.YES_NO: (0.0, 1.0),
    AnswerType.HOURS: (0.0, 24.0),
}


class Direction(models.TextChoices):
    """Which side of the personal threshold is the warning."""

    AT_OR_ABOVE = "above", "At or above the threshold"
    AT_OR_BELOW = "below", "At or below the threshold"


def threshold_problem(answer_type: str, direction: str, threshold: float) -> str:
    """Why a threshold cannot work for this answer type and direction ("" when it can).

    1. It lies within the answers' range (0-10, 0-24 hours, no = 0 / yes = 1).
    2. A 0-10 or yes/no answer is a whole number, so is its threshold.
    3. Some answer is not a warning: "at or above 0" or "at or below 10" would warn on
       every answer, and a sign that always warns tells nothing.
    """
    low, high = ANSWER_RANGES[answer_type]
    if not low <= threshold <= high:
        return f"The threshold must lie between {low:g} and {high:g}."
    if answer_type != AnswerType.HOURS and threshold != int(threshold):
        return "The threshold must be a whole number for this answer type."
    if direction == Direction.AT_OR_ABOVE and threshold <= low:
        return f"At or above {threshold:g} would count every answer as a warning."
    if direction == Direction.AT_OR_BELOW and threshold >= high:
        return f"At or below {threshold:g} would count every answer as a warning."
    return ""


def is_warning(direction: str, threshold: float, value: float) -> bool:
    """Whether an answer lies on the warning side of the personal threshold."""
    if direction == Direction.AT_OR_ABOVE:
        return value >= threshold
    return value <= threshold


class PlanVersion(models.Model):
    """One version of a patient's relapse-prevention plan; never changed once stored.

    The current plan is the patient's highest version. Each version keeps the tracked
    items as they stood (`items`), so an old version reads as it was.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="prevention_versions"
    )
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The author's name as it read then: the version outlives a renamed or removed account.
    author_name = models.CharField(max_length=150)
    reason = models.CharField(max_length=500)
    # Stanley-Brown steps 1-6, then the practice the plan asks for.
    warning_signs = models.TextField(blank=True)
    coping_strategies = models.TextField(blank=True)
    people_and_places = models.TextField(blank=True)
    help_contacts = models.TextField(blank=True)
    professional_contacts = models.TextField(blank=True)
    safe_environment = models.TextField(blank=True)
    practice = models.TextField(blank=True)
    items = models.JSONField(default=list)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "number"], name="one_prevention_version_per_number"
            )
        ]


SECTIONS = (
    "warning_signs",
    "coping_strategies",
    "people_and_places",
    "help_contacts",
    "professional_contacts",
    "safe_environment",
    "practice",
)


class PersonalItem(models.Model):
    """A warning sign of the patient's own, asked in the daily check while active."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="personal_items")
    warning_sign = models.CharField(max_length=120)
    # As the clinician wrote it, in the patient's language; a Spanish text is optional.
    question = models.CharField(max_length=300)
    question_es = models.CharField(max_length=300, blank=True)
    answer_type = models.CharField(max_length=8, choices=AnswerType.choices)
    threshold = models.FloatField()
    direction = models.CharField(max_length=8, choices=Direction.choices)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["patient", "active"])]

    def question_in(self, language: str) -> str:
        """The question in `language` when written in it, else as the clinician wrote it."""
        if language == "es" and self.question_es:
            return self.question_es
        return self.question

    def snapshot(self) -> dict[str, object]:
        return {
            "id": self.pk,
            "warning_sign": self.warning_sign,
            "question": self.question,
            "question_es": self.question_es,
            "answer_type": self.answer_type,
            "threshold": self.threshold,
            "direction": self.direction,
            "active": self.active,
        }


class PersonalItemAnswer(models.Model):
    """One answer to a personal item, stored with its check-in through the one door."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="personal_answers")
    item = models.ForeignKey(PersonalItem, on_delete=models.PROTECT, related_name="answers")
    value = models.FloatField()
    # The day on the patient's clock when the check-in was sent.
    answered_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["checkin", "item"], name="one_answer_per_item_checkin")
        ]
        indexes = [models.Index(fields=["patient", "answered_on"])]
