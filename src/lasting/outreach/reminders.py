"""Remind patients of open check-ins: once per check-in, at a decent hour, never twice.

1. `queue_reminders` (every minute) makes one Reminder per open, unanswered scheduled
   check-in, timed after the patient's quiet hours; a patient who opted out or paused
   gets a "not sent" entry in the delivery log instead.
2. `send_reminder` sends one, under a claim: pending → sending (a lease) → handed_over
   (the transport's point of no return) → sent. A failure before the hand-over is
   retried with exponential backoff, up to MAX_ATTEMPTS; a worker killed while sending
   leaves a lease that expires, and the next run takes it up again. A worker killed
   after the hand-over leaves "delivery unknown": not re-sent, because a duplicate is
   the one thing at-least-once delivery must not cause
   (docs/clinical.md#check-ins-and-reminders).

Messages carry no clinical content: no instrument, score, diagnosis or treatment, in
the subject, the preview or the body; only that a check-in is ready, and the link.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from lasting.accounts.queries import CrisisLine, find_crisis_line
from lasting.audit.services import Actor
from lasting.checkins.models import ScheduledCheckIn
from lasting.checkins.services import link_for_scheduled
from lasting.outreach.channels import (
    NotDelivered,
    OutgoingMessage,
    Transport,
    email_transport,
    sms_transport,
)
from lasting.outreach.models import (
    Channel,
    CheckInDefaults,
    ContactPreference,
    DeliveryAttempt,
    Outcome,
    Reminder,
    ReminderStatus,
)
from lasting.patients.models import Patient
from lasting_core.schedules import after_quiet_hours

log = logging.getLogger("lasting.outreach")

MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=2)  # then 4, 8, 16 minutes (exponential backoff)
# A worker holds a reminder this long while sending; after it, the claim is free again.
LEASE = timedelta(minutes=5)
DEFAULT_PREFERENCE = ContactPreference()


def queue_reminders(now: datetime | None = None) -> list[int]:
    """Create the reminders of every open scheduled check-in; return those due to send."""
    now = now or timezone.now()
    open_checkins = (
        ScheduledCheckIn.objects.filter(opens_at__lte=now, expires_at__gt=now, answered_by=None)
        .filter(reminders__isnull=True)
        .select_related("patient", "patient__contact_preference")
    )
    for scheduled in open_checkins:
        create_reminder(scheduled, now)
    return list(
        Reminder.objects.filter(
            Q(status=ReminderStatus.PENDING, send_after__lte=now)
            | Q(
                status__in=[ReminderStatus.SENDING, ReminderStatus.HANDED_OVER],
                lease_until__lte=now,
            )
        ).values_list("pk", flat=True)
    )


def preference_of(patient: Patient) -> ContactPreference:
    """The patient's own preferences, else their organisation's reminder defaults, else
    Lasting's (e-mail, quiet 21:00-08:00)."""
    try:
        return patient.contact_preference
    except ContactPreference.DoesNotExist:
        pass
    defaults = CheckInDefaults.objects.filter(organization_id=patient.organization_id).first()
    if defaults is None:
        return DEFAULT_PREFERENCE
    return ContactPreference(
        organization_id=patient.organization_id,
        channel=defaults.channel,
        quiet_from=defaults.quiet_from,
        quiet_until=defaults.quiet_until,
    )


def create_reminder(scheduled: ScheduledCheckIn, now: datetime) -> Reminder | None:
    patient = scheduled.patient
    preference = preference_of(patient)
    zone = ZoneInfo(patient.time_zone)
    channel = Channel(preference.channel)
    send_after = after_quiet_hours(
        max(now, scheduled.opens_at), zone, preference.quiet_from, preference.quiet_until
    )
    skip = reason_not_to_send(patient, preference, channel, send_after)
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                organization_id=scheduled.organization_id,
                patient=patient,
                scheduled=scheduled,
                channel=channel,
                send_after=send_after,
                status=ReminderStatus.SKIPPED if skip else ReminderStatus.PENDING,
            )
            if skip:
                log_attempt(reminder, Outcome.SKIPPED, skip, now)
    except IntegrityError:
        return None  # queued already by another worker
    return reminder


