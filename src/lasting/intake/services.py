"""The one door for clinical data: every check-in, session and clinical event enters here.

Whatever the source — the patient's link, the patient's own page, a PHQ-9 taken in
clinic, a session signed by a nurse, an event a clinician records, and later the API,
FHIR and CSV import — the entry point calls one function of this module, which in one
transaction:

1. stores the data through its app's writer (`checkins.writers`, `treatment.writers`;
   no other module may import those, an import-linter contract);
2. opens the safety alerts the data calls for (PHQ-9 item 9 ≥ 1 or unanswered, a note
   that matches the screening phrase list), e-mailed after the commit;
3. schedules the patient's re-assessment for right after the commit
   (`plans.services.reassess_after_commit`), so the clinician sees the new risk within
   the same request and a failing engine never undoes stored data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.alerts.models import Alert
from lasting.alerts.services import (
    create_safety_alert,
    find_waiting_unstored_alert,
    note_drivers,
    note_safety_priority,
    open_alert_for_unstored_answer,
    open_alert_for_unstored_note,
    open_note_alert,
    open_safety_alerts,
    schedule_notification,
)
from lasting.audit.services import Actor
from lasting.checkins import writers as checkin_writers
from lasting.checkins.models import CheckInLink, Source
from lasting.checkins.services import RecordedCheckIn
from lasting.patients.models import Patient
from lasting.plans.services import close_proposals_for, reassess_after_commit
from lasting.prevention import writers as prevention_writers
from lasting.treatment import writers as treatment_writers
from lasting.treatment.models import (
    ClinicalEvent,
    EntrySource,
    LifeEvent,
    MedicationChange,
    SessionKind,
    TherapyEvent,
    TreatmentSession,
)
from lasting_core.instruments import Score
from lasting_core.screening import screen_note


def submit_checkin(
    actor: Actor,
    patient: Patient,
    scores: Sequence[Score],
    *,
    source: Source,
    link: CheckInLink | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    submitted_at: datetime | None = None,
) -> RecordedCheckIn:
    """Store a check-in with its safety alerts and schedule re-assessment.

    A retry (same key, same answers) opens nothing new and re-assesses nothing: the first
    submission did. The same key with other answers raises `IdempotencyConflict`; a used
    link raises `LinkError`; in both cases nothing is stored.
    """
    with transaction.atomic():
        recorded = checkin_writers.record_checkin(
            actor,
            patient,
            scores,
            source=source,
            link=link,
            idempotency_key=idempotency_key,
            note=note,
            submitted_at=submitted_at,
        )
        if recorded.created:
            for alert in open_safety_alerts(recorded.checkin):
                schedule_notification(alert)
            note_alert = open_note_alert(recorded.checkin)
            if note_alert is not None:
                schedule_notification(note_alert)
            reassess_after_commit(patient)
    return recorded


def submit_checkin_with_personal_items(
    actor: Actor,
    patient: Patient,
    scores: Sequence[Score],
    personal_answers: Mapping[int, float],
    *,
    source: Source,
    link: CheckInLink | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    submitted_at: datetime | None = None,
) -> RecordedCheckIn:
    """Store a check-in as `submit_checkin` does, with the answers to the patient's
    personal items (item id -> value) in the same transaction: both or neither.

    A retry with the same key and answers stores nothing new; other personal answers
    under the same key raise `IdempotencyConflict`.
    """
    with transaction.atomic():
        recorded = submit_checkin(
            actor,
            patient,
            scores,
            source=source,
            link=link,
            idempotency_key=idempotency_key,
            note=note,
            submitted_at=submitted_at,
        )
        prevention_writers.record_personal_answers(
            actor, recorded.checkin, personal_answers, created=recorded.created
        )
    return recorded


def enter_clinic_checkin(
    actor: Actor,
    membership: Membership | None,
    patient: Patient,
    scores: Sequence[Score],
    *,
    taken_at: datetime,
    idempotency_key: str,
    now: datetime | None = None,
) -> RecordedCheckIn:
    """Store a questionnaire taken in clinic, exactly as the patient's own check-in.

    1. Only clinicians and nurses of the patient's organisation may enter one.
    2. It is dated when it was taken (never in the future) with source "clinic"; a
       PHQ-9 taken before the first induction session becomes the baseline.
    """
    if not rules.can_enter_checkins(membership) or (
        membership.organization_id != patient.organization_id
    ):
        raise PermissionDenied("Your role cannot enter check-ins.")
    if taken_at > (now or timezone.now()):
        raise ValidationError("The time taken cannot be in the future.")
    return submit_checkin(
        actor,
        patient,
        scores,
        source=Source.CLINIC,
        idempotency_key=idempotency_key,
        submitted_at=taken_at,
    )


def report_unstored_checkin(
    patient: Patient,
    *,
    item9: int | None,
    note: str,
    situation: str,
    item9_missing: bool = False,
) -> None:
    """Keep the safety signal of a check-in that could not be stored.

    A form with errors, a used or expired link, a changed resubmission: the answers are
    not stored, but a positive item 9, an item 9 left unanswered on a PHQ-9 sent empty
    (`item9_missing`), or a note that matches the screening list still opens its safety
    alert (the same report sent again joins the open alert).
    """
    note_matched = screen_note(note).matched
    if item9 is None and not item9_missing and not note_matched:
        return
    with transaction.atomic():
        if item9 is not None or item9_missing:
            open_alert_for_unstored_answer(patient, item9, situation)
        if note_matched:
            open_alert_for_unstored_note(patient, note, situation)


def log_session(
    actor: Actor,
    patient: Patient,
    fields: Mapping[str, Any],
    vitals: Iterable[Mapping[str, Any]] = (),
    recorded_by_id: int | None = None,
    *,
    confirm_findings: bool = False,
) -> TreatmentSession:
    """Sign a treatment session (checked against the session-safety rules, stored whole)
    and schedule the patient's re-assessment: a session resets the engine's relief clock."""
    with transaction.atomic():
        session = treatment_writers.log_session(
            actor,
            patient,
            fields,
            vitals,
            recorded_by_id,
            confirm_findings=confirm_findings,
        )
        if session.kind == SessionKind.BOOSTER:
            close_proposals_for(actor, patient.pk, note="booster given")
        reassess_after_commit(patient)
    return session


def record_clinical_event(
    actor: Actor, patient: Patient, kind: str, occurred_on: date, note: str = ""
) -> ClinicalEvent:
    """Record a hospitalisation or suicide-related event (a relapse at once) and schedule
    the patient's re-assessment."""
    with transaction.atomic():
        event = treatment_writers.record_clinical_event(actor, patient, kind, occurred_on, note)
        reassess_after_commit(patient)
    return event


