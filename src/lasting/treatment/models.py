"""Ketamine treatment sessions with their dose, monitoring and vital signs.

The session-safety rules and their sources: docs/clinical.md#session-safety.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from lasting.accounts.models import Location, Organization
from lasting.patients.models import Course, Patient
from lasting_core import sessions as safety
from lasting_core.definitions import ClinicalEventKind as CoreEventKind

LIMITS = safety.VitalLimits()


class SessionKind(models.TextChoices):
    INDUCTION = "induction", "Induction"
    BOOSTER = "booster", "Booster"
    MAINTENANCE = "maintenance", "Maintenance"


class Route(models.TextChoices):
    """How the dose was given; values are the core's (`lasting_core.sessions.Route`)."""

    IV = safety.Route.IV.value, "IV ketamine"
    IM = safety.Route.IM.value, "IM ketamine"
    INTRANASAL_ESKETAMINE = safety.Route.INTRANASAL_ESKETAMINE.value, "Intranasal esketamine"
    OTHER = safety.Route.OTHER.value, "Other"


# The MOAA/S (Chernik 1990) with its wording, awake (5) first.
SEDATION_CHOICES = [(level.score, f"{level.score} · {level.label}") for level in safety.MOAAS]
DISSOCIATION_CHOICES = [
    (level.score, f"{level.score} · {level.label}") for level in safety.DISSOCIATION
]


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
    # A dose other than the labelled ones (esketamine 56 or 84 mg) needs a reason.
    dose_reason = models.CharField(max_length=300, blank=True)
    lot_number = models.CharField(max_length=64, blank=True)
    # The dose (for esketamine: the first device) and the end of monitoring.
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # The deepest sedation seen, on the MOAA/S: 5 responds readily to name ... 0 no
    # response to a painful stimulus. Dissociation: 0 (none) - 4 (severe).
    sedation = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=SEDATION_CHOICES, validators=[MaxValueValidator(5)]
    )
    dissociation = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=DISSOCIATION_CHOICES, validators=[MaxValueValidator(4)]
    )
    respiratory_depression = models.BooleanField(default=False)
    adverse_events = models.TextField(blank=True)
    serious_adverse_event = models.BooleanField(default=False)
    discharge_note = models.TextField(blank=True)
    # The SPRAVATO REMS patient-monitoring form (esketamine); empty for other routes.
    monitoring_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ready_to_leave_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    vitals_acceptable_before_dose = models.BooleanField(null=True, blank=True)
    vitals_acceptable_before_leaving = models.BooleanField(null=True, blank=True)
    effects_resolved_at_end = models.BooleanField(null=True, blank=True)
    takes_benzodiazepines = models.BooleanField(null=True, blank=True)
    takes_non_benzodiazepine_sedative_hypnotics = models.BooleanField(null=True, blank=True)
    takes_psychostimulants = models.BooleanField(null=True, blank=True)
    takes_maois = models.BooleanField(null=True, blank=True)
    rems_patient_enrolled = models.BooleanField(null=True, blank=True)
    rems_first_treatment = models.BooleanField(null=True, blank=True)
    # What the session was stored despite (a pre-dose BP above 140/90, SpO2 below 92 %,
    # mg/kg outside 0.1-1.0): the findings as shown, and the reason confirmed for them.
    confirmed_findings = models.JSONField(default=list, blank=True)
    confirmed_reason = models.TextField(blank=True)
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
                violation_error_message="Monitoring cannot end before the dose.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d}"

    @property
    def is_esketamine(self) -> bool:
        return self.route == Route.INTRANASAL_ESKETAMINE

    @property
    def monitored_minutes(self) -> int | None:
        """Minutes from the dose (the first device) to the end of monitoring."""
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds() // 60)

    @property
    def sedation_label(self) -> str:
        return "" if self.sedation is None else safety.moaas_label(self.sedation)


