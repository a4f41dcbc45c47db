from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.audit.services import Actor
from lasting.patients.queries import get_patient_for
from lasting.treatment.forms import (
    INITIAL_VITAL_PHASES,
    ClinicalEventForm,
    SessionForm,
    VitalSignFormSet,
)
from lasting.treatment.services import log_session, record_clinical_event


@login_required
def new_session(request: ClinicRequest, patient_id: int) -> HttpResponse:
    membership = request.membership
    if not rules.can_log_sessions(membership):
        raise PermissionDenied("Your role cannot log treatment sessions.")
    patient = get_patient_for(membership, patient_id, actor=Actor.from_request(request))
    form = SessionForm(request.POST or None, membership=membership)
    vitals = VitalSignFormSet(
        request.POST or None,
        prefix="vitals",
        initial=[{"phase": phase} for phase in INITIAL_VITAL_PHASES],
    )
    if request.method == "POST" and form.is_valid() and vitals.is_valid():
        rows = [row for row in vitals.cleaned_data if row]
        try:
            log_session(Actor.from_request(request), patient, form.cleaned_data, rows)
        except ValidationError as problems:
            form.add_error(None, problems)
        else:
            return redirect("clinic:patient", patient_id=patient.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "treatment/session_form.html",
        {"patient": patient, "form": form, "vitals": vitals},
        status=status,
    )


@login_required
def new_event(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Record a hospitalisation or suicide-related event (a relapse at once, DESIGN 2)."""
    membership = request.membership
    if not rules.can_review_alerts(membership):
        raise PermissionDenied("Only clinicians record clinical events.")
    patient = get_patient_for(membership, patient_id, actor=Actor.from_request(request))
    form = ClinicalEventForm(request.POST or None, organization=membership.organization)
    if request.method == "POST" and form.is_valid():
        record_clinical_event(
            Actor.from_request(request),
            patient,
            form.cleaned_data["kind"],
            form.cleaned_data["occurred_on"],
            form.cleaned_data["note"],
        )
        return redirect("clinic:patient", patient_id=patient.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "treatment/event_form.html", {"patient": patient, "form": form}, status=status
    )
