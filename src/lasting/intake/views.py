"""The pages through which staff enter clinical data; each calls the one door.

A session signed by a nurse, a clinical event recorded by a clinician, a PHQ-9 taken in
clinic: parse the form, call one function of `lasting.intake.services`, render.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.checkins.forms import ClinicCheckInForm
from lasting.checkins.services import IdempotencyConflict
from lasting.intake.services import (
    enter_clinic_checkin,
    log_session,
    record_clinical_event,
    record_life_event,
    record_medication_change,
    record_therapy_event,
)
from lasting.patients.models import Patient
from lasting.patients.queries import get_patient_for
from lasting.treatment.forms import (
    INITIAL_VITAL_PHASES,
    ClinicalEventForm,
    LifeContextForm,
    LifeEventForm,
    MedicationChangeForm,
    SessionForm,
    TherapyEventForm,
    VitalSignFormSet,
    initial_from_previous,
)
from lasting.treatment.models import EntrySource
from lasting.treatment.queries import find_previous_esketamine_session
from lasting.treatment.services import SessionNeedsConfirmation
from lasting_core.instruments import InstrumentCode
from lasting_core.sessions import MOAAS


def audit_read(request: ClinicRequest, actor: Actor, patient: Patient) -> None:
    """An entry page shows the patient (and, for a session, their previous dose): a read.
    A submitted form is audited by the door as the write it is."""
    if request.method == "GET":
        record_event(
            actor,
            Action.READ,
            patient_id=patient.pk,
            organization_id=patient.organization_id,
            obj=patient,
        )


@login_required
def new_session(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Sign a session; the session-safety rules run in `log_session` and are shown here."""
    membership = request.membership
    if not rules.can_log_sessions(membership):
        raise PermissionDenied("Your role cannot log treatment sessions.")
    actor = Actor.from_request(request)
    patient = get_patient_for(membership, patient_id, actor=actor)
    audit_read(request, actor, patient)
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
def new_event(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Record a hospitalisation or suicide-related event: a relapse at once.

    The relapse definition: docs/clinical.md#definitions.
    """
    membership = request.membership
    if not rules.can_review_alerts(membership):
        raise PermissionDenied("Only clinicians record clinical events.")
    actor = Actor.from_request(request)
    patient = get_patient_for(membership, patient_id, actor=actor)
    audit_read(request, actor, patient)
    form = ClinicalEventForm(request.POST or None, organization=membership.organization)
    if request.method == "POST" and form.is_valid():
        record_clinical_event(
            actor,
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


@login_required
def enter_phq9(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Enter a PHQ-9 the patient filled in at the clinic (source "clinic")."""
    membership = request.membership
    if not rules.can_enter_checkins(membership):
        raise PermissionDenied("Your role cannot enter check-ins.")
    actor = Actor.from_request(request)
    patient = get_patient_for(membership, patient_id, actor=actor)
    audit_read(request, actor, patient)
    now = timezone.now()
    form = ClinicCheckInForm(
        request.POST or None,
        instruments=[InstrumentCode.PHQ9.value],
        zone=ZoneInfo(membership.organization.time_zone),
        now=now,
        initial={"idempotency_key": uuid.uuid4().hex},
    )
    if request.method == "POST" and form.is_valid():
        try:
            enter_clinic_checkin(
                actor,
                membership,
                patient,
                form.cleaned_data["scores"],
                taken_at=form.cleaned_data["taken_at"],
                idempotency_key=form.cleaned_data["idempotency_key"],
                now=now,
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        except IdempotencyConflict as conflict:
            form.add_error(None, str(conflict))
        else:
            return redirect("clinic:patient", patient_id=patient.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "clinic/enter_phq9.html", {"patient": patient, "form": form}, status=status
    )


# Life events, medication and therapy (docs/clinical.md#life-events-medication-and-therapy):
# clinicians and nurses, as for a questionnaire taken in clinic.

LIFE_CONTEXT_PAGES = {
    "life_event": (
        "Record a life event",
        "A stressful event in the patient's life: stress and life stability change how long "
        "relief lasts. Patients can report one from their own page too.",
        "Record life event",
    ),
    "medication": (
        "Record a medication change",
        "A psychiatric medication started, stopped or changed in dose.",
        "Record medication change",
    ),
    "therapy": (
        "Record therapy",
        "A psychotherapy started or stopped, or a session attended.",
        "Record therapy",
    ),
}


def life_context_patient(request: ClinicRequest, patient_id: int) -> Patient:
    """The patient, when the member may enter life events, medication and therapy."""
    if not rules.can_enter_checkins(request.membership):
        raise PermissionDenied("Your role cannot enter life events, medication or therapy.")
    actor = Actor.from_request(request)
    patient = get_patient_for(request.membership, patient_id, actor=actor)
    audit_read(request, actor, patient)
    return patient


def life_context_page(
    request: ClinicRequest, patient: Patient, form: LifeContextForm, page: str
) -> HttpResponse:
    title, intro, button = LIFE_CONTEXT_PAGES[page]
    return render(
        request,
        "treatment/life_context_form.html",
        {"patient": patient, "form": form, "title": title, "intro": intro, "button": button},
        status=422 if request.method == "POST" else 200,
    )


def show_refusal(form: LifeContextForm, refused: ValidationError) -> None:
    for field, problems in refused.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


# A door function taking actor, membership, patient and fields by keyword.
Store = Callable[..., object]


def enter_life_context(
    request: ClinicRequest,
    patient_id: int,
    form_class: type[LifeContextForm],
    store: Store,
    page: str,
) -> HttpResponse:
    """Show the form; on a valid POST store it through the door and return to the chart."""
    patient = life_context_patient(request, patient_id)
    form = form_class(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            store(
                actor=Actor.from_request(request),
                membership=request.membership,
                patient=patient,
                fields=form.fields_to_store(),
            )
        except ValidationError as refused:
            show_refusal(form, refused)
        else:
            return redirect(reverse("clinic:patient", args=[patient.pk]) + "#life-context")
    return life_context_page(request, patient, form, page)


@login_required
def new_life_event(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Record a stressful life event the patient told the clinical team about."""
    store = partial(record_life_event, source=EntrySource.CLINIC)
    return enter_life_context(request, patient_id, LifeEventForm, store, "life_event")


@login_required
def new_medication_change(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Record a psychiatric medication started, stopped or changed in dose."""
    return enter_life_context(
        request, patient_id, MedicationChangeForm, record_medication_change, "medication"
    )


@login_required
def new_therapy_event(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Record a therapy started or stopped, or a therapy session attended."""
    return enter_life_context(
        request, patient_id, TherapyEventForm, record_therapy_event, "therapy"
    )