def reason_not_to_send(
    patient: Patient, preference: ContactPreference, channel: Channel, send_after: datetime
) -> str:
    """Why no reminder goes out, in words without patient data; "" to send it."""
    if preference.opted_out:
        return "opted out of reminders"
    local_day = send_after.astimezone(ZoneInfo(patient.time_zone)).date()
    if preference.paused_until is not None and local_day <= preference.paused_until:
        return "reminders paused"
    if channel == Channel.EMAIL and not patient.email:
        return "no e-mail address"
    if channel == Channel.SMS and not settings.SMS_BACKEND:
        return "no text-message provider configured"
    if channel == Channel.SMS and not patient.phone:
        return "no phone number"
    return ""


@dataclass(frozen=True)
class Claim:
    reminder: Reminder
    message: OutgoingMessage


class LostClaim(Exception):
    """Another worker took the reminder over after this one's lease ran out."""


def send_reminder(
    reminder_id: int,
    now: datetime | None = None,
    *,
    transport: Transport | None = None,
) -> str:
    """Send one reminder if it is due and nobody else holds it; return its status.

    The claim is the attempt number: a worker that stalled past its lease finds another
    attempt under way and stops before the hand-over, changing nothing.
    """
    now = now or timezone.now()
    claim = claim_reminder(reminder_id, now)
    if not isinstance(claim, Claim):
        return claim
    reminder = claim.reminder
    attempt = reminder.attempts
    channel = Channel(reminder.channel)
    transport = transport or (email_transport() if channel == Channel.EMAIL else sms_transport())
    try:
        transport.send(claim.message, handing_over=lambda: hand_over(reminder.pk, attempt))
    except LostClaim:
        log.warning("reminder %s: lease lost to another worker; not sent here", reminder.pk)
        return current_status(reminder.pk)
    except NotDelivered as error:
        return not_delivered(reminder.pk, attempt, error, now)
    except Exception as error:
        # Once handed over, an unclear failure may hide a delivered message.
        handed = Reminder.objects.filter(
            pk=reminder.pk, status=ReminderStatus.HANDED_OVER, attempts=attempt
        ).exists()
        if not handed:
            return not_delivered(reminder.pk, attempt, NotDelivered(type(error).__name__), now)
        return settle(
            reminder.pk, attempt, ReminderStatus.UNKNOWN, Outcome.UNKNOWN, type(error).__name__, now
        )
    return settle(reminder.pk, attempt, ReminderStatus.SENT, Outcome.SENT, "", now, sent=True)


def current_status(reminder_id: int) -> str:
    return str(Reminder.objects.values_list("status", flat=True).get(pk=reminder_id))


def claim_reminder(reminder_id: int, now: datetime) -> Claim | str:
    """Take the reminder for this worker (a lease), or say why not: its status."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("scheduled", "scheduled__organization", "patient")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None:
            return "gone"
        status = ReminderStatus(reminder.status)
        leased = reminder.lease_until is not None and reminder.lease_until > now
        if status == ReminderStatus.HANDED_OVER and not leased:
            return settle_locked(
                reminder,
                ReminderStatus.UNKNOWN,
                Outcome.UNKNOWN,
                "the worker stopped after handing over",
                now,
            )
        if status == ReminderStatus.SENDING and not leased:
            if reminder.attempts >= MAX_ATTEMPTS:
                return settle_locked(
                    reminder,
                    ReminderStatus.FAILED,
                    Outcome.FAILED,
                    "workers kept stopping while sending",
                    now,
                )
            log_attempt(reminder, Outcome.RETRY, "the worker stopped before handing over", now)
        elif status != ReminderStatus.PENDING or reminder.send_after > now:
            return str(status)
        scheduled = reminder.scheduled
        skip = ""
        if scheduled.answered_by_id is not None or scheduled.expires_at <= now:
            skip = "check-in no longer open"
        else:
            # Preferences may have changed since it was queued (an opt-out, a pause).
            patient = reminder.patient
            skip = reason_not_to_send(
                patient, preference_of(patient), Channel(reminder.channel), now
            )
        if skip:
            return settle_locked(reminder, ReminderStatus.SKIPPED, Outcome.SKIPPED, skip, now)
        reminder.status = ReminderStatus.SENDING
        reminder.lease_until = now + LEASE
        reminder.attempts += 1
        reminder.save(update_fields=["status", "lease_until", "attempts"])
    actor = Actor.system("reminders", reminder.organization_id)
    link = link_for_scheduled(actor, scheduled)
    return Claim(
        reminder, compose(reminder.patient, Channel(reminder.channel), link.url, scheduled)
    )


def compose(
    patient: Patient, channel: Channel, url: str, scheduled: ScheduledCheckIn
) -> OutgoingMessage:
    """The reminder in the patient's language: that a check-in is ready, and the link."""
    zone = ZoneInfo(patient.time_zone)
    with translation.override(patient.preferred_language), timezone.override(zone):
        until = formats.date_format(timezone.localtime(scheduled.expires_at), "DATETIME_FORMAT")
        if channel == Channel.SMS:
            body = _("Your check-in is ready: %(url)s (open until %(until)s)") % {
                "url": url,
                "until": until,
            }
            return OutgoingMessage(to=patient.phone, subject="", body=body)
        subject = _("A message from your care team")
        body = "\n\n".join(
            [
                _("Hello,"),
                _("Your check-in is ready. It takes a few minutes."),
                url,
                _("The link works until %(until)s and can be used once.") % {"until": until},
                crisis_sentences(
                    find_crisis_line(scheduled.organization, patient.preferred_language)
                ),
                _("To stop or pause these reminders, tell your care team."),
            ]
        )
    return OutgoingMessage(to=patient.email, subject=subject, body=body)


