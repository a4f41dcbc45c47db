"""Open, acknowledge and resolve alerts. Safety alerts are never deduplicated or suppressed."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Membership, Role, User
from lasting.alerts.models import Alert, AlertKind, AlertStatus, Priority
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.checkins.models import CheckIn, Instrument
from lasting_core.instruments import ScoreFlag


def open_safety_alerts(checkin: CheckIn) -> list[Alert]:
    """Open one safety alert for each PHQ-9 in the check-in whose item 9 needs follow-up.

    Item 9 >= 2 is urgent, item 9 = 1 is high priority, and a missing item 9 is high
    priority too: it is not evidence of safety (DESIGN section 4).
    """
    organization = checkin.patient.organization
    opened: list[Alert] = []
    for response in checkin.responses.filter(instrument=Instrument.PHQ9):
        flags = set(response.flags)
        if ScoreFlag.ITEM9_POSITIVE in flags:
            urgent = ScoreFlag.ITEM9_URGENT in flags
            priority = Priority.URGENT if urgent else Priority.HIGH
            reason = (
                f"PHQ-9 item 9 (thoughts of self-harm) answered {response.item9} of 3"
                f" ({'more than half the days or nearly every day' if urgent else 'several days'})."
            )
        elif ScoreFlag.ITEM9_MISSING in flags:
            priority = Priority.HIGH
            reason = "PHQ-9 item 9 (thoughts of self-harm) was not answered: follow up."
        else:
            continue
        opened.append(
            Alert.objects.create(
                organization=organization,
                patient=checkin.patient,
                kind=AlertKind.SAFETY,
                priority=priority,
                reason=reason,
                drivers={"item9": response.item9, "phq9_total": response.total},
                response=response,
                assigned_to=checkin.patient.assigned_clinician,
                opened_at=checkin.submitted_at,
                acknowledge_by=checkin.submitted_at
                + timedelta(minutes=organization.alert_ack_sla_minutes),
            )
        )
    return opened


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
        record_event(
            actor,
            Action.ACKNOWLEDGE,
            patient_id=alert.patient_id,
            organization_id=alert.organization_id,
            obj=alert,
        )
    return alert


def resolve_alert(actor: Actor, membership: Membership | None, alert_id: int, note: str) -> Alert:
    """Close an alert with a note; an open alert is acknowledged by the same act."""
    check_alert_access(actor, membership, alert_id, Action.RESOLVE)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        now = timezone.now()
        if alert.status != AlertStatus.RESOLVED:
            if alert.acknowledged_at is None:
                alert.acknowledged_at, alert.acknowledged_by_id = now, actor.user_id
            alert.status = AlertStatus.RESOLVED
            alert.resolved_at, alert.resolved_by_id = now, actor.user_id
            alert.resolution_note = note
            alert.save()
        record_event(
            actor,
            Action.RESOLVE,
            patient_id=alert.patient_id,
            organization_id=alert.organization_id,
            obj=alert,
        )
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
        record_event(actor, action, outcome=Outcome.DENIED)
        raise PermissionDenied("You cannot act on this alert.")


def escalation_contacts(alert: Alert) -> list[User]:
    """The organisation's escalation contact, or every other active clinician."""
    organization = alert.organization
    if organization.escalation_contact_id and organization.escalation_contact:
        return [organization.escalation_contact]
    clinicians = User.objects.filter(
        memberships__organization_id=alert.organization_id,
        memberships__role=Role.CLINICIAN,
        memberships__is_active=True,
    )
    if alert.assigned_to_id is not None:
        clinicians = clinicians.exclude(pk=alert.assigned_to_id)
    return list(clinicians.order_by("pk"))


def escalate_overdue_alerts(now: datetime | None = None) -> list[Alert]:
    """Escalate every safety alert not acknowledged within its organisation's service level.

    Each alert escalates once. The e-mail names no patient and no clinical value: it
    says an alert is waiting and links to the alert list. The mark and the audit event
    are committed together with the send; a crash after sending and before the commit
    sends again on the next run, which for a safety alert is the safe side to err on.
    """
    now = now or timezone.now()
    escalated: list[Alert] = []
    overdue_ids = list(
        Alert.objects.filter(
            kind=AlertKind.SAFETY,
            status=AlertStatus.OPEN,
            escalated_at__isnull=True,
            acknowledge_by__lte=now,
        ).values_list("pk", flat=True)
    )
    for alert_id in overdue_ids:
        with transaction.atomic():
            alert = (
                Alert.objects.select_for_update()
                .select_related("organization", "organization__escalation_contact")
                .get(pk=alert_id)
            )
            if alert.status != AlertStatus.OPEN or alert.escalated_at is not None:
                continue
            contacts = escalation_contacts(alert)
            alert.escalated_at = now
            alert.escalated_to = contacts[0] if contacts else None
            alert.save(update_fields=["escalated_at", "escalated_to"])
            record_event(
                Actor.system("escalation", alert.organization_id),
                Action.ESCALATE,
                patient_id=alert.patient_id,
                organization_id=alert.organization_id,
                obj=alert,
            )
            recipients = [user.email for user in contacts if user.email]
            if recipients:
                send_mail(
                    subject="Lasting: a safety alert is waiting for acknowledgement",
                    message=(
                        f"A safety alert at {alert.organization.name} has not been acknowledged "
                        f"within {alert.organization.alert_ack_sla_minutes} minutes.\n\n"
                        f"Please sign in to Lasting and review it: "
                        f"{django_settings.SITE_URL}{reverse('alerts:list')}\n"
                    ),
                    from_email=None,
                    recipient_list=recipients,
                )
            escalated.append(alert)
    return escalated
