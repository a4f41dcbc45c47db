"""Open, notify, acknowledge, resolve and escalate alerts.

Safety alerts (DESIGN section 4) are never deduplicated or suppressed: every positive or
missing PHQ-9 item 9 opens its own alert, in the same transaction that stores the
answers; so does every note that matches the screening phrase list (`open_note_alert`).
E-mails name no patient and no clinical value; they are sent after the commit
and marked sent only once the mail server accepted them, so a failed send is retried by
the next run (at least once, never silently dropped).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Membership, Role, User
from lasting.alerts.models import PRIORITY_RANK, Alert, AlertKind, AlertStatus, Priority
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_about, record_event
from lasting.checkins.models import CheckIn, CheckInLink, Instrument, Source
from lasting.checkins.services import RecordedCheckIn, record_checkin
from lasting.patients.models import Patient
from lasting_core.instruments import Score, ScoreFlag
from lasting_core.screening import NoteScreening, RiskCategory, screen_note

log = logging.getLogger("lasting.alerts")

ITEM9_WORDS = {1: "several days", 2: "more than half the days", 3: "nearly every day"}


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
    """Store a check-in and open its safety alerts together: the one way check-ins enter.

    A retry (same key, same answers) opens nothing new; the first submission did.
    """
    with transaction.atomic():
        recorded = record_checkin(
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
    return recorded


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
    priority too: it is not evidence of safety (DESIGN section 4).
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


def open_alert_for_unstored_answer(patient: Patient, item9: int, situation: str) -> Alert:
    """Open a safety alert for an item-9 answer whose check-in could not be stored.

    Used when a patient reports self-harm thoughts on a form that was refused (a used
    link, a changed resubmission, an incomplete form): the answers are not stored, but
    the safety signal never goes missing.
    """
    priority, reason = safety_priority(item9)
    # The same report sent again (a retried or replayed form) while the first alert for an
    # unstored answer is still unacknowledged, at the same or a higher priority, adds
    # nothing the care team has not been told: it must not bury the caseload in copies.
    as_pressing = [p for p, rank in PRIORITY_RANK.items() if rank <= PRIORITY_RANK[priority]]
    waiting = (
        Alert.objects.select_for_update()
        .filter(
            patient=patient,
            kind=AlertKind.SAFETY,
            status=AlertStatus.OPEN,
            response__isnull=True,
            priority__in=as_pressing,
            drivers__has_key="item9",  # an alert for a note does not answer for item 9
        )
        .order_by("-opened_at")
        .first()
    )
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
    (DESIGN section 4); the alert points at the check-in's first response."""
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
    as_pressing = [p for p, rank in PRIORITY_RANK.items() if rank <= PRIORITY_RANK[priority]]
    waiting = (
        Alert.objects.select_for_update()
        .filter(
            patient=patient,
            kind=AlertKind.SAFETY,
            status=AlertStatus.OPEN,
            response__isnull=True,
            priority__in=as_pressing,
            drivers__source="note",
        )
        .order_by("-opened_at")
        .first()
    )
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
        acknowledge_by=opened_at + timedelta(minutes=organization.alert_ack_sla_minutes),
    )


def schedule_notification(alert: Alert) -> None:
    """After the commit, queue the e-mail that tells the clinicians an alert opened."""
    from lasting.alerts.tasks import notify_alert_task

    # robust: a queue that is down must not turn a stored check-in into an error page;
    # notify_pending_alerts retries the e-mail from the periodic job.
    transaction.on_commit(lambda: notify_alert_task.enqueue(alert.pk), robust=True)


def acknowledge_alert(actor: Actor, membership: Membership | None, alert_id: int) -> Alert:
    """Record that a clinician has seen the alert and taken responsibility for it."""
    check_alert_access(actor, membership, alert_id, Action.ACKNOWLEDGE)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        if alert.status == AlertStatus.OPEN:
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by_id = actor.user_id
            alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        record_about(actor, Action.ACKNOWLEDGE, alert)
    return alert


def resolve_alert(actor: Actor, membership: Membership | None, alert_id: int, note: str) -> Alert:
    """Close an alert with a note; an open alert is acknowledged by the same act."""
    check_alert_access(actor, membership, alert_id, Action.RESOLVE)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        now = timezone.now()
        if alert.status != AlertStatus.RESOLVED:
            if alert.acknowledged_at is None:
                # Resolving an unacknowledged alert acknowledges it too; both are audited.
                alert.acknowledged_at, alert.acknowledged_by_id = now, actor.user_id
                record_about(actor, Action.ACKNOWLEDGE, alert)
            alert.status = AlertStatus.RESOLVED
            alert.resolved_at, alert.resolved_by_id = now, actor.user_id
            alert.resolution_note = note
            alert.save()
        record_about(actor, Action.RESOLVE, alert)
    return alert


