"""The care team's pages for a patient's relapse-prevention plan: read, print, write."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from lasting.accounts.middleware import ClinicRequest
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.patients.queries import get_patient_for
from lasting.prevention.forms import SECTION_LABELS, ItemFormSet, PlanForm, item_drafts
from lasting.prevention.models import PlanVersion
from lasting.prevention.queries import (
    PlanPage,
    can_write_prevention_plan,
    get_plan_page_for,
    list_items_for_editing,
)
from lasting.prevention.services import save_plan_version


def sections_of(version: PlanVersion | None) -> list[tuple[str, str]]:
    """(label, text) of each section, in the Stanley-Brown order."""
    if version is None:
        return []
    return [(label, getattr(version, name)) for name, label in SECTION_LABELS.items()]


def render_plan(request: ClinicRequest, page: PlanPage, *, printing: bool) -> HttpResponse:
    return render(
        request,
        "prevention/plan.html",
        {
            "patient": page.patient,
            "version": page.shown,
            "sections": sections_of(page.shown),
            "items": page.shown.items if page.shown else [],
            "versions": page.versions,
            "current_number": page.current_number,
            "is_current": page.shown is not None and page.shown.number == page.current_number,
            "can_write": can_write_prevention_plan(request.membership),
            "printing": printing,
        },
    )


@login_required
@never_cache
def plan(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The current plan and its history; `?print=1` opens the print dialog (audited as a
    print)."""
    printing = request.GET.get("print") == "1"
    page = get_plan_page_for(
        request.membership,
        patient_id,
        actor=Actor.from_request(request),
        action=Action.PRINT if printing else Action.READ,
    )
    return render_plan(request, page, printing=printing)


@login_required
@never_cache
def version(request: ClinicRequest, patient_id: int, number: int) -> HttpResponse:
    page = get_plan_page_for(
        request.membership, patient_id, actor=Actor.from_request(request), number=number
    )
    return render_plan(request, page, printing=False)


@login_required
@never_cache
def edit(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """Write the next version of the plan, with its tracked warning signs and a reason."""
    membership = request.membership
    actor = Actor.from_request(request)
    if not can_write_prevention_plan(membership):
        record_event(
            actor,
            Action.UPDATE if request.method == "POST" else Action.READ,
            outcome=Outcome.DENIED,
            object_ref=("PlanVersion", f"patient:{patient_id}"),
        )
        raise PermissionDenied("Only clinicians write relapse-prevention plans.")
    page = get_plan_page_for(membership, patient_id, actor=actor)
    patient = page.patient
    items = list_items_for_editing(patient)
    initial_items = [
        {
            "item_id": item.pk,
            "warning_sign": item.warning_sign,
            "question": item.question,
            "question_es": item.question_es,
            "answer_type": item.answer_type,
            "threshold": item.threshold,
            "direction": item.direction,
            "active": item.active,
        }
        for item in items
    ]
    if request.method == "POST":
        form = PlanForm(request.POST)
        formset = ItemFormSet(request.POST, prefix="items", initial=initial_items)
        if form.is_valid() and formset.is_valid():
            try:
                save_plan_version(
                    actor,
                    membership,
                    get_patient_for(membership, patient_id),
                    sections={name: form.cleaned_data[name] for name in SECTION_LABELS},
                    items=item_drafts(formset),
                    reason=form.cleaned_data["reason"],
                    base_version=form.cleaned_data["base_version"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("prevention:plan", patient_id=patient.pk)
        status = 422
    else:
        form = PlanForm(instance=page.shown, initial={"base_version": page.current_number or 0})
        formset = ItemFormSet(prefix="items", initial=initial_items)
        status = 200
    return render(
        request,
        "prevention/plan_form.html",
        {"form": form, "formset": formset, "patient": patient, "version": page.shown},
        status=status,
    )
