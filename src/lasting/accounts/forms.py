"""The clinic admin's forms (locations, invitations, roles, crisis resources, the safety-alert
policy) and the invitee's own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from lasting.accounts import rules
from lasting.accounts.models import (
    CrisisResource,
    Location,
    Membership,
    Organization,
    Role,
    User,
)


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


WEEKDAYS = [
    ("1", "Mon"),
    ("2", "Tue"),
    ("3", "Wed"),
    ("4", "Thu"),
    ("5", "Fri"),
    ("6", "Sat"),
    ("7", "Sun"),
]
# Bounds of the safety-alert service level, minutes (a choice: at least a quarter of an
# hour to act, at most a day: a safety alert waits no longer than that for anyone).
SLA_MINUTES_RANGE = (15, 24 * 60)


class PersonField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class AlertPolicyForm(forms.ModelForm[Organization]):
    """The alert policy: the safety alerts' service level, escalation contacts and business
    hours; the budgets of early-warning and disengagement alerts."""

    business_weekdays = forms.MultipleChoiceField(
        label="Business days",
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Organization
        fields = [
            "alert_ack_sla_minutes",
            "escalation_contact",
            "after_hours_contact",
            "business_weekdays",
            "business_opens",
            "business_closes",
            "early_warning_budget_per_year",
            "disengagement_budget_per_year",
        ]
        labels = {
            "alert_ack_sla_minutes": "Service level, minutes (to acknowledge, then to reach)",
            "escalation_contact": "Escalation contact (in business hours)",
            "after_hours_contact": "After-hours contact",
            "business_opens": "Opens at (organisation's time)",
            "business_closes": "Closes at (organisation's time)",
            "early_warning_budget_per_year": "Early-warning alerts a patient-year (budget)",
            "disengagement_budget_per_year": "Disengagement alerts a patient-year (budget)",
        }
        field_classes = {"escalation_contact": PersonField, "after_hours_contact": PersonField}
        widgets = {
            "business_opens": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "business_closes": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "early_warning_budget_per_year": forms.NumberInput(attrs={"step": "0.1"}),
            "disengagement_budget_per_year": forms.NumberInput(attrs={"step": "0.1"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organization = self.instance
        self.initial["business_weekdays"] = list(organization.business_weekdays)
        sla = self.fields["alert_ack_sla_minutes"]
        low, high = SLA_MINUTES_RANGE
        sla.validators += [MinValueValidator(low), MaxValueValidator(high)]
        members = Membership.objects.filter(
            organization_id=organization.pk, is_active=True, user__is_active=True
        ).select_related("user")
        handlers = [m.user_id for m in members if rules.can_handle_safety_alerts(m)]
        clinicians = [m.user_id for m in members if m.role == Role.CLINICIAN]
        for name, allowed in (
            ("escalation_contact", clinicians),
            ("after_hours_contact", handlers),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = User.objects.filter(pk__in=allowed).order_by("last_name", "pk")

    def clean_business_weekdays(self) -> str:
        days: list[str] = self.cleaned_data["business_weekdays"]
        return "".join(sorted(set(days)))

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        opens, closes = cleaned.get("business_opens"), cleaned.get("business_closes")
        if opens and closes and not opens < closes:
            self.add_error("business_closes", "Business hours must close after they open.")
        return cleaned


class LocationForm(forms.ModelForm[Location]):
    """A location: its name, address, time zone, treatment chairs, and whether it is open."""

    class Meta:
        model = Location
        fields = ["name", "address", "time_zone", "chairs", "is_active"]
        labels = {
            "time_zone": "Time zone (IANA, e.g. America/Denver)",
            "chairs": "Treatment chairs",
            "is_active": "Open (a closed location keeps its history and takes no new records)",
        }


ROLE_HELP = (
    "Clinician: prescribes, sees every chart, reviews engine alerts and decides boosters. "
    "Nurse: sessions, vital signs, check-ins and safety alerts. Scheduler: appointments "
    "and contact details only. Clinic admin: set-up, people and policies, no charts."
)


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)
    title = forms.CharField(max_length=64, required=False, help_text="e.g. MD, NP, RN")


class MembershipForm(forms.ModelForm[Membership]):
    """Someone's role and title here, and whether they may still sign in."""

    class Meta:
        model = Membership
        fields = ["role", "title", "is_active"]
        labels = {"is_active": "Active (unticking signs them out everywhere at once)"}
        help_texts = {"role": ROLE_HELP}


class AcceptInvitationForm(forms.Form):
    """The invitee chooses a username and a password that meets the password rules."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    username = forms.RegexField(
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        help_text="Letters, digits and @ . + - _ only; you sign in with it.",
        error_messages={"invalid": "Use only letters, digits and @ . + - _ in a username."},
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=" ".join(password_validators_help_texts()),
    )
    password_again = forms.CharField(
        label="Password, again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("This username is taken: choose another.")
        return username

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        password, again = cleaned.get("password"), cleaned.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", "The two passwords differ.")
        elif password:
            # The similarity rule compares the password with the person's own details.
            user = User(
                username=cleaned.get("username", ""),
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                validate_password(password, user)
            except ValidationError as error:
                self.add_error("password", error)
        return cleaned


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the fields it names that the form
    has, the rest above the form."""
    if hasattr(error, "error_dict"):
        for field, texts in error.message_dict.items():
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)
