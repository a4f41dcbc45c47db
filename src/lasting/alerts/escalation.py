"""Tell people about safety alerts: the opening e-mail, and escalation until contact.

docs/clinical.md#safety-alerts: a safety alert not acknowledged within the organisation's service
level escalates to the next contact; an acknowledged one keeps escalating until a
contact outcome closes it (the rule is `lasting_core.escalation.next_escalation_at`).
Outside business hours, on the organisation's clock, the after-hours contact is told.

Jobs run at least once, maybe twice at the same time: each escalation is decided under a
row lock and moves `next_escalation_at` forward, and each e-mail is claimed by one
conditional update before it is sent, so a second run sends nothing twice. E-mails name
no patient and no clinical value; they are marked sent only once the mail server
accepted them, so a failed send is retried by the next run (never silently dropped).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Membership, Role, User
from lasting.alerts.models import UNRESOLVED, Alert, AlertKind, AlertStatus, Priority
from lasting.alerts.services import lock_alert
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_about
from lasting_core.escalation import next_escalation_at

log = logging.getLogger("lasting.alerts")


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


def find_handler(organization_id: int, user_id: int | None) -> User | None:
    """The user if they are active here in a role that handles safety alerts."""
    if user_id is None:
        return None
    membership = (
        Membership.objects.select_related("user")
        .filter(organization_id=organization_id, user_id=user_id, user__is_active=True)
        .first()
    )
    return membership.user if rules.can_handle_safety_alerts(membership) else None


def is_after_hours(alert: Alert, moment: datetime) -> bool:
    return not alert.organization.business_hours().contains(moment)


def find_on_call(alert: Alert, moment: datetime) -> User | None:
    """The after-hours contact, when `moment` is outside business hours and one is set."""
    if not is_after_hours(alert, moment):
        return None
    return find_handler(alert.organization_id, alert.organization.after_hours_contact_id)


def unique(people: Iterable[User | None]) -> list[User]:
    """The people in order, each once, without the blanks."""
    return list({user.pk: user for user in people if user is not None}.values())


def notification_recipients(alert: Alert) -> list[User]:
    """Who hears that an alert opened: the assigned clinician if still active here, else
    every active clinician, else the admins; and the after-hours contact when the alert
    opened outside business hours."""
    clinicians = active_members(alert.organization_id, Role.CLINICIAN)
    assigned = [user for user in clinicians if user.pk == alert.assigned_to_id]
    usual = assigned or clinicians or active_members(alert.organization_id, Role.ADMIN)
    return unique([*usual, find_on_call(alert, alert.opened_at)])


def escalation_contacts(alert: Alert) -> list[User]:
    """Who hears of an overdue alert first: the named contact if an active clinician here,
    else every active clinician but the assigned one, else the clinic's admins."""
    clinicians = active_members(alert.organization_id, Role.CLINICIAN)
    contact_id = alert.organization.escalation_contact_id
    # The named contact, unless it is the very clinician who has not acknowledged.
    named = [u for u in clinicians if u.pk == contact_id and u.pk != alert.assigned_to_id]
    if named:
        return named
    others = [user for user in clinicians if user.pk != alert.assigned_to_id]
    return others or active_members(alert.organization_id, Role.ADMIN)


def wider_escalation_contacts(alert: Alert) -> list[User]:
    """Everyone who can act: every active clinician and the clinic's admins."""
    return unique(
        active_members(alert.organization_id, Role.CLINICIAN)
        + active_members(alert.organization_id, Role.ADMIN)
    )


def escalation_recipients(alert: Alert) -> list[User]:
    """Who an escalation goes to, decided at the instant it escalated (so a retried e-mail
    goes to the same people):

    1. Outside business hours, the after-hours contact first.
    2. The first escalation goes to the escalation contacts (in business hours, or when
       no after-hours contact is set); every later one to every clinician and admin.
    3. Whoever acknowledged the alert hears again too: they hold it.
    """
    on_call = find_on_call(alert, alert.escalated_at or timezone.now())
    first: list[User | None]
    if alert.escalation_level <= 1:
        first = [on_call] if on_call else list(escalation_contacts(alert))
    else:
        first = [on_call, *wider_escalation_contacts(alert)]
    holder = find_handler(alert.organization_id, alert.acknowledged_by_id)
    return unique([*first, holder])


def alert_url(alert: Alert) -> str:
    return f"{django_settings.SITE_URL}{reverse('alerts:detail', args=[alert.pk])}"


