"""The clinic admin's forms."""

from __future__ import annotations

from django import forms

from lasting.accounts.models import CrisisResource


class CrisisResourceForm(forms.ModelForm[CrisisResource]):
    """One language's crisis resource; the model refuses instructions that name another
    number than the line's own (`validate_one_line`)."""

    class Meta:
        model = CrisisResource
        fields = [
            "name",
            "phone",
            "text_number",
            "text_keyword",
            "instructions",
            "emergency_phone",
        ]
        labels = {
            "name": "Name of the line",
            "phone": "Phone number to call",
            "text_number": "Number to text (empty if the line takes no texts)",
            "text_keyword": "Word to text (optional)",
            "instructions": "How to reach it, in this language",
            "emergency_phone": "Emergency services number (empty: 'your local emergency number')",
        }
        help_texts = {
            "text_keyword": "For example AYUDA, which reaches the 988 Lifeline's Spanish service.",
            "instructions": (
                "Shown next to the name. Name no number but this line's own: the emergency "
                "number is shown on its own labelled line."
            ),
        }
        widgets = {"instructions": forms.Textarea(attrs={"rows": 3})}
