"""Reads of patients, always scoped to the reader's organisation and role."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.patients.models import Course, Patient


def list_patients_for(membership: Membership | None) -> QuerySet[Patient]:
    """Every patient the member's role may see; empty for anyone else."""
    if not rules.can_view_patients(membership):
        raise PermissionDenied("Your role cannot view patient records.")
    return Patient.objects.filter(organization_id=membership.organization_id)


def get_patient_for(membership: Membership | None, patient_id: int) -> Patient:
    """The patient if the member may see them; 404 otherwise (never reveal existence)."""
    try:
        return (
            list_patients_for(membership)
            .select_related("assigned_clinician", "location")
            .get(pk=patient_id)
        )
    except Patient.DoesNotExist as missing:
        raise Http404("No such patient.") from missing


def find_current_course(patient: Patient) -> Course | None:
    return patient.courses.order_by("-number").first()
