from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lasting.accounts import rules
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import Membership
from lasting.accounts.navigation import redirect_back
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.patients.queries import get_patient_for
from lasting.plans.forms import (
    AcceptProposalForm,
    DeclineProposalForm,
    MaintenancePlanForm,
    MoveProposalForm,
)
from lasting.plans.models import BoosterProposal
from lasting.plans.services import (
    accept_proposal,
    decline_proposal,
    list_plan_changes,
    move_proposal,
    plan_or_default,
    save_plan,
)


def back(request: ClinicRequest) -> HttpResponse:
    return redirect_back(request, "clinic:review")


def invalid(request: ClinicRequest, form: object, proposal_id: int) -> HttpResponse:
    """Show what was wrong with a decision; nothing was changed."""
    membership = request.membership
    if not rules.can_decide_boosters(membership):
        raise PermissionDenied("Only clinicians decide on boosters.")
    proposal = (
        BoosterProposal.objects.filter(organization_id=membership.organization_id, pk=proposal_id)
        .select_related("patient")
        .first()
    )
    if proposal is None:
        raise PermissionDenied("You cannot decide on this proposal.")
    return render(
        request, "plans/proposal_errors.html", {"form": form, "proposal": proposal}, status=422
    )


def decide(
    request: ClinicRequest,
    proposal_id: int,
    form: forms.Form,
    act: Callable[[Actor, Membership | None, int, dict[str, Any]], object],
) -> HttpResponse:
    """Validate the decision form, apply the decision, and go back; show errors if any."""
    if not rules.can_decide_boosters(request.membership):
        record_event(
            Actor.from_request(request),
            Action.UPDATE,
            outcome=Outcome.DENIED,
            object_ref=("BoosterProposal", proposal_id),
        )
        raise PermissionDenied("Only clinicians decide on boosters.")
    if form.is_valid():
        try:
            act(Actor.from_request(request), request.membership, proposal_id, form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return back(request)
    return invalid(request, form, proposal_id)


@login_required
@require_POST
def accept(request: ClinicRequest, proposal_id: int) -> HttpResponse:
    return decide(
        request,
        proposal_id,
        AcceptProposalForm(request.POST, membership=request.membership),
        lambda actor, membership, pk, data: accept_proposal(
            actor,
            membership,
            pk,
            starts_at=data["starts_at"],
            location=data["location"],
            note=data["note"],
        ),
    )


@login_required
@require_POST
def move(request: ClinicRequest, proposal_id: int) -> HttpResponse:
    return decide(
        request,
        proposal_id,
        MoveProposalForm(request.POST),
        lambda actor, membership, pk, data: move_proposal(
            actor,
            membership,
            pk,
            earliest_on=data["earliest_on"],
            latest_on=data["latest_on"],
            note=data["note"],
        ),
    )


@login_required
@require_POST
def decline(request: ClinicRequest, proposal_id: int) -> HttpResponse:
    return decide(
        request,
        proposal_id,
        DeclineProposalForm(request.POST),
        lambda actor, membership, pk, data: decline_proposal(
            actor, membership, pk, reason=data["reason"]
        ),
    )


@login_required
def edit_plan(request: ClinicRequest, patient_id: int) -> HttpResponse:
    """The maintenance plan's form, with the history of its changes (who, when, why)."""
    membership = request.membership
    actor = Actor.from_request(request)
    if not rules.can_decide_boosters(membership):
        record_event(
            actor,
            Action.UPDATE if request.method == "POST" else Action.READ,
            outcome=Outcome.DENIED,
            object_ref=("MaintenancePlan", f"patient:{patient_id}"),
        )
        raise PermissionDenied("Only clinicians change maintenance plans.")
    patient = get_patient_for(membership, patient_id, actor=actor)
    plan = plan_or_default(patient)
    form = MaintenancePlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            save_plan(actor, form.save(commit=False), reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("clinic:patient", patient_id=patient.pk)
    record_event(
        actor,
        Action.READ,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        object_ref=("MaintenancePlanChange", f"patient:{patient.pk}"),
    )
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "plans/plan_form.html",
        {"form": form, "patient": patient, "changes": list_plan_changes(patient)},
        status=status,
    )
