from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_about, record_event
from lasting.patients.queries import get_patient_for
from lasting.treatment.forms import (
    INITIAL_VITAL_PHASES,
    ClinicalEventForm,
    SessionForm,
    SubmissionForm,
    VitalSignFormSet,
    initial_from_previous,
)
from lasting.treatment.queries import (
    find_previous_esketamine_session,
    get_form_for,
    list_due_forms_for,
    list_submitted_forms_for,
    organization_today,
    rems_pressures_of,
)
from lasting.treatment.services import (
    SessionNeedsConfirmation,
    log_session,
    record_clinical_event,
    record_form_submission,
)
from lasting_core.sessions import MOAAS


@login_required
def new_session(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Sign a session; the session-safety rules run in `log_session` and are shown here."""
    membership = request.membership
    if not rules.can_log_sessions(membership):
        raise PermissionDenied("Your role cannot log treatment sessions.")
    actor = Actor.from_request(request)
    patient = get_patient_for(membership, patient_id, actor=actor)
    previous = find_previous_esketamine_session(patient)
    initial = {**initial_from_previous(previous), "monitoring_clinician": request.user.pk}
    form = SessionForm(request.POST or None, membership=membership, initial=initial)
    vitals = VitalSignFormSet(
        request.POST or None,
        prefix="vitals",
        initial=[{"phase": phase} for phase in INITIAL_VITAL_PHASES],
    )
    findings: tuple[object, ...] = ()
    reading_problems: list[str] = []
    if request.method == "POST" and form.is_valid() and vitals.is_valid():
        rows = [row for row in vitals.cleaned_data if row]
        try:
            session = log_session(
                actor,
                patient,
                form.session_fields(),
                rows,
                confirm_findings=form.cleaned_data["confirm_findings"],
            )
        except SessionNeedsConfirmation as needed:
            findings = needed.findings
            form.add_error("confirmed_reason", needed.message_dict["confirmed_reason"])
        except ValidationError as refused:
            reading_problems = show_problems(form, refused)
        else:
            if session.is_esketamine:
                due_on = session.monitoring_form.due_on
                messages.success(
                    request,
                    "Session stored. Its REMS patient-monitoring form is due on "
                    f"{due_on:%A %B} {due_on.day}.",
                )
            return redirect("clinic:patient", patient_id=patient.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "treatment/session_form.html",
        {
            "patient": patient,
            "form": form,
            "vitals": vitals,
            "findings": findings,
            "reading_problems": reading_problems,
            "previous": previous,
            "moaas": MOAAS,
        },
        status=status,
    )


def show_problems(form: SessionForm, refused: ValidationError) -> list[str]:
    """Put each refusal next to its field; return those about the vital signs."""
    reading_problems: list[str] = []
    for field, problems in refused.message_dict.items():
        if field == "readings":
            reading_problems += problems
        elif field in form.fields:
            form.add_error(field, problems)
        else:
            form.add_error(None, problems)
    return reading_problems


@login_required
def monitoring_forms(request: ClinicRequest) -> HttpResponse:
    """The staff's to-do list: REMS patient-monitoring forms due, overdue first."""
    membership = request.membership
    if not rules.can_file_monitoring_forms(membership):
        raise PermissionDenied("Your role does not file REMS monitoring forms.")
    now = timezone.now()
    due = list_due_forms_for(membership, now=now)
    submitted = list_submitted_forms_for(membership, now=now)
    record_event(
        Actor.from_request(request), Action.SEARCH, organization_id=membership.organization_id
    )
    return render(
        request,
        "treatment/monitoring_forms.html",
        {
            "due": due,
            "overdue_count": sum(row.overdue for row in due),
            "submitted": submitted,
            "today": organization_today(membership.organization, now),
        },
    )


@login_required
def monitoring_form(request: ClinicRequest, session_id: int) -> HttpResponse:
    """One filled REMS patient-monitoring form, printable; record its submission."""
    membership = request.membership
    actor = Actor.from_request(request)
    try:
        form = get_form_for(membership, session_id)
    except (Http404, PermissionDenied):
        record_event(
            actor, Action.READ, outcome=Outcome.DENIED, object_ref=("MonitoringForm", session_id)
        )
        raise
    today = organization_today(form.session.organization, timezone.now())
    submission = SubmissionForm(request.POST or None, initial={"submitted_on": today})
    if request.method == "POST" and submission.is_valid():
        try:
            record_form_submission(
                actor,
                form,
                submission.cleaned_data["submitted_on"],
                submission.cleaned_data["submission_reference"],
            )
        except ValidationError as refused:
            for field, problems in refused.message_dict.items():
                submission.add_error(field if field in submission.fields else None, problems)
        else:
            return redirect("treatment:monitoring_forms")
    printing = request.GET.get("print") == "1"
    record_about(actor, Action.PRINT if printing else Action.READ, form)
    session = form.session
    return render(
        request,
        "treatment/monitoring_form.html",
        {
            "form": form,
            "session": session,
            "patient": form.patient,
            "pressures": rems_pressures_of(session),
            "submission": submission,
            "printing": printing,
            "today": today,
        },
        status=422 if submission.errors else 200,
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
