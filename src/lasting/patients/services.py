"""Every write to patients and courses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from lasting.accounts.models import Organization
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event, record_patients_shown
from lasting.patients.models import Course, EndReason, Patient, Phase


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


def advance_course(course: Course, phase: Phase, on: date, *, save: bool = True) -> Course:
    """Move a course forward (evaluation → induction → maintenance); never backwards.
    With `save=False` the caller saves it (an import saves each course once)."""
    order = [Phase.EVALUATION, Phase.INDUCTION, Phase.MAINTENANCE]
    if (
        course.phase in order
        and phase in order
        and order.index(phase) > order.index(Phase(course.phase))
    ):
        course.phase = phase
        if save:
            course.save(update_fields=["phase"])
    elif phase in {Phase.DISCONTINUED, Phase.COMPLETED} and course.ended_on is None:
        course.phase = phase
        course.ended_on = on
        if save:
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


@transaction.atomic
def update_patient(actor: Actor, patient: Patient, fields: dict[str, Any]) -> Patient:
    """Save changed details of a patient (the caller's form decides which fields); audited
    when anything changed."""
    # Compared with the stored row: a bound model form has already changed `patient`.
    stored = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = any(getattr(stored, name) != value for name, value in fields.items())
    for name, value in fields.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient.save()
    if changed:
        record_event(
            actor,
            Action.UPDATE,
            patient_id=patient.pk,
            organization_id=patient.organization_id,
            obj=patient,
        )
    return patient


@transaction.atomic
def end_course(actor: Actor, course: Course, reason: EndReason, note: str, on: date) -> Course:
    """End a course that is still open, with its reason; audited. Raises ValidationError
    when it has ended already."""
    locked = Course.objects.select_for_update().get(pk=course.pk)
    if locked.ended_on is not None:
        raise ValidationError(f"Course {locked.number} ended on {locked.ended_on:%b %-d, %Y}.")
    if on < locked.started_on:
        raise ValidationError("A course cannot end before it started.")
    locked.phase = Phase.COMPLETED if reason == EndReason.COMPLETED else Phase.DISCONTINUED
    locked.ended_on, locked.end_reason, locked.end_note = on, reason, note.strip()
    locked.save(update_fields=["phase", "ended_on", "end_reason", "end_note"])
    record_event(
        actor,
        Action.UPDATE,
        patient_id=locked.patient_id,
        organization_id=locked.organization_id,
        obj=locked,
    )
    return locked


@transaction.atomic
def start_new_course(
    actor: Actor, patient: Patient, reason: EndReason, note: str, on: date
) -> Course:
    """Start the patient's next course in evaluation; the current one, if still open,
    ends today with `reason` (a relapse, a return after a gap)."""
    current = Course.objects.select_for_update().filter(patient=patient).order_by("-number").first()
    if current is not None and current.ended_on is None:
        end_course(actor, current, reason, note, on)
    return open_next_course(actor, patient, current, on)


@transaction.atomic
def import_patients(
    actor: Actor, organization: Organization, patients: Sequence[tuple[Patient, date]]
) -> list[Patient]:
    """Register many patients at once (an import), each with a first course in evaluation
    starting on its date; audited once per patient (object type "PatientImport").

    The caller has checked every row (`full_clean`, record numbers new to the
    organisation); the database's unique constraints still stand behind it.
    """
    stored = Patient.objects.bulk_create(
        [patient for patient, _started_on in patients], batch_size=2000
    )
    Course.objects.bulk_create(
        [
            Course(
                organization=organization,
                patient=patient,
                number=1,
                phase=Phase.EVALUATION,
                started_on=started_on,
            )
            for patient, (_unsaved, started_on) in zip(stored, patients, strict=True)
        ],
        batch_size=2000,
    )
    record_patients_shown(
        actor,
        Action.CREATE,
        [patient.pk for patient in stored],
        organization_id=organization.pk,
        list_name="PatientImport",
    )
    return stored
