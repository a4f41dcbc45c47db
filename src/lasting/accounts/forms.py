"""The clinic admin's forms: crisis resources and the safety-alert policy."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from lasting.accounts import rules
from lasting.accounts.models import CrisisResource, Membership, Organization, Role, User


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
    """The safety-alert policy: service level, escalation contacts and business hours."""

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
        ]
        labels = {
            "alert_ack_sla_minutes": "Service level, minutes (to acknowledge, then to reach)",
            "escalation_contact": "Escalation contact (in business hours)",
            "after_hours_contact": "After-hours contact",
            "business_opens": "Opens at (organisation's time)",
            "business_closes": "Closes at (organisation's time)",
        }
        field_classes = {"escalation_contact": PersonField, "after_hours_contact": PersonField}
        widgets = {
            "business_opens": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "business_closes": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
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
