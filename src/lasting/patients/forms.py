from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Membership, Role, User
from lasting.patients.models import Diagnosis, EndReason, Patient
from lasting.patients.phones import to_e164


class ClinicianChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class PatientForm(forms.ModelForm[Patient]):
    assigned_clinician = ClinicianChoiceField(queryset=User.objects.none(), required=False)
    diagnoses = forms.MultipleChoiceField(
        choices=Diagnosis.choices, widget=forms.CheckboxSelectMultiple, required=True
    )

    class Meta:
        model = Patient
        fields = [
            "record_number",
            "given_name",
            "family_name",
            "date_of_birth",
            "location",
            "time_zone",
            "preferred_language",
            "email",
            "phone",
            "assigned_clinician",
            "diagnoses",
            "concurrent_antidepressant",
            "antidepressant_name",
            "in_therapy",
            "portal_access",
        ]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}
        labels = {"portal_access": "Let this patient sign in to see their own results"}
        help_texts = {
            "portal_access": (
                "They get a single-use sign-in link by e-mail, no password. They see their "
                "check-ins, appointments and plan; never risk, alerts or notes."
            )
        }

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        # The organisation is not a form field: it is set on the instance before validation.
        # A new patient lives on the clinic's clock until someone says otherwise.
        kwargs.setdefault(
            "instance",
            Patient(
                organization=membership.organization,
                time_zone=membership.organization.time_zone,
            ),
        )
        super().__init__(*args, **kwargs)
        self.membership = membership
        organization = membership.organization
        # Choices only ever come from the member's own organisation.
        location = self.fields["location"]
        clinician = self.fields["assigned_clinician"]
        assert isinstance(location, forms.ModelChoiceField)
        assert isinstance(clinician, forms.ModelChoiceField)
        # A patient already at a closed location, or with a clinician who has left, keeps
        # them as a choice, so their other details can still be saved.
        kept = self.instance
        location.queryset = Location.objects.filter(organization=organization).filter(
            Q(is_active=True) | Q(pk=kept.location_id)
        )
        # One filter() call: the conditions hold for the same membership row.
        active_here = Q(
            memberships__organization_id=organization.pk,
            memberships__role=Role.CLINICIAN,
            memberships__is_active=True,
        )
        clinician.queryset = (
            User.objects.filter(active_here | Q(pk=kept.assigned_clinician_id))
            .distinct()
            .order_by("last_name", "first_name", "pk")
        )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("portal_access") and not cleaned.get("email"):
            self.add_error("email", "Add an e-mail address to let this patient sign in.")
        return cleaned

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        if born > today_in(self.membership.organization.time_zone):
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if born.year < 1900:
            raise forms.ValidationError("Check the year of birth.")
        return born

    def clean_phone(self) -> str:
        return to_e164(self.cleaned_data["phone"], settings.PHONE_REGION)

    def clean_record_number(self) -> str:
        value: str = self.cleaned_data["record_number"].strip()
        taken = Patient.objects.filter(
            organization=self.membership.organization, record_number__iexact=value
        )
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("Another patient already has this record number.")
        return value


class ContactDetailsForm(forms.ModelForm[Patient]):
    """How to reach a patient: what the front desk may change (no clinical fields)."""

    class Meta:
        model = Patient
        fields = ["email", "phone", "preferred_language"]

    def clean_phone(self) -> str:
        return to_e164(self.cleaned_data["phone"], settings.PHONE_REGION)


class DischargeForm(forms.Form):
    """End the current course, with why."""

    reason = forms.ChoiceField(
        choices=[
            (reason.value, reason.label)
            for reason in EndReason
            if reason not in (EndReason.RELAPSE, EndReason.RETURN_AFTER_GAP)
        ]
    )
    note = forms.CharField(max_length=400, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NewCourseForm(forms.Form):
    """Start course n + 1 after a relapse or a gap; the current one ends with that reason."""

    reason = forms.ChoiceField(
        choices=[
            (EndReason.RELAPSE.value, "Relapse"),
            (EndReason.RETURN_AFTER_GAP.value, "Return after a gap in treatment"),
            (EndReason.OTHER.value, "Other"),
        ]
    )
    note = forms.CharField(max_length=400, required=False, widget=forms.Textarea(attrs={"rows": 2}))