def alert_email(alert: Alert, overdue: bool) -> tuple[str, str]:
    """Subject and body with no patient name and no clinical value."""
    link = alert_url(alert)
    organization = alert.organization
    minutes = organization.alert_ack_sla_minutes
    if overdue and alert.status == AlertStatus.ACKNOWLEDGED:
        return (
            "Lasting: a safety alert still needs contact with the patient",
            f"A safety alert at {organization.name} was acknowledged, but nobody has recorded "
            f"reaching the patient, leaving a message or calling emergency services within "
            f"{minutes} minutes.\n\nPlease open the alert and record the contact: {link}\n",
        )
    if overdue:
        return (
            "Lasting: a safety alert is waiting for acknowledgement",
            f"A safety alert at {organization.name} has not been acknowledged within "
            f"{minutes} minutes.\n\nPlease sign in to Lasting and review it: {link}\n",
        )
    return (
        "Lasting: a new safety alert",
        f"A new safety alert ({alert.get_priority_display().lower()} priority) is open at "
        f"{organization.name}.\n\nPlease sign in to Lasting and review it: {link}\n",
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
    pending = (
        Alert.objects.filter(
            kind=AlertKind.SAFETY,
            status=AlertStatus.OPEN,
            notified_at__isnull=True,
            opened_at__lte=cutoff,
        )
        # Imported history opens safety alerts for review only, never e-mailed (docs/formats.md).
        .exclude(priority=Priority.REVIEW)
        .values_list("pk", flat=True)
    )
    sent = 0
    for alert_id in list(pending):
        try:
            sent += notify_alert(alert_id)
        except Exception:  # one broken alert must not stop the others, or the escalation
            log.exception("alert %s: notification retry failed", alert_id)
    return sent


def escalate_overdue_alerts(now: datetime | None = None) -> list[Alert]:
    """Escalate every safety alert that is past its next escalation without a contact
    outcome, and resend escalation e-mails that failed; return the alerts e-mailed.

    1. An unresolved safety alert past `next_escalation_at` escalates one level (audited,
       under a row lock), and its next escalation moves one service level on: level 1
       goes to the escalation contacts, later levels to every clinician and admin,
       outside business hours to the after-hours contact first.
    2. After the commit, the escalation e-mail is claimed, sent and marked sent.
    3. An escalation whose e-mail failed is sent again on every run until the mail server
       accepts it or a contact outcome closes the alert.
    """
    now = now or timezone.now()
    candidates = Alert.objects.filter(kind=AlertKind.SAFETY, status__in=UNRESOLVED).filter(
        Q(next_escalation_at__lte=now)
        # Written by a path that did not set it (an import, say): decided in escalate_one.
        | Q(next_escalation_at__isnull=True)
        | Q(escalated_at__isnull=False, escalation_notified_at__isnull=True)
    )
    candidates = candidates.exclude(priority=Priority.REVIEW)  # imported history: no escalation
    escalated: list[Alert] = []
    for alert_id in list(candidates.values_list("pk", flat=True)):
        try:
            alert = escalate_one(alert_id, now)
        except Exception:  # one broken alert must not stop the others
            log.exception("alert %s: escalation failed", alert_id)
            continue
        if alert is not None:
            escalated.append(alert)
    return escalated


def escalate_one(alert_id: int, now: datetime) -> Alert | None:
    """Escalate one alert if it is due, then send its escalation e-mail if not yet sent."""
    with transaction.atomic():
        alert = lock_alert(alert_id)
        if alert.kind != AlertKind.SAFETY or alert.status not in UNRESOLVED:
            return None
        sla = timedelta(minutes=alert.organization.alert_ack_sla_minutes)
        due_at = alert.next_escalation_at or next_escalation_at(
            opened_at=alert.opened_at,
            acknowledged_at=alert.acknowledged_at,
            escalated_at=alert.escalated_at,
            sla=sla,
        )
        if due_at <= now:
            alert.escalation_level += 1
            alert.escalated_at = now
            alert.next_escalation_at = next_escalation_at(
                opened_at=alert.opened_at,
                acknowledged_at=alert.acknowledged_at,
                escalated_at=now,
                sla=sla,
            )
            recipients = escalation_recipients(alert)
            alert.escalated_to = recipients[0] if recipients else None
            alert.escalation_notified_at = None
            alert.save(
                update_fields=[
                    "escalated_at",
                    "escalated_to",
                    "escalation_level",
                    "escalation_notified_at",
                    "next_escalation_at",
                ]
            )
            record_about(Actor.system("escalation", alert.organization_id), Action.ESCALATE, alert)
        else:
            if alert.next_escalation_at is None:
                alert.next_escalation_at = due_at
                alert.save(update_fields=["next_escalation_at"])
            if alert.escalated_at is None or alert.escalation_notified_at is not None:
                return None  # not due, and nothing waiting to be sent
            recipients = escalation_recipients(alert)
    if not claim(alert.pk, "escalation_notified_at", "escalation_claimed_at", now):
        return None  # another worker is sending this escalation right now
    sent = send_alert_email(alert, recipients, overdue=True)
    Alert.objects.filter(pk=alert.pk).update(
        escalation_notified_at=timezone.now() if sent else None, escalation_claimed_at=None
    )
    return alert
