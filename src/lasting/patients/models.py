"""Patients and their treatment courses. Every row carries its organisation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper

from lasting.accounts.models import Location, Organization, validate_time_zone
from lasting.patients.phones import validate_e164


class Diagnosis(models.TextChoices):
    TRD_MDD = "trd_mdd", "Treatment-resistant depression / MDD"
    BIPOLAR_DEPRESSION = "bipolar_depression", "Bipolar depression"
    GAD = "gad", "Generalised anxiety disorder"
    PTSD = "ptsd", "PTSD"
    OCD = "ocd", "OCD"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"
    OTHER = "other", "Other"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class Patient(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="patients"
    )
    record_number = models.CharField(max_length=32, help_text="The clinic's own patient number.")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    preferred_language = models.CharField(
        max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True, validators=[validate_e164])
    assigned_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_patients",
    )
    # Blank for a person registered from an evaluation request before any diagnosis is
    # known; the staff form asks for at least one.
    diagnoses = models.JSONField(default=list, blank=True, help_text="Diagnosis codes")
    concurrent_antidepressant = models.BooleanField(default=False)
    antidepressant_name = models.CharField(max_length=100, blank=True)
    in_therapy = models.BooleanField(default=False, help_text="Takes part in psychotherapy")
    portal_access = models.BooleanField(
        default=False, help_text="May sign in by an e-mailed link to see their own results"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "record_number"], name="patient_record_number_unique"
            ),
            # "cw-100" and "CW-100" are one number: two charts must never share it, or
            # a merge of records or an import would attach one patient's data to another.
            models.UniqueConstraint(
                "organization",
                Upper("record_number"),
                name="patient_record_number_unique_any_case",
            ),
        ]
        indexes = [models.Index(fields=["organization", "family_name", "given_name"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def diagnosis_labels(self) -> list[str]:
        labels = dict(Diagnosis.choices)
        return [str(labels.get(code, code)) for code in self.diagnoses]


class Phase(models.TextChoices):
    EVALUATION = "evaluation", "Evaluation"
    INDUCTION = "induction", "Induction"
    MAINTENANCE = "maintenance", "Maintenance"
    DISCONTINUED = "discontinued", "Discontinued"
    COMPLETED = "completed", "Completed"


class EndReason(models.TextChoices):
    """Why a course ended (a discharge, or a new course started after it)."""

    COMPLETED = "completed", "Treatment completed"
    PATIENT_CHOICE = "patient_choice", "Patient chose to stop"
    NO_RESPONSE = "no_response", "No response"
    ADVERSE_EFFECTS = "adverse_effects", "Adverse effects"
    TRANSFERRED = "transferred", "Transferred or moved away"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up", "Lost to follow-up"
    RELAPSE = "relapse", "Relapse: a new course"
    RETURN_AFTER_GAP = "return_after_gap", "Return after a gap: a new course"
    OTHER = "other", "Other"


class Course(models.Model):
    """One treatment course: evaluation → induction → maintenance → ended."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="courses")
    number = models.PositiveSmallIntegerField(default=1)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.EVALUATION)
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=24, choices=EndReason.choices, blank=True)
    end_note = models.CharField(max_length=400, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "number"], name="course_number_unique")
        ]
        ordering = ["patient_id", "number"]

    def __str__(self) -> str:
        return f"Course {self.number} ({self.get_phase_display()})"
