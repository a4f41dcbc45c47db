"""Store sessions, clinical events, life events, medication changes and therapy: the
writers behind the one door.

Only `lasting.intake` and this app may import this module (an import-linter contract):
a session or event stored any other way would skip the patient's re-assessment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_about, record_event, record_patients_shown
from lasting.bulkinsert import insert_rows
from lasting.patients.models import Course, Patient, Phase
from lasting.patients.queries import find_current_course
from lasting.patients.services import advance_course, open_next_course
from lasting.treatment.models import (
    ClinicalEvent,
    EntrySource,
    LifeEvent,
    MedicationChange,
    Route,
    SessionKind,
    TherapyEvent,
    TreatmentSession,
    VitalSign,
)
from lasting.treatment.services import (
    ESKETAMINE_ONLY_FIELDS,
    SESSION_RULES,
    SessionNeedsConfirmation,
    check_life_context_day,
    check_monitoring_clinician,
    open_monitoring_form,
    refusal,
    session_record,
)
from lasting_core import sessions as safety
from lasting_core.daynumbers import day_number
from lasting_core.definitions import starts_new_course


def opens_new_course(patient: Patient, started_at: datetime) -> bool:
    """Whether an induction session at `started_at` starts a new course by the core's rule
    (`lasting_core.definitions.starts_new_course`), on the patient's clock."""
    zone = ZoneInfo(patient.time_zone)
    last = (
        TreatmentSession.objects.filter(
            patient=patient, kind=SessionKind.INDUCTION, started_at__lt=started_at
        )
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if last is None:
        return False  # the patient's first induction belongs to the course they are in
    return starts_new_course(
        day_number(started_at.astimezone(zone)), day_number(last.astimezone(zone))
    )


@transaction.atomic
def log_session(
    actor: Actor,
    patient: Patient,
    fields: Mapping[str, Any],
    vitals: Iterable[Mapping[str, Any]] = (),
    recorded_by_id: int | None = None,
    *,
    confirm_findings: bool = False,
) -> TreatmentSession:
    """Sign a session: check it against the session-safety rules, then store it whole.

    1. The core reviews the session (``lasting_core.sessions``): any problem refuses it,
       naming the field; findings (pre-dose BP above 140/90, SpO2 below 92 %, mg/kg outside
       0.1-1.0, ...) need ``confirm_findings`` and a ``confirmed_reason``, stored with the
       findings as shown.
    2. The session, its vital signs and, for esketamine, its REMS patient-monitoring form
       (due 7 calendar days after the session's date on the clinic's clock) are stored
       together; the course moves into the right phase; the write is audited.
    """
    vitals = list(vitals)
    reason = str(fields.get("confirmed_reason") or "").strip()
    # The findings stored are the ones found here, never ones a caller passes in.
    fields = {
        name: value
        for name, value in fields.items()
        if name not in ("confirmed_findings", "confirmed_reason")
    }
    if fields.get("route") != Route.INTRANASAL_ESKETAMINE:
        # The REMS questions belong to esketamine sessions only.
        fields.update(dict.fromkeys(ESKETAMINE_ONLY_FIELDS))
    check_monitoring_clinician(patient, fields)
    review = safety.review_session(
        session_record(fields, vitals), now=timezone.now(), rules=SESSION_RULES
    )
    if review.problems:
        raise refusal(review)
    if review.findings and not (confirm_findings and reason):
        raise SessionNeedsConfirmation(
            review.findings,
            "Tick the confirmation and give the reason to store the session with these findings.",
        )
    course = find_current_course(patient)
    if course is None or (
        fields.get("kind") == SessionKind.INDUCTION
        and (course.ended_on is not None or opens_new_course(patient, fields["started_at"]))
    ):
        # A patient returning after an ended course, or after more than the course gap
        # since their last induction session, starts a new course with this induction.
        course = open_next_course(
            actor, patient, course, today_in(patient.time_zone, fields["started_at"])
        )
    session = TreatmentSession(
        organization_id=patient.organization_id,
        patient=patient,
        course=course,
        recorded_by_id=recorded_by_id or actor.user_id,
        confirmed_findings=[
            {"code": finding.code.value, "message": finding.message} for finding in review.findings
        ],
        confirmed_reason=reason if review.findings else "",
        **fields,
    )
    session.full_clean()
    session.save()
    for row in vitals:
        vital = VitalSign(organization_id=patient.organization_id, session=session, **row)
        vital.full_clean()
        vital.save()
    if session.is_esketamine:
        open_monitoring_form(session)
    target = Phase.INDUCTION if session.kind == SessionKind.INDUCTION else Phase.MAINTENANCE
    advance_course(course, target, today_in(patient.time_zone, session.started_at))
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
    return event


LifeContextRow = TypeVar("LifeContextRow", LifeEvent, MedicationChange, TherapyEvent)


def _stored_before(row: LifeContextRow, patient: Patient) -> LifeContextRow | None:
    """The row the same form stored already (same key, same patient), if any."""
    if not row.idempotency_key:
        return None
    return (
        type(row)
        .objects.select_for_update()
        .filter(
            organization_id=patient.organization_id,
            patient=patient,
            idempotency_key=row.idempotency_key,
        )
        .first()
    )


def _store_life_context(
    actor: Actor,
    patient: Patient,
    row: LifeContextRow,
    day_field: str,
    now: datetime | None,
) -> None:
    """Check the row and its date on the patient's clock, store it and audit the write."""
    row.organization_id = patient.organization_id
    row.patient = patient
    row.recorded_by_id = actor.user_id
    row.full_clean()
    try:
        check_life_context_day(patient, getattr(row, day_field), now=now)
    except ValidationError as refused:
        raise ValidationError({day_field: refused.messages}) from refused
    row.save()
    record_about(actor, Action.CREATE, row)


@transaction.atomic
def record_life_event(
    actor: Actor,
    patient: Patient,
    fields: Mapping[str, Any],
    *,
    source: EntrySource,
    now: datetime | None = None,
) -> LifeEvent:
    """Store a stressful life event (kind, occurred_on, weight 1-3, note) as reported; the
    same form sent again returns the row it stored."""
    event = LifeEvent(source=source, **fields)
    if (stored := _stored_before(event, patient)) is not None:
        return stored
    _store_life_context(actor, patient, event, "occurred_on", now)
    return event


@transaction.atomic
def record_medication_change(
    actor: Actor, patient: Patient, fields: Mapping[str, Any], *, now: datetime | None = None
) -> MedicationChange:
    """Store a psychiatric medication started, stopped or changed in dose."""
    change = MedicationChange(source=EntrySource.CLINIC, **fields)
    if (stored := _stored_before(change, patient)) is not None:
        return stored
    _store_life_context(actor, patient, change, "changed_on", now)
    return change


@transaction.atomic
def record_therapy_event(
    actor: Actor, patient: Patient, fields: Mapping[str, Any], *, now: datetime | None = None
) -> TherapyEvent:
    """Store a therapy started or stopped, or a therapy session attended."""
    event = TherapyEvent(source=EntrySource.CLINIC, **fields)
    if (stored := _stored_before(event, patient)) is not None:
        return stored
    _store_life_context(actor, patient, event, "occurred_on", now)
    return event


def log_sessions_in_bulk(
    actor: Actor, organization_id: int, sessions: Mapping[Patient, Sequence[Mapping[str, Any]]]
) -> int:
    """Store imported sessions (each patient's in time order) in a few statements.

    The bulk twin of `log_session` for history from another system, which holds no vital
    signs or REMS answers: the session-safety review of a dose being given does not apply
    (the reader has checked kind, route and dose) and no REMS monitoring form is opened
    for a session that was given, and reported, long ago. Courses follow `log_session`'s
    rule: an induction after an ended course, or more than the course gap after the
    patient's previous induction (`opens_new_course`'s core rule), starts a new course;
    each course moves into the phase of its sessions. Audited once per patient (object
    type "SessionImport"), and each new course as `open_next_course` does. Inserted with
    prepared statements (`lasting.bulkinsert`); returns how many were stored.
    """
    patient_ids = [patient.pk for patient in sessions]
    current: dict[int, Course] = {}
    for existing in Course.objects.filter(patient_id__in=patient_ids).order_by("number"):
        current[existing.patient_id] = existing
    last_induction: dict[int, datetime] = dict(
        TreatmentSession.objects.filter(patient_id__in=patient_ids, kind=SessionKind.INDUCTION)
        .values("patient_id")
        .annotate(latest=Max("started_at"))
        .values_list("patient_id", "latest")
    )
    rows: list[dict[str, Any]] = []
    moved: dict[int, Course] = {}  # courses whose phase changed, saved once at the end
    for patient, fields_in_order in sessions.items():
        zone = ZoneInfo(patient.time_zone)
        for fields in fields_in_order:
            started_at: datetime = fields["started_at"]
            course: Course | None = current.get(patient.pk)
            previous = last_induction.get(patient.pk)
            if course is None or (
                fields["kind"] == SessionKind.INDUCTION
                and (
                    course.ended_on is not None
                    or (
                        previous is not None
                        and starts_new_course(
                            day_number(started_at.astimezone(zone)),
                            day_number(previous.astimezone(zone)),
                        )
                    )
                )
            ):
                course = open_next_course(
                    actor, patient, course, today_in(patient.time_zone, started_at)
                )
                current[patient.pk] = course
            if fields["kind"] == SessionKind.INDUCTION:
                last_induction[patient.pk] = started_at
            target = (
                Phase.INDUCTION if fields["kind"] == SessionKind.INDUCTION else Phase.MAINTENANCE
            )
            phase_before = course.phase
            advance_course(course, target, today_in(patient.time_zone, started_at), save=False)
            if course.phase != phase_before:
                moved[course.pk] = course
            rows.append(
                {
                    "organization_id": organization_id,
                    "patient_id": patient.pk,
                    "course_id": course.pk,
                    "recorded_by_id": actor.user_id,
                    **fields,
                }
            )
    by_phase: dict[str, list[int]] = {}
    for moved_course in moved.values():
        by_phase.setdefault(moved_course.phase, []).append(moved_course.pk)
    for phase, course_ids in by_phase.items():
        for start in range(0, len(course_ids), 5000):
            Course.objects.filter(pk__in=course_ids[start : start + 5000]).update(phase=phase)
    insert_rows(TreatmentSession, rows)
    record_patients_shown(
        actor,
        Action.CREATE,
        patient_ids,
        organization_id=organization_id,
        list_name="SessionImport",
    )
    return len(rows)