def check_alert_access(
    actor: Actor, membership: Membership | None, alert_id: int, action: Action
) -> None:
    """Raise PermissionDenied unless the member reviews alerts in the alert's organisation.

    The denial is audited outside any transaction, so it survives the refusal.
    """
    allowed = (
        membership is not None
        and rules.can_review_alerts(membership)
        and Alert.objects.filter(organization_id=membership.organization_id, pk=alert_id).exists()
    )
    if not allowed:
        record_event(actor, action, outcome=Outcome.DENIED, object_ref=("Alert", alert_id))
        raise PermissionDenied("You cannot act on this alert.")


def active_members(organization_id: int, role: Role) -> list[User]:
    """Active people holding `role` in the organisation, in a stable order."""
    return list(
        User.objects.filter(
            memberships__organization_id=organization_id,
            memberships__role=role,
            memberships__is_active=True,
            is_active=True,
        ).order_by("pk")
    )


def notification_recipients(alert: Alert) -> list[User]:
    """The assigned clinician if still active here, else every active clinician."""
    clinicians = active_members(alert.organization_id, Role.CLINICIAN)
    assigned = [user for user in clinicians if user.pk == alert.assigned_to_id]
    return assigned or clinicians or active_members(alert.organization_id, Role.ADMIN)


def escalation_contacts(alert: Alert) -> list[User]:
    """Who hears of an overdue alert: the named contact if an active clinician here,
    else every active clinician but the assigned one, else the clinic's admins."""
    clinicians = active_members(alert.organization_id, Role.CLINICIAN)
    contact_id = alert.organization.escalation_contact_id
    # The named contact, unless it is the very clinician who has not acknowledged.
    named = [u for u in clinicians if u.pk == contact_id and u.pk != alert.assigned_to_id]
    if named:
        return named
    others = [user for user in clinicians if user.pk != alert.assigned_to_id]
    return others or active_members(alert.organization_id, Role.ADMIN)


def alert_email(alert: Alert, overdue: bool) -> tuple[str, str]:
    """Subject and body with no patient name and no clinical value."""
    link = f"{django_settings.SITE_URL}{reverse('alerts:list')}"
    if overdue:
        return (
            "Lasting: a safety alert is waiting for acknowledgement",
            f"A safety alert at {alert.organization.name} has not been acknowledged within "
            f"{alert.organization.alert_ack_sla_minutes} minutes.\n\n"
            f"Please sign in to Lasting and review it: {link}\n",
        )
    return (
        "Lasting: a new safety alert",
        f"A new safety alert ({alert.get_priority_display().lower()} priority) is open at "
        f"{alert.organization.name}.\n\nPlease sign in to Lasting and review it: {link}\n",
    )


def send_alert_email(alert: Alert, recipients: Sequence[User], *, overdue: bool) -> bool:
    """Send one alert e-mail; return False (and log, without patient data) on failure."""
    addresses = [user.email for user in recipients if user.email]
    if not addresses:
        log.error("alert %s: nobody to notify in organisation %s", alert.pk, alert.organization_id)
        return False
    subject, body = alert_email(alert, overdue)
    try:
        send_mail(subject, body, None, addresses)
    except Exception:  # any transport failure: retried by the next run
        log.exception("alert %s: e-mail not sent", alert.pk)
        return False
    return True


# A claim older than this is taken to belong to a worker that died mid-send.
CLAIM_TIMEOUT = timedelta(minutes=5)


def claim(alert_id: int, sent_field: str, claim_field: str, now: datetime) -> bool:
    """Claim the right to send one e-mail: a conditional update only one worker can win.

    Two workers running the same job at once (at-least-once delivery, a retry next to
    the first attempt) cannot both send; a claim left by a dead worker expires.
    """
    unclaimed = Q(**{f"{claim_field}__isnull": True}) | Q(
        **{f"{claim_field}__lt": now - CLAIM_TIMEOUT}
    )
    won = Alert.objects.filter(unclaimed, pk=alert_id, **{f"{sent_field}__isnull": True}).update(
        **{claim_field: now}
    )
    return won == 1


