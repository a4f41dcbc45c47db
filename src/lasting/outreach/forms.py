from __future__ import annotations

from django import forms

from lasting.outreach.models import (
    ContactPreference,
    OutreachChannel,
    OutreachOutcome,
    ReminderDefaults,
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


class ReminderDefaultsForm(forms.ModelForm[ReminderDefaults]):
    """The clinic's reminder defaults, for patients who have set none of their own."""

    class Meta:
        model = ReminderDefaults
        fields = ["channel", "quiet_from", "quiet_until"]
        labels = {
            "channel": "Remind by",
            "quiet_from": "No reminders from (the patient's local time)",
            "quiet_until": "No reminders until",
        }
        widgets = {
            "quiet_from": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_until": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