def check_clinical_entry(membership: Membership | None, patient: Patient) -> None:
    """Life events, medication and therapy entered by staff: clinicians and nurses of the
    patient's organisation (docs/clinical.md#roles), as for a questionnaire taken in clinic."""
    if not rules.can_enter_checkins(membership) or (
        membership.organization_id != patient.organization_id
    ):
        raise PermissionDenied("Your role cannot enter life events, medication or therapy.")


def record_life_event(
    actor: Actor,
    patient: Patient,
    fields: Mapping[str, Any],
    *,
    source: EntrySource,
    membership: Membership | None = None,
    now: datetime | None = None,
) -> LifeEvent:
    """Store a stressful life event and schedule the patient's re-assessment.

    1. The clinical team's entries need a clinician or nurse of the patient's
       organisation; the patient's own report (source "patient") comes from their session.
    2. The date is checked on the patient's clock and the row stored and audited.
    3. A patient's note goes through the free-text screening as a check-in's note does:
       a match opens a safety alert in the same transaction (e-mailed after the commit).
    """
    if source != EntrySource.PATIENT:
        check_clinical_entry(membership, patient)
    with transaction.atomic():
        event = treatment_writers.record_life_event(actor, patient, fields, source=source, now=now)
        if source == EntrySource.PATIENT:
            alert = open_life_event_note_alert(event)
            if alert is not None:
                schedule_notification(alert)
        reassess_after_commit(patient)
    return event


def open_life_event_note_alert(event: LifeEvent) -> Alert | None:
    """Open a safety alert when a patient's note on a life event matches the screening
    phrase list: the check-in note's rule and wording (docs/clinical.md#free-text-screening)."""
    screening = screen_note(event.note)
    if not screening.matched:
        return None
    if Alert.objects.filter(patient=event.patient, drivers__life_event_id=event.pk).exists():
        return None  # the same report sent again: its alert is open already
    priority, reason = note_safety_priority(screening)
    return create_safety_alert(
        event.patient,
        priority,
        f"{reason} Read the note on the life event the patient reported.",
        drivers={**note_drivers(screening), "life_event_id": event.pk},
        opened_at=event.recorded_at,
        response_id=None,
    )


def report_unstored_life_event(patient: Patient, note: str, situation: str) -> Alert | None:
    """Keep the safety signal of a patient's life-event report that could not be stored.

    A form with an error is not stored, but a note that matches the screening list still
    opens its safety alert (the same report sent again joins the open alert), as for a
    check-in that could not be stored.
    """
    screening = screen_note(note)
    if not screening.matched:
        return None
    priority, reason = note_safety_priority(screening)
    with transaction.atomic():
        waiting = find_waiting_unstored_alert(
            patient, priority, Q(drivers__source="note", drivers__life_event_id=None)
        )
        if waiting is not None:
            return waiting
        alert = create_safety_alert(
            patient,
            priority,
            f"{reason} Written on a life-event report that was not stored ({situation}), so "
            "the note itself is not available: contact the patient.",
            drivers={
                **note_drivers(screening),
                "life_event_id": None,
                "stored": False,
                "situation": situation,
            },
            opened_at=timezone.now(),
            response_id=None,
        )
        schedule_notification(alert)  # queued after the commit
    return alert


def record_medication_change(
    actor: Actor,
    membership: Membership | None,
    patient: Patient,
    fields: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> MedicationChange:
    """Store a psychiatric medication started, stopped or changed in dose, and schedule
    the patient's re-assessment."""
    check_clinical_entry(membership, patient)
    with transaction.atomic():
        change = treatment_writers.record_medication_change(actor, patient, fields, now=now)
        reassess_after_commit(patient)
    return change


def record_therapy_event(
    actor: Actor,
    membership: Membership | None,
    patient: Patient,
    fields: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> TherapyEvent:
    """Store a therapy started or stopped, or a session attended, and schedule the
    patient's re-assessment."""
    check_clinical_entry(membership, patient)
    with transaction.atomic():
        event = treatment_writers.record_therapy_event(actor, patient, fields, now=now)
        reassess_after_commit(patient)
    return event