class VitalPhase(models.TextChoices):
    """When the reading was taken; values are the core's (`lasting_core.sessions`)."""

    BEFORE = safety.ReadingPhase.BEFORE.value, "Before the dose"
    DURING = safety.ReadingPhase.DURING.value, "During"
    AFTER = safety.ReadingPhase.AFTER.value, "After the dose (esketamine: about 40 min)"
    DISCHARGE = safety.ReadingPhase.DISCHARGE.value, "Before leaving"


class VitalSign(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="vitals")
    measured_at = models.DateTimeField()
    phase = models.CharField(max_length=16, choices=VitalPhase.choices)
    # Physiological limits from the core (`VitalLimits`): outside them a value is a typo.
    systolic_mmhg = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(LIMITS.systolic_mmhg.low),
            MaxValueValidator(LIMITS.systolic_mmhg.high),
        ]
    )
    diastolic_mmhg = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(LIMITS.diastolic_mmhg.low),
            MaxValueValidator(LIMITS.diastolic_mmhg.high),
        ]
    )
    heart_rate_bpm = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(LIMITS.heart_rate_bpm.low),
            MaxValueValidator(LIMITS.heart_rate_bpm.high),
        ]
    )
    spo2_percent = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(LIMITS.spo2_percent.low),
            MaxValueValidator(LIMITS.spo2_percent.high),
        ]
    )

    class Meta:
        ordering = ["measured_at"]


