"""Booking, moving and cancelling appointments; choices from the member's organisation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from lasting.accounts.models import Location, Membership, User
from lasting.accounts.queries import list_clinicians
from lasting.treatment.models import Route, SessionKind

DURATIONS = [
    (30, "30 minutes"),
    (60, "1 hour"),
    (90, "1.5 hours"),
    (120, "2 hours"),
    (150, "2.5 hours"),
    (180, "3 hours"),
]


class ClinicianField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class AppointmentForm(forms.Form):
    kind = forms.ChoiceField(choices=SessionKind.choices, label="Kind")
    route = forms.ChoiceField(
        choices=[("", "Not decided"), *list(Route.choices)], required=False, label="Route"
    )
    starts_at = forms.DateTimeField(
        label="Starts (the location's local time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.TypedChoiceField(
        choices=DURATIONS, coerce=int, initial=120, label="Length"
    )
    location = forms.ModelChoiceField(queryset=Location.objects.none(), label="Location")
    clinician = ClinicianField(queryset=User.objects.none(), required=False, label="Clinician")

    def __init__(self, *args: Any, membership: Membership, moving: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        organization_id = membership.organization_id
        location = self.fields["location"]
        clinician = self.fields["clinician"]
        assert isinstance(location, forms.ModelChoiceField)
        assert isinstance(clinician, forms.ModelChoiceField)
        location.queryset = Location.objects.filter(organization_id=organization_id, is_active=True)
        clinician.queryset = list_clinicians(organization_id)
        if moving:
            for name in ("kind", "route", "clinician"):
                del self.fields[name]


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=200, label="Why")


class PriceListForm(forms.Form):
    """One optional amount per (location, route, kind); empty means no price set."""

    def __init__(
        self,
        *args: Any,
        keys: list[tuple[int, str, str]],
        initial: dict[tuple[int, str, str], Decimal],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.keys = keys
        for key in keys:
            self.fields[self.field_name(key)] = forms.DecimalField(
                required=False,
                min_value=Decimal(0),
                max_value=Decimal(100_000),
                decimal_places=2,
                initial=initial.get(key),
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )

    @staticmethod
    def field_name(key: tuple[int, str, str]) -> str:
        return f"price-{key[0]}-{key[1]}-{key[2]}"

    def amounts(self) -> dict[tuple[int, str, str], Decimal | None]:
        return {key: self.cleaned_data.get(self.field_name(key)) for key in self.keys}
