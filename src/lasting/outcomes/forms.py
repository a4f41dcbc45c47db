"""The analytics page's filters: choices only from the member's own organisation."""

from __future__ import annotations

from typing import Any

from django import forms

from lasting.accounts.models import Location, Membership
from lasting.accounts.queries import list_clinicians
from lasting.outcomes.queries import OutcomeFilters
from lasting.patients.models import Diagnosis


class OutcomeFilterForm(forms.Form):
    location = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    clinician = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    start_from = forms.DateField(
        required=False,
        label="Episodes starting from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start_to = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )
    diagnosis = forms.ChoiceField(
        required=False, choices=[("", "All diagnoses"), *Diagnosis.choices]
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any):
        super().__init__(*args, **kwargs)
        locations = Location.objects.filter(organization_id=membership.organization_id)
        clinicians = list_clinicians(membership.organization_id, active_only=False)
        choice = self.fields
        choice["location"].choices = [("", "All locations")] + [  # type: ignore[attr-defined]
            (location.pk, location.name) for location in locations
        ]
        choice["clinician"].choices = [("", "All clinicians")] + [  # type: ignore[attr-defined]
            (user.pk, user.display_name) for user in clinicians
        ]

    def filters(self) -> OutcomeFilters:
        """The valid filters (an invalid field counts as not set)."""
        if not self.is_bound:
            return OutcomeFilters()
        self.is_valid()  # an invalid field is left out of cleaned_data
        data = self.cleaned_data
        return OutcomeFilters(
            location_id=data.get("location"),
            clinician_id=data.get("clinician"),
            start_from=data.get("start_from"),
            start_to=data.get("start_to"),
            diagnosis=data.get("diagnosis") or None,
        )
