"""The public request form (in the visitor's language) and the staff's status forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Organization
from lasting.checkins.forms import CheckInForm, field_name
from lasting.evaluations.models import DeclineReason, ScreeningAnswer
from lasting.patients.models import Diagnosis
from lasting.patients.phones import to_e164
from lasting_core.instruments import InstrumentCode, get_instrument

INSTRUMENTS = (InstrumentCode.PHQ9, InstrumentCode.GAD7)
TEXT_MAX_LENGTH = 2000
# The field a person never sees (hidden by the page's style) and a form-filling bot fills.
HONEYPOT = "website"

# The screening questions for the usual contraindications and cautions of ketamine
# (Sanacora 2017 consensus; esketamine label): docs/clinical.md#evaluation-requests.
SCREENING_QUESTIONS: dict[str, Any] = {
    "high_blood_pressure": gettext_lazy(
        "Do you have high blood pressure that is not controlled by treatment?"
    ),
    "psychosis_or_mania": gettext_lazy(
        "Have you ever had psychosis (hearing or seeing things others do not) or mania?"
    ),
    "pregnancy": gettext_lazy("Are you pregnant, or could you be pregnant?"),
    "substance_use": gettext_lazy(
        "Do you currently use alcohol or drugs in a way that worries you or others?"
    ),
    "previous_ketamine": gettext_lazy("Have you been treated with ketamine or esketamine before?"),
}
SCREENING_CHOICES = [
    (ScreeningAnswer.YES.value, pgettext_lazy("screening answer", "Yes")),
    (ScreeningAnswer.NO.value, pgettext_lazy("screening answer", "No")),
    (ScreeningAnswer.UNSURE.value, pgettext_lazy("screening answer", "Not sure")),
]
# The patient's words for the diagnoses a clinic records (patients.models.Diagnosis).
DIAGNOSIS_WORDS = {
    Diagnosis.TRD_MDD.value: gettext_lazy("Depression"),
    Diagnosis.BIPOLAR_DEPRESSION.value: gettext_lazy("Bipolar disorder"),
    Diagnosis.GAD.value: gettext_lazy("Anxiety"),
    Diagnosis.PTSD.value: gettext_lazy("PTSD (post-traumatic stress)"),
    Diagnosis.OCD.value: gettext_lazy("OCD (obsessive-compulsive disorder)"),
    Diagnosis.CHRONIC_PAIN.value: gettext_lazy("Chronic pain"),
    Diagnosis.OTHER.value: gettext_lazy("Something else"),
}


class EvaluationRequestForm(CheckInForm):
    """Contact details, the reason, a baseline PHQ-9 and GAD-7 and the screening questions.

    Built on the check-in form, so the questionnaires come from the core's instrument
    definitions and their official texts, scored by the core. Unlike a check-in, every
    scored item must be answered: an evaluation needs a whole baseline, and an unanswered
    item 9 from someone who is not yet a patient could not be followed up.
    """

    given_name = forms.CharField(label=gettext_lazy("First name"), max_length=100)
    family_name = forms.CharField(label=gettext_lazy("Last name"), max_length=100)
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    location = forms.ModelChoiceField(
        label=gettext_lazy("Where would you like to be seen?"),
        queryset=Location.objects.none(),
        required=False,
        empty_label=gettext_lazy("No preference"),
    )
    reason = forms.CharField(
        label=gettext_lazy("What would you like help with?"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    known_diagnoses = forms.MultipleChoiceField(
        label=gettext_lazy("Diagnoses you have been given (if any)"),
        choices=list(DIAGNOSIS_WORDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    current_treatment = forms.CharField(
        label=gettext_lazy("Your current treatment: medicines, therapy (optional)"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    started = forms.CharField(widget=forms.HiddenInput, max_length=200)
    website = forms.CharField(
        label=gettext_lazy("Leave this empty"),
        required=False,  # and no length limit: whatever a bot writes, it is refused as one
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args: Any, organization: Organization, language: str, **kwargs: Any):
        super().__init__(
            *args, instruments=[code.value for code in INSTRUMENTS], language=language, **kwargs
        )
        self.language = language
        location = self.fields["location"]
        assert isinstance(location, forms.ModelChoiceField)
        location.queryset = Location.objects.filter(organization=organization, is_active=True)
        self.organization_time_zone = organization.time_zone
        for code in INSTRUMENTS:
            for item in get_instrument(code).items:
                field = self.fields[field_name(code.value, item.key)]
                field.required = not item.optional
                field.error_messages["required"] = gettext("Please answer this question.")
        for key, question in SCREENING_QUESTIONS.items():
            self.fields[screening_field(key)] = forms.ChoiceField(
                label=question,
                choices=SCREENING_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": gettext("Please answer this question.")},
            )

    def contact_fields(self) -> list[forms.BoundField]:
        names = ("given_name", "family_name", "date_of_birth", "email", "phone", "location")
        return [self[name] for name in names]

    def about_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("reason", "known_diagnoses", "current_treatment")]

    def screening_fields(self) -> list[forms.BoundField]:
        return [self[screening_field(key)] for key in SCREENING_QUESTIONS]

    def clean_phone(self) -> str:
        """Store the number in E.164, read as the clinic's country when it has no +."""
        try:
            return to_e164(self.cleaned_data.get("phone", ""), settings.PHONE_REGION)
        except ValidationError as error:
            raise ValidationError(
                gettext(
                    "This is not a phone number we can call. Write it as you would dial it, "
                    "or with + and the country code."
                )
            ) from error

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        # A bound against typing errors: not after today on the clinic's clock.
        if born > today_in(self.organization_time_zone) or born.year < 1900:
            raise ValidationError(gettext("Please check your date of birth."))
        return born

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone") and not self.has_error("phone"):
            raise ValidationError(
                gettext("Please give an e-mail address or a phone number, so we can reply."),
                code="no_contact",
            )
        cleaned["answers"] = {
            score.instrument.value: {k: v for k, v in score.answers.items() if v is not None}
            for score in cleaned.get("scores", [])
        }
        cleaned["screening"] = {
            key: cleaned[screening_field(key)]
            for key in SCREENING_QUESTIONS
            if screening_field(key) in cleaned
        }
        return cleaned


def screening_field(key: str) -> str:
    return f"screening__{key}"


class StatusForm(forms.Form):
    """Mark a request contacted or declined (booking has its own button and service)."""

    status = forms.ChoiceField(choices=[("contacted", "Contacted"), ("declined", "Declined")])
    decline_reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *DeclineReason.choices], required=False
    )
    note = forms.CharField(max_length=400, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("status") == "declined" and not cleaned.get("decline_reason"):
            self.add_error("decline_reason", "Say why the request is declined.")
        return cleaned
