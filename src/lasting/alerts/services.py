"""Open, acknowledge and close alerts, and record contact with the patient.

Safety alerts (docs/clinical.md#safety-alerts) are never deduplicated or suppressed:
every positive or missing PHQ-9 item 9 opens its own alert, in the same transaction that
stores the answers; so does every note that matches the screening phrase list (`open_note_alert`).
Acknowledging means "I have it"; a safety alert is closed only by a contact outcome with
a note, and escalates until then (`lasting.alerts.escalation` sends the e-mails, after
the commit, marked sent only once the mail server accepted them).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lasting.accounts.models import Membership
from lasting.alerts.models import (
    CLOSING_OUTCOMES,
    PRIORITY_RANK,
    Alert,
    AlertKind,
    AlertStatus,
    ContactAttempt,
    ContactOutcome,
    Priority,
)
from lasting.alerts.queries import get_alert_for
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_about
from lasting.checkins.models import CheckIn, Instrument
from lasting.patients.models import Patient
from lasting_core.escalation import next_escalation_at
from lasting_core.instruments import ScoreFlag
from lasting_core.screening import NoteScreening, RiskCategory, screen_note

ITEM9_WORDS = {1: "several days", 2: "more than half the days", 3: "nearly every day"}


def safety_priority(item9: int | None) -> tuple[Priority, str]:
    """Priority and reason for an item-9 answer (None: not answered)."""
    if item9 is None:
        return Priority.HIGH, "PHQ-9 item 9 (thoughts of self-harm) was not answered: follow up."
    priority = Priority.URGENT if item9 >= 2 else Priority.HIGH
    words = ITEM9_WORDS.get(item9, "")
    return priority, f"PHQ-9 item 9 (thoughts of self-harm) answered {item9} of 3 ({words})."


def open_safety_alerts(checkin: CheckIn) -> list[Alert]:
    """Open one safety alert for each PHQ-9 in the check-in whose item 9 needs follow-up.

    Item 9 >= 2 is urgent, item 9 = 1 is high priority, and a missing item 9 is high
    priority too: it is not evidence of safety (Louzon 2016: 71.6 % of suicides in a
    cohort of veterans followed an item 9 of 0).
    """
    opened: list[Alert] = []
    for response in checkin.responses.filter(instrument=Instrument.PHQ9):
        flags = set(response.flags)
        if not flags & {ScoreFlag.ITEM9_POSITIVE, ScoreFlag.ITEM9_MISSING}:
            continue
        priority, reason = safety_priority(response.item9)
        opened.append(
            create_safety_alert(
                checkin.patient,
                priority,
                reason,
                drivers={"item9": response.item9, "phq9_total": response.total},
                opened_at=checkin.submitted_at,
                response_id=response.pk,
            )
        )
    return opened


def find_waiting_unstored_alert(
    patient: Patient, priority: Priority, same_report: Q
) -> Alert | None:
    """The unacknowledged alert an unstored report would repeat, locked, if there is one.

    The same report sent again (a retried or replayed form) while the first alert for it
    is still unacknowledged, at the same or a higher priority, adds nothing the care team
    has not been told: it must not bury the caseload in copies.
    """
    as_pressing = [p for p, rank in PRIORITY_RANK.items() if rank <= PRIORITY_RANK[priority]]
    return (
        Alert.objects.select_for_update()
        .filter(
            same_report,
            patient=patient,
            kind=AlertKind.SAFETY,
            status=AlertStatus.OPEN,
            response__isnull=True,
            priority__in=as_pressing,
        )
        .order_by("-opened_at")
        .first()
    )


def open_alert_for_unstored_answer(patient: Patient, item9: int | None, situation: str) -> Alert:
    """Open a safety alert for an item-9 answer whose check-in could not be stored.

    Used when a patient reports self-harm thoughts on a form that was refused (a used
    link, a changed resubmission, an incomplete form): the answers are not stored, but
    the safety signal never goes missing.
    """
    priority, reason = safety_priority(item9)
    # An alert for a note does not answer for item 9.
    waiting = find_waiting_unstored_alert(patient, priority, Q(drivers__has_key="item9"))
    if waiting is not None:
        return waiting
    alert = create_safety_alert(
        patient,
        priority,
        f"{reason} Reported on a check-in that was not stored ({situation}).",
        drivers={"item9": item9, "stored": False, "situation": situation},
        opened_at=timezone.now(),
        response_id=None,
    )
    schedule_notification(alert)  # queued after the commit
    return alert


NOTE_CATEGORY_WORDS = {
    RiskCategory.IDEATION: "suicidal ideation",
    RiskCategory.PLAN: "a plan or intent",
    RiskCategory.MEANS: "means",
    RiskCategory.FAREWELL: "farewell",
}


def note_safety_priority(screening: NoteScreening) -> tuple[Priority, str]:
    """Priority and reason for a note that matched the screening phrase list: urgent for
    the categories `lasting_core.screening.ScreeningSettings` names, high otherwise."""
    priority = Priority.URGENT if screening.needs_urgent_review else Priority.HIGH
    words = ", ".join(NOTE_CATEGORY_WORDS[category] for category in screening.categories)
    return priority, (
        f"The patient's note matched the risk phrase list (version {screening.list_version}): "
        f"{words}."
    )


def note_drivers(screening: NoteScreening) -> dict[str, object]:
    """What the screener found, never the note's words."""
    return {
        "source": "note",
        "categories": [category.value for category in screening.categories],
        "phrase_ids": list(screening.phrase_ids),
        "list_version": screening.list_version,
    }


