"""What the engine says about each patient, stored: assessments and the clinic's prior.

The engine itself is pure (`lasting_core.engine`); this app is its adapter: it reads the
patients' history rows, runs the engine and stores what it says.
"""

from __future__ import annotations

from django.conf import settings as django_settings
from django.db import models

from lasting.accounts.models import Organization
from lasting.patients.models import Patient
from lasting_core.definitions import RelapseState as CoreRelapseState


class RelapseState(models.TextChoices):
    """Labels for lasting_core.definitions.RelapseState (the values are the core's)."""

    NOT_STARTED = CoreRelapseState.NOT_STARTED.value, "Before induction"
    NO_BASELINE = CoreRelapseState.NO_BASELINE.value, "No baseline PHQ-9"
    NOT_ASSESSED = (
        CoreRelapseState.NOT_ASSESSED.value,
        "Response not judged yet (end of induction)",
    )
    NOT_RESPONDED = CoreRelapseState.NOT_RESPONDED.value, "Not responded (yet)"
    RESPONDING = CoreRelapseState.RESPONDING.value, "Responding"
    PENDING = CoreRelapseState.PENDING.value, "Relapse-level score, awaiting confirmation"
    RELAPSED = CoreRelapseState.RELAPSED.value, "Relapsed"


class RiskAssessment(models.Model):
    """The engine's view of one patient on one day: level, slope, relapse probabilities."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField()
    computed_at = models.DateTimeField()
    level = models.FloatField(null=True)
    level_sd = models.FloatField(null=True)
    slope_per_week = models.FloatField(null=True)
    p_relapse_14d = models.FloatField(null=True)
    p_relapse_28d = models.FloatField(null=True)
    crossing_on = models.DateField(null=True)
    crossing_earliest_on = models.DateField(null=True)
    crossing_latest_on = models.DateField(null=True)
    # The PHQ-9 this patient must reach for the relapse definition (>= 10 and half the
    # improvement lost; docs/clinical.md#definitions).
    relapse_bar = models.FloatField(null=True)
    relapse_state = models.CharField(max_length=32, blank=True, choices=RelapseState.choices)
    explanation = models.TextField(blank=True)
    signals = models.JSONField(default=list)
    # The engine's state after this assessment (JSON), so the next check-in folds in only
    # the new records; the engine sweeps from the start if anything earlier changed.
    engine_state = models.TextField(blank=True)

    class Meta:
        ordering = ["assessed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "assessed_on"], name="one_assessment_per_patient_day"
            )
        ]


class ClinicPrior(models.Model):
    """The engine's clinic-level prior for the personal rate of return, refit by the sweep."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="engine_prior"
    )
    fitted_at = models.DateTimeField()
    parameters = models.JSONField()


class AlertPerformanceSnapshot(models.Model):
    """The engine's replay of a clinic's last 12 months, scored (`risk.performance`).

    One row per organisation and day on the organisation's clock: the daily job run twice
    rewrites the day's row; the page reads the latest.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    computed_on = models.DateField()
    computed_at = models.DateTimeField()
    since_at = models.DateTimeField()
    until_at = models.DateTimeField()
    figures = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "computed_on"], name="one_alert_performance_per_day"
            )
        ]
        indexes = [models.Index(fields=["organization", "-computed_at"])]


class EngineCalibration(models.Model):
    """One version of an organisation's engine settings, fitted on its own history.

    `lasting calibrate` writes one row per calibration; the latest version is the one the
    engine uses (`risk.services.settings_for`), the earlier ones stay as the record of what
    was used when. ``settings`` holds the fitted `EngineSettings` fields
    (`lasting_core.engine.calibrate.FITTED_FIELDS`); ``metrics`` what they measured on the
    history (sensitivity, lead, false rate, Brier score, reliability table, the prior).
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="engine_calibrations"
    )
    version = models.PositiveIntegerField()
    settings = models.JSONField()
    metrics = models.JSONField()
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["organization", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="one_engine_calibration_per_version"
            )
        ]
