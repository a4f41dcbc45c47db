from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponse
from django.shortcuts import redirect, render

from lasting.accounts import rules
from lasting.accounts.clocks import today_in
from lasting.accounts.middleware import ClinicRequest
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_patients_shown
from lasting.patients.forms import ContactDetailsForm, DischargeForm, NewCourseForm, PatientForm
from lasting.patients.models import EndReason
from lasting.patients.queries import (
    SEARCH_LIMIT,
    find_current_course,
    get_patient_for,
    search_patients_for,
)
from lasting.patients.services import create_patient, end_course, start_new_course, update_patient


@login_required
def new_patient(request: ClinicRequest) -> HttpResponse:
    membership = request.membership
    if not rules.can_edit_patients(membership):
        raise PermissionDenied("Your role cannot register patients.")
    form = PatientForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            patient = create_patient(
                Actor.from_request(request),
                membership.organization,
                started_on=today_in(membership.organization.time_zone),
                **fields,
            )
        except IntegrityError:
            # Two people registered the same record number at the same moment.
            form.add_error("record_number", "Another patient already has this record number.")
        else:
            return redirect("clinic:patient", patient_id=patient.pk)
    return render(
        request, "patients/patient_form.html", {"form": form}, status=422 if form.errors else 200
    )


@login_required
def edit_patient(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Change a patient's details: every field for the clinical team, contact details only
    for the front desk."""
    membership = request.membership
    if not rules.can_edit_contact_details(membership):
        raise PermissionDenied("Your role cannot change patients' details.")
    patient = get_patient_for(membership, patient_id, actor=Actor.from_request(request))
    clinical = rules.can_edit_patients(membership)
    form: PatientForm | ContactDetailsForm = (
        PatientForm(request.POST or None, membership=membership, instance=patient)
        if clinical
        else ContactDetailsForm(request.POST or None, instance=patient)
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            update_patient(Actor.from_request(request), patient, fields)
        except IntegrityError:
            form.add_error("record_number", "Another patient already has this record number.")
        else:
            return redirect("clinic:patient", patient_id=patient.pk)
    if request.method == "POST":
        patient.refresh_from_db()
    return render(
        request,
        "patients/patient_edit.html",
        {"form": form, "patient": patient, "clinical": clinical},
        status=422 if form.errors else 200,
    )


@login_required
def change_course(request: ClinicRequest, patient_id: int, action: str) -> HttpResponse:
    """Discharge (end the current course with a reason) or start the next course after a
    relapse or a gap (the current one, if open, ends with that reason): clinicians only."""
    membership = request.membership
    if not rules.can_manage_courses(membership):
        raise PermissionDenied("Only clinicians discharge patients or start a new course.")
    actor = Actor.from_request(request)
    patient = get_patient_for(membership, patient_id, actor=actor)
    course = find_current_course(patient)
    form = (DischargeForm if action == "discharge" else NewCourseForm)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason, note = EndReason(form.cleaned_data["reason"]), form.cleaned_data["note"]
        today = today_in(membership.organization.time_zone)
        try:
            if action == "discharge":
                if course is None:
                    raise ValidationError("This patient has no course to end.")
                end_course(actor, course, reason, note, today)
            else:
                start_new_course(actor, patient, reason, note, today)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return redirect("clinic:patient", patient_id=patient.pk)
    return render(
        request,
        "patients/course_form.html",
        {"form": form, "patient": patient, "course": course, "action": action},
        status=422 if form.errors else 200,
    )


@login_required
def search(request: ClinicRequest) -> HttpResponse:
    """Find a patient by name, record number, date of birth or phone (the header's box)."""
    membership = request.membership
    if not rules.can_view_patients(membership):
        raise PermissionDenied("Your role cannot look up patients.")
    text = request.GET.get("q", "").strip()
    results = search_patients_for(membership, text)
    if text:
        record_patients_shown(
            Actor.from_request(request),
            Action.SEARCH,
            [patient.pk for patient in results],
            organization_id=membership.organization_id,
            list_name="patient search",
        )
    return render(
        request,
        "patients/search.html",
        {"q": text, "results": results, "limit": SEARCH_LIMIT},
    )
