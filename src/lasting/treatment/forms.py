from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Membership, Organization, User
from lasting.accounts.rules import CLINICAL_ROLES
from lasting.patients.models import Patient
from lasting.treatment.models import (
    SEDATION_CHOICES,
    ClinicalEvent,
    LifeEvent,
    MedicationChange,
    Route,
    TherapyEvent,
    TreatmentSession,
    VitalPhase,
    VitalSign,
)
from lasting.treatment.services import check_life_context_day
from lasting_core.sessions import Reading, ReadingPhase, check_reading

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


YES_NO = [("True", "Yes"), ("False", "No")]
ESKETAMINE_DOSES = [
    ("", "—"),
    ("56", "56 mg (2 devices)"),
    ("84", "84 mg (3 devices)"),
    ("other", "Other (enter the mg and the reason)"),
]
# The REMS patient-monitoring form's yes/no questions, in the form's order.
REMS_YES_NO = [
    "rems_patient_enrolled",
    "rems_first_treatment",
    "takes_benzodiazepines",
    "takes_non_benzodiazepine_sedative_hypnotics",
    "takes_psychostimulants",
    "takes_maois",
    "vitals_acceptable_before_dose",
    "vitals_acceptable_before_leaving",
    "effects_resolved_at_end",
]
# Fields carried over from the patient's previous esketamine session
# (docs/clinical.md#session-safety).
CARRIED_OVER = [
    "rems_patient_enrolled",
    "takes_benzodiazepines",
    "takes_non_benzodiazepine_sedative_hypnotics",
    "takes_psychostimulants",
    "takes_maois",
]


class ClinicianChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class SessionForm(forms.ModelForm[TreatmentSession]):
    """A session as the nurse signs it; the rules themselves run in `log_session`."""

    esketamine_dose = forms.ChoiceField(
        choices=ESKETAMINE_DOSES, required=False, label="Esketamine dose"
    )
    confirm_findings = forms.BooleanField(
        required=False,
        label="I have weighed these findings; the session went ahead for the reason below",
    )

    class Meta:
        model = TreatmentSession
        fields = [
            "kind",
            "route",
            "location",
            "dose_mg",
            "dose_mg_per_kg",
            "dose_reason",
            "lot_number",
            "started_at",
            "ended_at",
            "monitoring_clinician",
            "ready_to_leave_minutes",
            "sedation",
            "dissociation",
            "respiratory_depression",
            "adverse_events",
            "serious_adverse_event",
            "discharge_note",
            *REMS_YES_NO,
            "confirmed_reason",
        ]
        widgets = {
            "started_at": DATETIME_WIDGET,
            "ended_at": DATETIME_WIDGET,
            "sedation": forms.RadioSelect,
            "adverse_events": forms.Textarea(attrs={"rows": 2}),
            "discharge_note": forms.Textarea(attrs={"rows": 2}),
            "confirmed_reason": forms.Textarea(attrs={"rows": 2}),
            **{name: forms.RadioSelect(choices=YES_NO) for name in REMS_YES_NO},
        }
        labels = {
            "dose_mg": "Dose (mg)",
            "dose_mg_per_kg": "Dose (mg/kg)",
            "dose_reason": "Reason for a dose other than 56 or 84 mg",
            "lot_number": "Lot number",
            "started_at": "Dose given at (esketamine: first device)",
            "ended_at": "Monitoring ended at",
            "monitoring_clinician": "Monitored by",
            "ready_to_leave_minutes": (
                "Without the 2-hour minimum, ready to leave after (minutes from first device)"
            ),
            "sedation": "Sedation, deepest level (MOAA/S)",
            "dissociation": "Dissociation, strongest (0 none – 4 severe)",
            "respiratory_depression": "Respiratory depression",
            "serious_adverse_event": "Serious adverse event",
            "rems_patient_enrolled": "Patient enrolled in the SPRAVATO REMS",
            "rems_first_treatment": "First esketamine treatment",
            "takes_benzodiazepines": "Takes benzodiazepines",
            "takes_non_benzodiazepine_sedative_hypnotics": (
                "Takes non-benzodiazepine sedative hypnotics"
            ),
            "takes_psychostimulants": "Takes psychostimulants",
            "takes_maois": "Takes MAOIs",
            "vitals_acceptable_before_dose": "Vital signs acceptable before the dose",
            "vitals_acceptable_before_leaving": "Vital signs acceptable before leaving",
            "effects_resolved_at_end": (
                "Sedation, dissociation and respiratory depression resolved by the end"
            ),
            "confirmed_reason": "Reason (benefit and risk)",
        }
        help_texts = {
            "ended_at": "Esketamine: at least 2 hours after the first device, and until "
            "sedation, dissociation and respiratory depression have resolved.",
            "dose_mg_per_kg": "IV and IM ketamine.",
        }

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location = self.fields["location"]
        assert isinstance(location, forms.ModelChoiceField)
        location.queryset = Location.objects.filter(
            organization_id=membership.organization_id, is_active=True
        )
        self.fields["monitoring_clinician"] = ClinicianChoiceField(
            queryset=User.objects.filter(
                memberships__organization_id=membership.organization_id,
                memberships__is_active=True,
                memberships__role__in=CLINICAL_ROLES,
            ).order_by("last_name", "first_name"),
            required=False,
            label=self.Meta.labels["monitoring_clinician"],
        )
        self.fields["dose_mg"].required = False
        sedation = self.fields["sedation"]
        assert isinstance(sedation, forms.TypedChoiceField)
        # Radio buttons list every MOAA/S level; none is pre-selected.
        sedation.choices = SEDATION_CHOICES

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("route") == Route.INTRANASAL_ESKETAMINE:
            choice = cleaned.get("esketamine_dose")
            if choice in ("56", "84"):
                cleaned["dose_mg"] = Decimal(choice)
            elif choice == "other" and cleaned.get("dose_mg") is None:
                self.add_error("dose_mg", "Enter the dose in mg.")
        return cleaned

    def session_fields(self) -> dict[str, Any]:
        """The cleaned values of the session's own fields (what `log_session` stores)."""
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


