from __future__ import annotations

from django import forms

from lasting.alerts.models import ContactOutcome
from lasting.alerts.services import NOTE_MAX_CHARS


class ContactAttemptForm(forms.Form):
    """One attempt to contact the patient about a safety alert: the outcome and a note."""

    outcome = forms.ChoiceField(
        label="Outcome",
        choices=ContactOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what came of the attempt."},
    )
    note = forms.CharField(
        label="Note",
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was said or done, and the plan. Required.",
        error_messages={"required": "Write a note: what was said or done, and the plan."},
    )