def notify_alert(alert_id: int) -> bool:
    """E-mail the clinicians that an alert opened, once; True when it has been sent."""
    now = timezone.now()
    if not claim(alert_id, "notified_at", "notify_claimed_at", now):
        return Alert.objects.filter(pk=alert_id, notified_at__isnull=False).exists()
    alert = Alert.objects.select_related("organization").get(pk=alert_id)
    sent = send_alert_email(alert, notification_recipients(alert), overdue=False)
    Alert.objects.filter(pk=alert_id).update(
        notified_at=timezone.now() if sent else None, notify_claimed_at=None
    )
    return sent


def notify_pending_alerts(now: datetime | None = None) -> int:
    """Send the opening e-mail of safety alerts whose first attempt failed; return sent."""
    cutoff = (now or timezone.now()) - timedelta(minutes=1)
    pending = Alert.objects.filter(
        kind=AlertKind.SAFETY,
        status=AlertStatus.OPEN,
        notified_at__isnull=True,
        opened_at__lte=cutoff,
    ).values_list("pk", flat=True)
    sent = 0
    for alert_id in list(pending):
        try:
            sent += notify_alert(alert_id)
        except Exception:  # one broken alert must not stop the others, or the escalation
            log.exception("alert %s: notification retry failed", alert_id)
    return sent


def escalate_overdue_alerts(now: datetime | None = None) -> list[Alert]:
    """Escalate every safety alert not acknowledged within its organisation's service level.

    1. Past `acknowledge_by`, mark the alert escalated (level 1) and audit it, under a row
       lock; after the commit, e-mail the escalation contacts and mark the e-mail sent.
    2. Every further service-level period without an acknowledgement escalates again
       (level 2, 3, ...) to every active clinician and the clinic's admins.
    3. An escalation whose e-mail failed is sent again on every run until the mail
       server accepts it or the alert is acknowledged.
    """
    now = now or timezone.now()
    escalated: list[Alert] = []
    candidates = (
        Alert.objects.filter(
            kind=AlertKind.SAFETY, status=AlertStatus.OPEN, acknowledge_by__lte=now
        )
        .select_related("organization")
        .only("pk", "escalated_at", "escalation_notified_at", "organization__alert_ack_sla_minutes")
    )
    for candidate in candidates:
        sla = timedelta(minutes=candidate.organization.alert_ack_sla_minutes)
        due = (
            candidate.escalated_at is None
            or candidate.escalation_notified_at is None
            or candidate.escalated_at + sla <= now
        )
        if not due:
            continue
        try:
            alert = escalate_one(candidate.pk, now)
        except Exception:  # one broken alert must not stop the others
            log.exception("alert %s: escalation failed", candidate.pk)
            continue
        if alert is not None:
            escalated.append(alert)
    return escalated


def escalate_one(alert_id: int, now: datetime) -> Alert | None:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("organization").get(pk=alert_id)
        if alert.status != AlertStatus.OPEN:
            return None
        sla = timedelta(minutes=alert.organization.alert_ack_sla_minutes)
        again = (
            alert.escalated_at is not None
            and alert.escalation_notified_at is not None
            and alert.escalated_at + sla <= now
        )
        if alert.escalation_notified_at is not None and not again:
            return None
        if alert.escalated_at is None or again:
            alert.escalation_level += 1
            contacts = (
                escalation_contacts(alert)
                if alert.escalation_level == 1
                else wider_escalation_contacts(alert)
            )
            alert.escalated_at = now
            alert.escalated_to = contacts[0] if contacts else None
            alert.escalation_notified_at = None
            alert.save(
                update_fields=[
                    "escalated_at",
                    "escalated_to",
                    "escalation_level",
                    "escalation_notified_at",
                ]
            )
            record_about(Actor.system("escalation", alert.organization_id), Action.ESCALATE, alert)
        else:
            contacts = (
                escalation_contacts(alert)
                if alert.escalation_level <= 1
                else wider_escalation_contacts(alert)
            )
    if not claim(alert.pk, "escalation_notified_at", "escalation_claimed_at", now):
        return None  # another worker is sending this escalation right now
    sent = send_alert_email(alert, contacts, overdue=True)
    Alert.objects.filter(pk=alert.pk).update(
        escalation_notified_at=timezone.now() if sent else None, escalation_claimed_at=None
    )
    return alert


def wider_escalation_contacts(alert: Alert) -> list[User]:
    """Everyone who can act: every active clinician and the clinic's admins."""
    people = active_members(alert.organization_id, Role.CLINICIAN) + active_members(
        alert.organization_id, Role.ADMIN
    )
    return list({user.pk: user for user in people}.values())
