"""Reads of patients, always scoped to the reader's organisation and role."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Course, Patient, Phase


def list_patients_for(membership: Membership | None) -> QuerySet[Patient]:
    """Every patient the member's role may see; empty for anyone else."""
    if not rules.can_view_patients(membership):
        raise PermissionDenied("Your role cannot view patient records.")
    return Patient.objects.filter(organization_id=membership.organization_id)


def get_patient_for(
    membership: Membership | None, patient_id: int, *, actor: Actor | None = None
) -> Patient:
    """The patient if the member may see them; 404 otherwise (never reveal existence).

    With an `actor`, a refusal is audited with the id that was asked for.
    """
    try:
        return (
            list_patients_for(membership)
            .select_related("assigned_clinician", "location")
            .get(pk=patient_id)
        )
    except (Patient.DoesNotExist, PermissionDenied) as refused:
        if actor is not None:
            record_event(
                actor, Action.READ, outcome=Outcome.DENIED, object_ref=("Patient", patient_id)
            )
        if isinstance(refused, PermissionDenied):
            raise
        raise Http404("No such patient.") from refused


ACTIVE_PHASES = (Phase.EVALUATION, Phase.INDUCTION, Phase.MAINTENANCE)


def current_phase() -> Subquery:
    """The phase of each patient's latest course, to annotate a patient queryset with."""
    return Subquery(
        Course.objects.filter(patient=OuterRef("pk")).order_by("-number").values("phase")[:1]
    )


def find_current_course(patient: Patient) -> Course | None:
    return patient.courses.order_by("-number").first()