def open_note_alert(checkin: CheckIn) -> Alert | None:
    """Open a safety alert when the check-in's note matches the screening phrase list
    (docs/clinical.md#free-text-screening); the alert points at the check-in's first
    response."""
    screening = screen_note(checkin.note)
    if not screening.matched:
        return None
    priority, reason = note_safety_priority(screening)
    return create_safety_alert(
        checkin.patient,
        priority,
        f"{reason} Read the note on the check-in.",
        drivers=note_drivers(screening),
        opened_at=checkin.submitted_at,
        response_id=checkin.responses.order_by("pk").values_list("pk", flat=True).first(),
    )


def open_alert_for_unstored_note(patient: Patient, note: str, situation: str) -> Alert | None:
    """Open a safety alert for a matching note on a check-in that could not be stored.

    The note is not stored (only what the screener found is), so the reason says to
    contact the patient. The same report sent again while its alert is still open, at
    the same or a higher priority, adds nothing (as for item 9).
    """
    screening = screen_note(note)
    if not screening.matched:
        return None
    priority, reason = note_safety_priority(screening)
    waiting = find_waiting_unstored_alert(patient, priority, Q(drivers__source="note"))
    if waiting is not None:
        return waiting
    alert = create_safety_alert(
        patient,
        priority,
        f"{reason} Written on a check-in that was not stored ({situation}), so the note "
        "itself is not available: contact the patient.",
        drivers={**note_drivers(screening), "stored": False, "situation": situation},
        opened_at=timezone.now(),
        response_id=None,
    )
    schedule_notification(alert)  # queued after the commit
    return alert


def create_safety_alert(
    patient: Patient,
    priority: Priority,
    reason: str,
    *,
    drivers: dict[str, object],
    opened_at: datetime,
    response_id: int | None,
) -> Alert:
    organization = patient.organization
    acknowledge_by = opened_at + timedelta(minutes=organization.alert_ack_sla_minutes)
    return Alert.objects.create(
        organization=organization,
        patient=patient,
        kind=AlertKind.SAFETY,
        priority=priority,
        reason=reason,
        drivers=drivers,
        response_id=response_id,
        assigned_to_id=patient.assigned_clinician_id,
        opened_at=opened_at,
        acknowledge_by=acknowledge_by,
        next_escalation_at=acknowledge_by,
    )


def schedule_notification(alert: Alert) -> None:
    """After the commit, queue the e-mail that tells the clinicians an alert opened."""
    from lasting.alerts.tasks import notify_alert_task

    # robust: a queue that is down must not turn a stored check-in into an error page;
    # notify_pending_alerts retries the e-mail from the periodic job.
    transaction.on_commit(lambda: notify_alert_task.enqueue(alert.pk), robust=True)


def lock_alert(alert_id: int) -> Alert:
    """The alert, its row locked until the transaction ends (not its organisation's row)."""
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=alert_id)
    )


def acknowledge_alert(actor: Actor, membership: Membership | None, alert_id: int) -> Alert:
    """Record that someone has the alert ("I have it"): who and when, audited.

    The alert stays unresolved. A safety alert stays at the top of the caseload and keeps
    escalating until a contact outcome closes it: the person who took it has one service
    level to record one (lasting_core.escalation.next_escalation_at).
    """
    get_alert_for(membership, alert_id, actor=actor, action=Action.ACKNOWLEDGE)
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if alert.status == AlertStatus.OPEN:
            mark_acknowledged(alert, actor, timezone.now())
            alert.save(
                update_fields=[
                    "status",
                    "acknowledged_at",
                    "acknowledged_by",
                    "next_escalation_at",
                ]
            )
        record_about(actor, Action.ACKNOWLEDGE, alert)
    return alert


def mark_acknowledged(alert: Alert, actor: Actor, now: datetime) -> None:
    """Set who acknowledged and when, and move a safety alert's next escalation."""
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.user_id
    if alert.kind == AlertKind.SAFETY:
        alert.next_escalation_at = next_escalation_at(
            opened_at=alert.opened_at,
            acknowledged_at=now,
            escalated_at=alert.escalated_at,
            sla=timedelta(minutes=alert.organization.alert_ack_sla_minutes),
        )


