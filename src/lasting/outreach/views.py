"""The clinical team's view of a patient's check-in schedule and reminders."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.navigation import redirect_back
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.outreach.forms import CheckInDefaultsForm, ContactPreferenceForm, OutreachForm
from lasting.outreach.models import (
    CheckInDefaults,
    ContactPreference,
    OutreachChannel,
    OutreachOutcome,
)
from lasting.outreach.pauses import apply_pauses
from lasting.outreach.queries import list_schedule
from lasting.outreach.services import log_outreach
from lasting.patients.queries import get_patient_for


@login_required
def schedule(request: ClinicRequest, patient_id: int) -> HttpResponse:
    membership = request.membership
    actor = Actor.from_request(request)
    patient = get_patient_for(membership, patient_id, actor=actor)
    preference = ContactPreference.objects.filter(patient=patient).first() or ContactPreference(
        organization_id=patient.organization_id, patient=patient
    )
    form = ContactPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST":
        if not rules.can_edit_contact_details(membership):
            raise PermissionDenied("Your role cannot change a patient's reminders.")
        if form.is_valid():
            with transaction.atomic():
                saved = form.save()
                apply_pauses([patient.pk], timezone.now())
                record_event(
                    actor,
                    Action.UPDATE,
                    patient_id=patient.pk,
                    organization_id=patient.organization_id,
                    obj=saved,
                )
            return redirect("outreach:schedule", patient_id=patient.pk)
    record_event(
        actor,
        Action.READ,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        obj=patient,
    )
    context = {
        "patient": patient,
        "form": form,
        "rows": list_schedule(patient, timezone.now()),
        "zone": patient.time_zone,
        # Why a check-in was added can be the engine's risk, which only clinicians see.
        "show_risk": rules.can_review_alerts(membership),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "outreach/schedule.html", context, status=status)


@login_required
@require_POST
def log_contact(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Log one attempt to reach a patient, from the "Not checked in" list or their page."""
    membership = request.membership
    if not rules.can_edit_contact_details(membership):
        raise PermissionDenied("Your role cannot log contact with patients.")
    actor = Actor.from_request(request)
    patient = get_patient_for(membership, patient_id, actor=actor)
    form = OutreachForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "outreach/outreach_problem.html",
            {"form": form, "patient": patient},
            status=422,
        )
    log_outreach(
        actor,
        membership,
        patient,
        channel=OutreachChannel(form.cleaned_data["channel"]),
        outcome=OutreachOutcome(form.cleaned_data["outcome"]),
        note=form.cleaned_data["note"],
    )
    return redirect_back(request, "clinic:quiet")


@login_required
def checkin_defaults(request: ClinicRequest) -> HttpResponse:
    """The clinic admin sets when check-ins open and how patients without their own
    preferences are reminded."""
    membership = request.membership
    if not rules.can_manage_organization(membership):
        raise PermissionDenied("Only clinic admins set the check-in and reminder defaults.")
    organization = membership.organization
    defaults = CheckInDefaults.objects.filter(organization=organization).first() or CheckInDefaults(
        organization=organization
    )
    form = CheckInDefaultsForm(request.POST or None, instance=defaults)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            record_event(
                Actor.from_request(request),
                Action.UPDATE,
                organization_id=organization.pk,
                obj=saved,
            )
        return redirect("accounts:organization")
    return render(
        request,
        "outreach/checkin_defaults.html",
        {"form": form, "organization": organization},
        status=422 if request.method == "POST" else 200,
    )
