"""The patient's forms: the sign-in request, and the check-in form with its words translated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from lasting.checkins.forms import CheckInForm
from lasting.prevention.models import AnswerType, PersonalItem
from lasting_core.instruments import InstrumentCode

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

    def __init__(
        self, *args: Any, personal_items: Sequence[PersonalItem] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        language = kwargs.get("language", "en")
        # The patient's own warning signs follow the daily check's items (docs/clinical.md).
        self.personal_items = (
            list(personal_items) if InstrumentCode.DAILY in self.instruments else []
        )
        for item in self.personal_items:
            self.fields[personal_field_name(item)] = personal_field(item, language)
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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not self.errors and self.is_blank():
            # Storing an empty check-in would use up the link for nothing: ask again.
            raise forms.ValidationError(
                gettext("Nothing was answered. Please answer the questions, then send."),
                code="blank",
            )
        return cleaned

    def is_blank(self) -> bool:
        """No question answered and no note written."""
        return all(
            self.cleaned_data.get(name) in (None, "")
            for name in self.fields
            if name != "idempotency_key"
        )

    def personal_fields(self) -> list[dict[str, Any]]:
        """Each personal item's bound field, and whether it is typed (hours) or chosen."""
        return [
            {
                "field": self[personal_field_name(item)],
                "typed": item.answer_type == AnswerType.HOURS,
            }
            for item in self.personal_items
        ]


def personal_field_name(item: PersonalItem) -> str:
    return f"personal__{item.pk}"


def personal_field(item: PersonalItem, language: str) -> forms.Field:
    """The question for one personal item, optional like every questionnaire item."""
    label = item.question_in(language)
    if item.answer_type == AnswerType.HOURS:
        return forms.FloatField(
            label=label,
            required=False,
            min_value=0,
            max_value=24,
            widget=forms.NumberInput(
                attrs={"min": "0", "max": "24", "step": "0.5", "inputmode": "decimal"}
            ),
            error_messages={
                "invalid": gettext("Enter a number of hours from 0 to 24."),
                "min_value": gettext("Enter a number of hours from 0 to 24."),
                "max_value": gettext("Enter a number of hours from 0 to 24."),
            },
        )
    if item.answer_type == AnswerType.YES_NO:
        choices = [("1", gettext("Yes")), ("0", gettext("No"))]
    else:
        choices = [(str(value), str(value)) for value in range(11)]
        choices[0] = ("0", gettext("0 · not at all"))
        choices[10] = ("10", gettext("10 · very much"))
    return forms.TypedChoiceField(
        label=label, choices=choices, coerce=int, required=False, widget=forms.RadioSelect
    )


def personal_answers(form: PatientCheckInForm) -> dict[int, float]:
    """The valid form's answers to personal items (item id -> value); skipped ones left out."""
    answers: dict[int, float] = {}
    for item in form.personal_items:
        value = form.cleaned_data.get(personal_field_name(item))
        if value not in (None, ""):
            answers[item.pk] = float(value)
    return answers