def record_contact_attempt(
    actor: Actor,
    membership: Membership | None,
    alert_id: int,
    outcome: ContactOutcome,
    note: str,
) -> ContactAttempt:
    """Record one attempt to contact the patient about a safety alert, with its outcome.

    1. The note is required: what was said or done, and the plan.
    2. An attempt on an alert nobody had acknowledged acknowledges it (audited too).
    3. Reached the patient, left a message or called emergency services closes the alert,
       with the note as its resolution. "Unable to reach" is recorded and leaves the
       alert open and escalating on its schedule.

    Raises ValidationError (nothing stored) for an empty note, an unknown outcome, an
    alert that is not a safety alert, or one already resolved.
    """
    get_alert_for(membership, alert_id, actor=actor, action=Action.CREATE)
    recorded_by_id = actor.user_id
    if recorded_by_id is None:
        raise PermissionDenied("Contact with a patient is recorded by the person who made it.")
    note = require_note(note)
    if outcome not in ContactOutcome.values:
        raise ValidationError(f"{outcome!r} is not a contact outcome.")
    outcome = ContactOutcome(outcome)
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if alert.kind != AlertKind.SAFETY:
            raise ValidationError("Contact outcomes are recorded on safety alerts only.")
        if alert.status == AlertStatus.RESOLVED:
            raise ValidationError(
                "This alert is already closed; record further contact in the patient's notes."
            )
        now = timezone.now()
        attempt = ContactAttempt.objects.create(
            organization_id=alert.organization_id,
            patient_id=alert.patient_id,
            alert=alert,
            outcome=outcome,
            note=note,
            recorded_at=now,
            recorded_by_id=recorded_by_id,
        )
        record_about(actor, Action.CREATE, attempt)
        fields = []
        if alert.status == AlertStatus.OPEN:
            mark_acknowledged(alert, actor, now)
            record_about(actor, Action.ACKNOWLEDGE, alert)
            fields += ["status", "acknowledged_at", "acknowledged_by", "next_escalation_at"]
        if attempt.closes_alert:
            mark_resolved(alert, actor, now, note)
            record_about(actor, Action.RESOLVE, alert)
            fields += ["status", "resolved_at", "resolved_by", "resolution_note"]
            fields += ["next_escalation_at"]
        if fields:
            alert.save(update_fields=sorted(set(fields)))
    return attempt


def resolve_alert(
    actor: Actor,
    membership: Membership | None,
    alert_id: int,
    note: str,
    *,
    outcome: ContactOutcome | None = None,
) -> Alert:
    """Close an alert with a note; an open alert is acknowledged by the same act.

    A safety alert is closed by contact, never by a click: it needs a contact outcome
    other than "unable to reach" and a note, and is closed through
    `record_contact_attempt`. Raises ValidationError otherwise, with nothing changed.
    """
    alert = get_alert_for(membership, alert_id, actor=actor, action=Action.RESOLVE)
    note = require_note(note)
    if alert.kind == AlertKind.SAFETY:
        if outcome not in CLOSING_OUTCOMES:
            raise ValidationError(
                "A safety alert is closed by contact: record that you reached the patient, "
                "left a message or called emergency services, with a note. If you could not "
                "reach the patient, record that: the alert stays open and keeps escalating."
            )
        return record_contact_attempt(actor, membership, alert_id, outcome, note).alert
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if alert.status != AlertStatus.RESOLVED:
            now = timezone.now()
            if alert.acknowledged_at is None:
                # Resolving an unacknowledged alert acknowledges it too; both are audited.
                mark_acknowledged(alert, actor, now)
                record_about(actor, Action.ACKNOWLEDGE, alert)
            mark_resolved(alert, actor, now, note)
            alert.save()
        record_about(actor, Action.RESOLVE, alert)
    return alert


def mark_resolved(alert: Alert, actor: Actor, now: datetime, note: str) -> None:
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at, alert.resolved_by_id = now, actor.user_id
    alert.resolution_note = note
    alert.next_escalation_at = None


# Longest note kept, characters: a call summary, not a chart.
NOTE_MAX_CHARS = 2000


def require_note(note: str) -> str:
    """The note, stripped; ValidationError when it is empty or too long."""
    note = note.strip()
    if not note:
        raise ValidationError(
            "Write a note: what was said or done, and the plan (for example: called the "
            "patient; safety plan reviewed; appointment tomorrow)."
        )
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError(f"Keep the note under {NOTE_MAX_CHARS} characters.")
    return note


def open_historical_alert(
    patient: Patient,
    reason: str,
    *,
    drivers: dict[str, object],
    opened_at: datetime,
    response_id: int | None,
) -> Alert:
    """Open a safety alert for review about answers from imported history.

    Marked `drivers["imported"]` and priority "needs review": it is listed with the alerts
    and in the needs-review queue, and closed as any safety alert is (a contact outcome
    with a note), but it sends no e-mail and never escalates: the answers are weeks or
    years old, and an import of a clinic's history must not page its clinicians once per
    patient (docs/formats.md#safety-alerts-from-imported-history).
    """
    return Alert.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        kind=AlertKind.SAFETY,
        priority=Priority.REVIEW,
        reason=reason,
        drivers={**drivers, "imported": True},
        response_id=response_id,
        assigned_to_id=patient.assigned_clinician_id,
        opened_at=opened_at,
    )
