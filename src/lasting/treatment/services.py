"""Record treatment sessions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_about, record_event
from lasting.patients.models import Patient, Phase
from lasting.patients.queries import find_current_course
from lasting.patients.services import advance_course, open_next_course
from lasting.treatment.models import (
    ClinicalEvent,
    Route,
    SessionKind,
    TreatmentSession,
    VitalPhase,
    VitalSign,
)
from lasting.treatment.signals import clinical_event_recorded, session_logged

VITALS_BEFORE_LEEWAY = timedelta(hours=2)
VITALS_AFTER_LEEWAY = timedelta(hours=1)
# Esketamine REMS: blood pressure before the dose and about 40 minutes after it.
ESKETAMINE_AFTER_MINUTES = 40


def check_vitals(fields: Mapping[str, Any], vitals: Sequence[Mapping[str, Any]]) -> None:
    """Raise ValidationError unless the vital signs fit the session (DESIGN section 4).

    1. At least one reading before the dose.
    2. Every reading within two hours before the start and an hour after the end.
    3. Intranasal esketamine: a reading after the dose at least 40 minutes after the start.
    """
    started_at = fields["started_at"]
    ended_at = fields.get("ended_at") or started_at + timedelta(hours=4)
    problems: list[str] = []
    if not any(row["phase"] == VitalPhase.BEFORE for row in vitals):
        problems.append("Record vital signs before the dose.")
    for row in vitals:
        measured_at = row["measured_at"]
        if not started_at - VITALS_BEFORE_LEEWAY <= measured_at <= ended_at + VITALS_AFTER_LEEWAY:
            problems.append(
                f"A reading at {timezone.localtime(measured_at):%Y-%m-%d %H:%M} is outside "
                "the session (from two hours before it starts to an hour after it ends)."
            )
    if fields.get("route") == Route.INTRANASAL_ESKETAMINE and not any(
        row["phase"] in (VitalPhase.AFTER, VitalPhase.DISCHARGE)
        and row["measured_at"] >= started_at + timedelta(minutes=ESKETAMINE_AFTER_MINUTES)
        for row in vitals
    ):
        problems.append("Esketamine: record blood pressure at least 40 minutes after the dose.")
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def log_session(
    actor: Actor,
    patient: Patient,
    fields: Mapping[str, Any],
    vitals: Iterable[Mapping[str, Any]] = (),
    recorded_by_id: int | None = None,
) -> TreatmentSession:
    """Store a session and its vital signs together; move the course into the right phase."""
    vitals = list(vitals)
    check_vitals(fields, vitals)
    course = find_current_course(patient)
    if course is None or (
        course.ended_on is not None and fields.get("kind") == SessionKind.INDUCTION
    ):
        # A patient returning after an ended course starts a new one with this induction.
        course = open_next_course(
            actor, patient, course, today_in(patient.time_zone, fields["started_at"])
        )
    session = TreatmentSession(
        organization_id=patient.organization_id,
        patient=patient,
        course=course,
        recorded_by_id=recorded_by_id or actor.user_id,
        **fields,
    )
    session.full_clean()
    session.save()
    for row in vitals:
        vital = VitalSign(organization_id=patient.organization_id, session=session, **row)
        vital.full_clean()
        vital.save()
    target = Phase.INDUCTION if session.kind == SessionKind.INDUCTION else Phase.MAINTENANCE
    advance_course(course, target, today_in(patient.time_zone, session.started_at))
    transaction.on_commit(
        lambda: session_logged.send(sender=TreatmentSession, patient=patient, session=session)
    )
    record_event(
        actor,
        Action.CREATE,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        obj=session,
    )
    return session


@transaction.atomic
def record_clinical_event(
    actor: Actor, patient: Patient, kind: str, occurred_on: date, note: str = ""
) -> ClinicalEvent:
    """Record a hospitalisation or suicide-related event; the engine counts it as a relapse."""
    event = ClinicalEvent(
        organization_id=patient.organization_id,
        patient=patient,
        kind=kind,
        occurred_on=occurred_on,
        note=note,
        recorded_by_id=actor.user_id,
    )
    event.full_clean()
    event.save()
    record_about(actor, Action.CREATE, event)
    transaction.on_commit(
        lambda: clinical_event_recorded.send(sender=ClinicalEvent, patient=patient, event=event)
    )
    return event
