from __future__ import annotations

from django import forms

from lasting.outreach.models import (
    CheckInDefaults,
    ContactPreference,
    OutreachChannel,
    OutreachOutcome,
)


class ContactPreferenceForm(forms.ModelForm[ContactPreference]):
    class Meta:
        model = ContactPreference
        fields = ["channel", "opted_out", "paused_until", "quiet_from", "quiet_until"]
        labels = {
            "channel": "Send reminders by",
            "opted_out": "Opted out",
            "paused_until": "Pause reminders until (inclusive)",
            "quiet_from": "Quiet hours from (patient's local time)",
            "quiet_until": "Quiet hours until",
        }
        widgets = {
            "paused_until": forms.DateInput(attrs={"type": "date"}),
            "quiet_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }


class OutreachForm(forms.Form):
    """One attempt to reach a patient: how, what came of it, a short note."""

    channel = forms.ChoiceField(choices=OutreachChannel.choices, label="How")
    outcome = forms.ChoiceField(choices=OutreachOutcome.choices, label="Outcome")
    note = forms.CharField(max_length=400, required=False, label="Note")


class CheckInDefaultsForm(forms.ModelForm[CheckInDefaults]):
    """The clinic's check-in and reminder defaults."""

    class Meta:
        model = CheckInDefaults
        fields = [
            "checkin_opens_at",
            "checkin_open_days",
            "stable_after_weeks",
            "channel",
            "quiet_from",
            "quiet_until",
        ]
        labels = {
            "checkin_opens_at": "Weekly check-ins open at (the patient's local time)",
            "checkin_open_days": "...and stay open for (days, 1 to 6)",
            "stable_after_weeks": "Every other week after this many stable weeks (4 to 104)",
            "channel": "Remind by (patients without their own preferences)",
            "quiet_from": "No reminders from (the patient's local time)",
            "quiet_until": "No reminders until",
        }
        widgets = {
            "checkin_opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
