from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Membership, Organization
from lasting.treatment.models import ClinicalEvent, TreatmentSession, VitalPhase, VitalSign

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SessionForm(forms.ModelForm[TreatmentSession]):
    class Meta:
        model = TreatmentSession
        fields = [
            "kind",
            "route",
            "location",
            "dose_mg",
            "dose_mg_per_kg",
            "lot_number",
            "started_at",
            "ended_at",
            "sedation",
            "dissociation",
            "respiratory_depression",
            "adverse_events",
            "serious_adverse_event",
            "discharge_note",
        ]
        widgets = {
            "started_at": DATETIME_WIDGET,
            "ended_at": DATETIME_WIDGET,
            "adverse_events": forms.Textarea(attrs={"rows": 2}),
            "discharge_note": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "dose_mg": "Dose (mg)",
            "dose_mg_per_kg": "Dose (mg/kg)",
            "sedation": "Sedation (0 awake – 5 unresponsive)",
            "dissociation": "Dissociation (0 none – 4 severe)",
        }

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location = self.fields["location"]
        assert isinstance(location, forms.ModelChoiceField)
        location.queryset = Location.objects.filter(organization_id=membership.organization_id)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        started_at, ended_at = cleaned.get("started_at"), cleaned.get("ended_at")
        if started_at and ended_at and ended_at < started_at:
            self.add_error("ended_at", "The session cannot end before it starts.")
        return cleaned


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


class BaseVitalSignFormSet(forms.BaseFormSet[VitalSignForm]):
    """Rows are offered for before, during and after the dose; a row left empty is skipped."""

    def initial_form_count(self) -> int:
        # Every row is optional (the session's own rules say which are needed), so none
        # counts as an "initial" row that would have to be filled in.
        return 0


VitalSignFormSet = forms.formset_factory(
    VitalSignForm, formset=BaseVitalSignFormSet, extra=3, max_num=12
)

INITIAL_VITAL_PHASES = [VitalPhase.BEFORE, VitalPhase.DURING, VitalPhase.AFTER]


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
