from __future__ import annotations

from typing import Any

from django import forms

from lasting.accounts.models import Location, Membership
from lasting.plans.models import MaintenancePlan


class AcceptProposalForm(forms.Form):
    starts_at = forms.DateTimeField(
        label="Booster on",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.ModelChoiceField(queryset=Location.objects.none(), required=False)
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, membership: Membership | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location = self.fields["location"]
        assert isinstance(location, forms.ModelChoiceField)
        # Only the member's own organisation's locations; none for anyone without one.
        location.queryset = (
            Location.objects.filter(organization_id=membership.organization_id, is_active=True)
            if membership
            else Location.objects.none()
        )


class MoveProposalForm(forms.Form):
    earliest_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    latest_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        earliest, latest = cleaned.get("earliest_on"), cleaned.get("latest_on")
        if earliest and latest and latest < earliest:
            self.add_error("latest_on", "The window cannot end before it starts.")
        return cleaned


class DeclineProposalForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        error_messages={"required": "Say why the booster is declined."},
    )


class MaintenancePlanForm(forms.ModelForm[MaintenancePlan]):
    """The plan's policy and parameters; the forecast's threshold is shown and entered as a
    percentage (45 for 45 %) and stored as a probability (0.45), as before."""

    probability_threshold = forms.DecimalField(
        label="Forecast: propose at this chance of relapse within 3 weeks (%)",
        min_value=5,
        max_value=95,
        decimal_places=1,
        help_text="A percentage from 5 to 95, e.g. 45 for 45 %.",
        widget=forms.NumberInput(attrs={"step": "1", "min": "5", "max": "95"}),
        error_messages={
            "min_value": "Enter a percentage of at least 5.",
            "max_value": "Enter a percentage of at most 95.",
        },
    )

    reason = forms.CharField(
        label="Why does the plan change?",
        max_length=500,
        help_text="Kept in the plan's history with your name and the time.",
        error_messages={"required": "Say why the plan changes."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.initial.get("probability_threshold")
        if stored is not None:
            self.initial["probability_threshold"] = _as_percent(float(stored))

    def clean_probability_threshold(self) -> float:
        percent = self.cleaned_data["probability_threshold"]
        return round(float(percent) / 100.0, 4)

    class Meta:
        model = MaintenancePlan
        fields = [
            "policy",
            "probability_threshold",
            "min_spacing_days",
            "symptom_threshold",
            "fixed_interval_days",
            "daily_check",
        ]
        labels = {
            "daily_check": "Ask for the daily check (mood, sleep, stress) every evening",
            "min_spacing_days": "Minimum days between a session and a proposal",
            "symptom_threshold": "Symptom: PHQ-9 threshold",
            "fixed_interval_days": "Fixed: days between boosters",
        }


def _as_percent(probability: float) -> int | float:
    """Show a stored probability as a percentage: 0.45 as 45, 0.125 as 12.5."""
    percent = round(100.0 * probability, 1)
    return int(percent) if percent == int(percent) else percent
