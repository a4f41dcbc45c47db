from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_about, record_event, record_patients_shown
from lasting.patients.queries import get_patient_for
from lasting.treatment.exports import life_context_csv
from lasting.treatment.forms import (
    SubmissionForm,
)
from lasting.treatment.queries import (
    get_form_for,
    list_due_forms_for,
    list_life_context_for,
    list_submitted_forms_for,
    organization_today,
    rems_pressures_of,
)
from lasting.treatment.services import (
    record_form_submission,
)


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
def life_context_export(request: ClinicRequest) -> HttpResponse:
    """Life events, medication changes and therapy as `life_context.csv` (docs/formats.md):
    the whole organisation, or one patient with ?patient=<id>. Audited as an export."""
    membership = request.membership
    if not rules.can_view_clinical_record(membership):
        raise PermissionDenied("Your role does not see the clinical record.")
    actor = Actor.from_request(request)
    patient_ids: list[int] | None = None
    patient_id: int | None = None
    if "patient" in request.GET:
        try:
            wanted = int(request.GET["patient"])
        except ValueError as bad:
            raise Http404("No such patient.") from bad
        patient_id = get_patient_for(membership, wanted, actor=actor).pk
        patient_ids = [patient_id]
    contexts = list_life_context_for(membership, patient_ids)
    text = life_context_csv(contexts)
    # One event per patient in the file: "who exported this patient's data" has an answer.
    record_patients_shown(
        actor,
        Action.EXPORT,
        [patient_id] if patient_id is not None else sorted(contexts),
        organization_id=membership.organization_id,
        list_name="LifeContextExport",
    )
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="life_context.csv"'
    return response
