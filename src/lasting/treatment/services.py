"""Record treatment sessions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient, Phase
from lasting.patients.queries import find_current_course
from lasting.patients.services import advance_course, open_next_course
from lasting.treatment.models import SessionKind, TreatmentSession, VitalSign


@transaction.atomic
def log_session(
    actor: Actor,
    patient: Patient,
    fields: Mapping[str, Any],
    vitals: Iterable[Mapping[str, Any]] = (),
    recorded_by_id: int | None = None,
) -> TreatmentSession:
    """Store a session and its vital signs together; move the course into the right phase."""
    course = find_current_course(patient)
    if course is None or (
        course.ended_on is not None and fields.get("kind") == SessionKind.INDUCTION
    ):
        # A patient returning after an ended course starts a new one with this induction.
        course = open_next_course(actor, patient, course, fields["started_at"].date())
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
    advance_course(
        course, target, timezone.localtime(session.started_at, ZoneInfo(patient.time_zone)).date()
    )
    record_event(
        actor,
        Action.CREATE,
        patient_id=patient.pk,
        organization_id=patient.organization_id,
        obj=session,
    )
    return session
