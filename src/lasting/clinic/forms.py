"""The caseload's filters: choices only from the member's own organisation."""

from __future__ import annotations

from typing import Any

from django import forms

from lasting.accounts.models import Location, Membership
from lasting.accounts.queries import list_clinicians
from lasting.clinic.bands import risk_bands_for
from lasting.clinic.queries import CaseloadFilter
from lasting.patients.models import Phase


class CaseloadFilterForm(forms.Form):
    location = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    clinician = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    phase = forms.ChoiceField(required=False)
    risk = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, membership: Membership, show_risk: bool, **kwargs: Any):
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
        choice["phase"].choices = [  # type: ignore[attr-defined]
            ("", "All phases"),
            ("active", "In active care"),
            *Phase.choices,
        ]
        if show_risk:
            choice["risk"].choices = [("", "Any risk")] + [  # type: ignore[attr-defined]
                (band.value, label)
                for band, label in risk_bands_for(membership.organization_id).labels().items()
            ]
        else:
            del self.fields["risk"]

    def filters(self) -> CaseloadFilter:
        """The valid filters; an invalid value (an old link, a tampered URL) narrows nothing."""
        if not self.is_valid():
            return CaseloadFilter()
        data = self.cleaned_data
        return CaseloadFilter(
            location_id=data.get("location"),
            clinician_id=data.get("clinician"),
            phase=data.get("phase") or "",
            risk=data.get("risk") or "",
        )