def crisis_sentences(line: CrisisLine) -> str:
    """Where to get help now, every word and number from the organisation's one crisis
    resource in the patient's language; emergency services on a labelled line of their own."""
    emergency = (
        _("Emergency services: if you are in immediate danger, call %(phone)s.")
        % {"phone": line.emergency_phone}
        if line.emergency_phone
        else _(
            "Emergency services: if you are in immediate danger, call your local emergency number."
        )
    )
    help_now = _("If you need help now: %(name)s. %(instructions)s") % {
        "name": line.name,
        "instructions": line.instructions,
    }
    return f"{help_now}\n{emergency}"


def hand_over(reminder_id: int, attempt: int) -> None:
    """Mark the point of no return, committed before the transport goes past it; raise
    LostClaim (and so stop the transport) if this attempt no longer holds the reminder."""
    updated = Reminder.objects.filter(
        pk=reminder_id, status=ReminderStatus.SENDING, attempts=attempt
    ).update(status=ReminderStatus.HANDED_OVER)
    if not updated:
        raise LostClaim


def not_delivered(reminder_id: int, attempt: int, error: NotDelivered, now: datetime) -> str:
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().get(pk=reminder_id)
        if reminder.attempts != attempt:
            return reminder.status  # another worker's attempt: not this one's to settle
        if error.permanent or reminder.attempts >= MAX_ATTEMPTS:
            return settle_locked(reminder, ReminderStatus.FAILED, Outcome.FAILED, error.detail, now)
        reminder.status = ReminderStatus.PENDING
        reminder.lease_until = None
        reminder.send_after = now + FIRST_RETRY * 2 ** (reminder.attempts - 1)
        reminder.save(update_fields=["status", "lease_until", "send_after"])
        log_attempt(reminder, Outcome.RETRY, error.detail, now)
        return reminder.status


def settle(
    reminder_id: int,
    attempt: int,
    status: ReminderStatus,
    outcome: Outcome,
    detail: str,
    now: datetime,
    *,
    sent: bool = False,
) -> str:
    with transaction.atomic():
        reminder = Reminder.objects.select_for_update().get(pk=reminder_id)
        if reminder.attempts != attempt:
            return reminder.status  # another worker's attempt: not this one's to settle
        return settle_locked(reminder, status, outcome, detail, now, sent=sent)


def settle_locked(
    reminder: Reminder,
    status: ReminderStatus,
    outcome: Outcome,
    detail: str,
    now: datetime,
    *,
    sent: bool = False,
) -> str:
    reminder.status = status
    reminder.lease_until = None
    if sent:
        reminder.sent_at = now
    reminder.save(update_fields=["status", "lease_until", "sent_at"])
    log_attempt(reminder, outcome, detail, now)
    if outcome == Outcome.FAILED:
        log.warning("reminder %s failed: %s", reminder.pk, detail)
    return reminder.status


def log_attempt(reminder: Reminder, outcome: Outcome, detail: str, now: datetime) -> None:
    DeliveryAttempt.objects.create(
        organization_id=reminder.organization_id,
        reminder=reminder,
        at=now,
        outcome=outcome,
        detail=detail[:200],
    )
