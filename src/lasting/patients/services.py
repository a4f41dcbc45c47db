"""Every write to patients and courses."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from lasting.accounts.models import Organization
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Course, Patient, Phase


@transaction.atomic
def create_patient(
    actor: Actor, organization: Organization, *, started_on: date, **fields: Any
) -> Patient:
    """Register a patient and open their first course in the evaluation phase."""
    patient = Patient(organization=organization, **fields)
    patient.full_clean()
    patient.save()
    Course.objects.create(
        organization=organization,
        patient=patient,
        number=1,
        phase=Phase.EVALUATION,
        started_on=started_on,
    )
    record_event(
        actor, Action.CREATE, patient_id=patient.pk, organization_id=organization.pk, obj=patient
    )
    return patient


def advance_course(course: Course, phase: Phase, on: date) -> Course:
    """Move a course forward (evaluation → induction → maintenance); never backwards."""
    order = [Phase.EVALUATION, Phase.INDUCTION, Phase.MAINTENANCE]
    if (
        course.phase in order
        and phase in order
        and order.index(phase) > order.index(Phase(course.phase))
    ):
        course.phase = phase
        course.save(update_fields=["phase"])
    elif phase in {Phase.DISCONTINUED, Phase.COMPLETED} and course.ended_on is None:
        course.phase = phase
        course.ended_on = on
        course.save(update_fields=["phase", "ended_on"])
    return course


def open_next_course(
    actor: Actor, patient: Patient, previous: Course | None, started_on: date
) -> Course:
    """Start course n + 1 (after a relapse or a return); the previous one stays as it was."""
    course = Course.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        number=(previous.number + 1) if previous else 1,
        phase=Phase.EVALUATION,
        started_on=started_on,
    )
    record_event(
        actor,
        Action.CREATE,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        obj=course,
    )
    return course