class MonitoringForm(models.Model):
    """The SPRAVATO REMS patient-monitoring form of one esketamine session.

    Its contents are the session itself (never typed twice); this row tracks the
    obligation: due 7 calendar days after the session, and who recorded its submission.
    """

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    session = models.OneToOneField(
        TreatmentSession, on_delete=models.CASCADE, related_name="monitoring_form"
    )
    due_on = models.DateField()
    submitted_on = models.DateField(null=True, blank=True)
    submission_reference = models.CharField(max_length=64, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submission_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on"]
        indexes = [models.Index(fields=["organization", "submitted_on", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(submitted_on__isnull=True)
                | models.Q(submitted_by__isnull=False, submission_recorded_at__isnull=False),
                name="monitoring_form_submission_names_who",
            )
        ]

    def __str__(self) -> str:
        return f"REMS monitoring form, session {self.session_id}"


class AppointmentStatus(models.TextChoices):
    """Where an appointment stands on the day: booked, then on the floor, then done."""

    SCHEDULED = "scheduled", "Scheduled"
    ARRIVED = "arrived", "Arrived"
    DOSED = "dosed", "In session"
    COMPLETED = "completed", "Discharged"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "Did not attend"


# Appointments that hold a chair: booked, or the patient is on the floor.
HOLDS_A_CHAIR = (AppointmentStatus.SCHEDULED, AppointmentStatus.ARRIVED, AppointmentStatus.DOSED)


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
    # How the dose will be given, so the floor knows what is due when (blank: not known).
    route = models.CharField(max_length=24, choices=Route.choices, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    dosed_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["organization", "starts_at"]),
            models.Index(fields=["location", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=15, duration_minutes__lte=480),
                name="appointment_duration_in_range",
            )
        ]

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class ClinicalEventKind(models.TextChoices):
    """Events that count as a relapse at once; values are the core's."""

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


# Life events, medication changes and therapy: what changes durability besides sessions
# (docs/clinical.md#life-events-medication-and-therapy). Their dates are calendar dates
# on the patient's clock, never in the future there.


class EntrySource(models.TextChoices):
    """Who told the clinic: the patient from their own page, or the clinical team."""

    PATIENT = "patient", "Reported by the patient"
    CLINIC = "clinic", "Entered by the clinical team"


class LifeEventKind(models.TextChoices):
    BEREAVEMENT = "bereavement", "Loss or bereavement"
    RELATIONSHIP = "relationship", "Relationship conflict or break-up"
    MOVE = "move", "Moving home"
    WORK = "work", "Job change or job loss"
    ILLNESS = "illness", "Illness or injury"
    OTHER = "other", "Other"


class LifeEventWeight(models.IntegerChoices):
    """How stressful the event was: a three-step scale (a documented choice)."""

    MILD = 1, "1 · mild"
    MODERATE = 2, "2 · moderate"
    SEVERE = 3, "3 · severe"


class LifeContextEntry(models.Model):
    """What every life event, medication change and therapy entry carries: a note, and
    who recorded it when."""

    note = models.TextField(blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The form's own key: the same form sent twice (a double click, a retried request)
    # stores one row. Empty for rows entered without a form.
    idempotency_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True


def one_row_per_key(name: str) -> models.UniqueConstraint:
    return models.UniqueConstraint(
        fields=["organization", "idempotency_key"],
        condition=~models.Q(idempotency_key=""),
        name=name,
    )


class LifeEvent(LifeContextEntry):
    """A stressful life event on the patient's calendar, with how stressful it was."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="life_events")
    kind = models.CharField(max_length=16, choices=LifeEventKind.choices)
    occurred_on = models.DateField()
    weight = models.PositiveSmallIntegerField(
        choices=LifeEventWeight.choices,
        validators=[
            MinValueValidator(LifeEventWeight.MILD),
            MaxValueValidator(LifeEventWeight.SEVERE),
        ],
    )
    source = models.CharField(max_length=8, choices=EntrySource.choices)

    class Meta:
        ordering = ["occurred_on", "pk"]
        indexes = [models.Index(fields=["organization", "patient", "occurred_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=3),
                name="life_event_weight_in_range",
                violation_error_message="The weight is 1 (mild), 2 (moderate) or 3 (severe).",
            ),
            one_row_per_key("one_life_event_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on:%Y-%m-%d}"


class MedicationChangeKind(models.TextChoices):
    START = "start", "Started"
    STOP = "stop", "Stopped"
    DOSE_CHANGE = "dose_change", "Dose changed"


class DrugClass(models.TextChoices):
    ANTIDEPRESSANT = "antidepressant", "Antidepressant"
    ANTIPSYCHOTIC = "antipsychotic", "Antipsychotic"
    MOOD_STABILISER = "mood_stabiliser", "Mood stabiliser"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    OTHER = "other", "Other psychiatric medication"


class MedicationChange(LifeContextEntry):
    """A psychiatric medication started, stopped or changed in dose."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="medication_changes"
    )
    changed_on = models.DateField()
    change = models.CharField(max_length=16, choices=MedicationChangeKind.choices)
    drug_name = models.CharField(max_length=100)
    # As prescribed, in words ("50 mg once a day"); the new dose for a dose change.
    dose_text = models.CharField(max_length=100, blank=True)
    drug_class = models.CharField(max_length=16, choices=DrugClass.choices)
    source = models.CharField(max_length=8, choices=EntrySource.choices, default=EntrySource.CLINIC)

    class Meta:
        ordering = ["changed_on", "pk"]
        indexes = [models.Index(fields=["organization", "patient", "changed_on"])]
        constraints = [one_row_per_key("one_medication_change_per_key")]

    def __str__(self) -> str:
        return f"{self.get_change_display()} {self.drug_name} {self.changed_on:%Y-%m-%d}"


class TherapyEventKind(models.TextChoices):
    """Therapy as the clinic learns of it: a therapy started, a session attended, stopped."""

    START = "start", "Therapy started"
    SESSION = "session", "Session attended"
    STOP = "stop", "Therapy stopped"


class TherapyEvent(LifeContextEntry):
    """Psychotherapy participation: the start or end of a therapy, or a session attended."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="therapy_events")
    occurred_on = models.DateField()
    kind = models.CharField(max_length=8, choices=TherapyEventKind.choices)
    # What kind of therapy, in the clinic's words ("CBT", "DBT", "couples therapy").
    therapy = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=8, choices=EntrySource.choices, default=EntrySource.CLINIC)

    class Meta:
        ordering = ["occurred_on", "pk"]
        indexes = [models.Index(fields=["organization", "patient", "occurred_on"])]
        constraints = [one_row_per_key("one_therapy_event_per_key")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on:%Y-%m-%d}"
