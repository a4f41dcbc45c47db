"""The patient's forms: the sign-in request, and the check-in form with its words translated."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from lasting.checkins.forms import CheckInForm

EMAIL_MAX_LENGTH = 254


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your e-mail address"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PatientCheckInForm(CheckInForm):
    """The check-in form with Lasting's own words in the active language.

    Questionnaire texts come from their data files (official translations only); the
    words around them - the note's label, "please answer" - are the app's own.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in {"idempotency_key", "note"}:
                continue
            field.error_messages["required"] = gettext("Please answer this question.")
        if "note" in self.fields:
            self.fields["note"].label = gettext(
                "Anything you want your care team to know? (optional)"
            )
            # The warning that notes are not read in real time is read with the field.
            self.fields["note"].widget.attrs["aria-describedby"] = "note-not-monitored"