def initial_from_previous(previous: TreatmentSession | None) -> dict[str, Any]:
    """Pre-fill what carries over from the patient's previous esketamine session."""
    if previous is None:
        return {"rems_first_treatment": True}
    carried = {name: getattr(previous, name) for name in CARRIED_OVER}
    return {**carried, "rems_first_treatment": False}


class VitalSignForm(forms.ModelForm[VitalSign]):
    class Meta:
        model = VitalSign
        fields = [
            "phase",
            "measured_at",
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
        ]
        widgets = {"measured_at": DATETIME_WIDGET}
        labels = {
            "systolic_mmhg": "Systolic (mmHg)",
            "diastolic_mmhg": "Diastolic (mmHg)",
            "heart_rate_bpm": "Heart rate (bpm)",
            "spo2_percent": "SpO₂ (%)",
        }

    def clean(self) -> dict[str, Any]:
        """Refuse a reading that cannot be real (diastolic at or above systolic, ...)."""
        cleaned: dict[str, Any] = super().clean() or {}
        values = [cleaned.get(name) for name in READING_VALUES]
        if all(value is not None for value in values) and cleaned.get("measured_at"):
            reading = Reading(
                phase=ReadingPhase(cleaned["phase"]),
                measured_at=cleaned["measured_at"],
                **{name: cleaned[name] for name in READING_VALUES},
            )
            for problem in check_reading(reading):
                if problem.field not in self.errors:
                    self.add_error(problem.field, problem.message)
        return cleaned


READING_VALUES = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_percent")


class BaseVitalSignFormSet(forms.BaseFormSet[VitalSignForm]):
    """Rows are offered for each phase; a row left empty is skipped."""

    def initial_form_count(self) -> int:
        # Every row is optional (the session's own rules say which are needed), so none
        # counts as an "initial" row that would have to be filled in.
        return 0


VitalSignFormSet = forms.formset_factory(
    VitalSignForm, formset=BaseVitalSignFormSet, extra=4, max_num=12
)

INITIAL_VITAL_PHASES = [
    VitalPhase.BEFORE,
    VitalPhase.DURING,
    VitalPhase.AFTER,
    VitalPhase.DISCHARGE,
]


class SubmissionForm(forms.Form):
    """Record that a REMS patient-monitoring form was sent to the REMS."""

    submitted_on = forms.DateField(
        label="Submitted to the REMS on", widget=forms.DateInput(attrs={"type": "date"})
    )
    submission_reference = forms.CharField(
        label="Confirmation number (optional)", max_length=64, required=False
    )


class ClinicalEventForm(forms.ModelForm[ClinicalEvent]):
    class Meta:
        model = ClinicalEvent
        fields = ["kind", "occurred_on", "note"]
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"kind": "Event", "occurred_on": "Date"}

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_occurred_on(self) -> date:
        occurred_on: date = self.cleaned_data["occurred_on"]
        if occurred_on > today_in(self.organization.time_zone):
            raise forms.ValidationError("The event cannot be in the future.")
        return occurred_on


class LifeContextForm(forms.ModelForm[Any]):
    """What the three staff forms share: the date is a day of the patient's life, so it
    starts at today on the patient's clock and may not be later (checked again at the door)."""

    day_field = "occurred_on"

    # Filled when the form is served: the same form sent twice stores one row.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault(self.day_field, today_in(patient.time_zone))
        initial.setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields[
            self.day_field
        ].help_text = f"A day on the patient's calendar ({patient.time_zone})."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day = cleaned.get(self.day_field)
        if day is not None:
            try:
                check_life_context_day(self.patient, day)
            except forms.ValidationError as refused:
                self.add_error(self.day_field, refused)
        return cleaned

    def fields_to_store(self) -> dict[str, Any]:
        names = [*(self._meta.fields or ()), "idempotency_key"]
        return {name: self.cleaned_data[name] for name in names}


class LifeEventForm(LifeContextForm):
    class Meta:
        model = LifeEvent
        fields = ["kind", "occurred_on", "weight", "note"]
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}),
            "weight": forms.RadioSelect,
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"kind": "Event", "occurred_on": "Date", "weight": "How stressful"}


class MedicationChangeForm(LifeContextForm):
    day_field = "changed_on"

    class Meta:
        model = MedicationChange
        fields = ["changed_on", "change", "drug_name", "dose_text", "drug_class", "note"]
        widgets = {
            "changed_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "changed_on": "Date",
            "change": "Change",
            "drug_name": "Medication",
            "dose_text": "Dose",
            "drug_class": "Class",
        }
        help_texts = {"dose_text": "As prescribed, e.g. 50 mg once a day; the new dose."}


class TherapyEventForm(LifeContextForm):
    class Meta:
        model = TherapyEvent
        fields = ["occurred_on", "kind", "therapy", "note"]
        widgets = {
            "occurred_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"occurred_on": "Date", "kind": "What", "therapy": "Therapy"}
        help_texts = {"therapy": "e.g. CBT, DBT, couples therapy (optional)."}
