from __future__ import annotations

from django import forms

from lasting.outreach.models import ContactPreference


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
