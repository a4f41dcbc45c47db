"""Unacknowledged safety alerts escalate once, after the organisation's service level."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lasting.accounts.models import Role
from lasting.alerts.models import Alert, AlertStatus
from lasting.alerts.services import escalate_overdue_alerts
from lasting.audit.models import AuditEvent
from tests.factories import make_member, make_organization, make_patient, make_phq9

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    clinic = make_organization(alert_ack_sla_minutes=240)
    dr_ana = make_member(clinic, Role.CLINICIAN, "dr_ana")
    make_member(clinic, Role.CLINICIAN, "dr_ben")
    make_member(clinic, Role.STAFF, "rn_cara")
    paul = make_patient(clinic, family_name="Moreno", assigned_clinician=dr_ana.user)
    make_phq9(paul, 20, item9=2)
    alert = Alert.objects.get(patient=paul)
    return {"clinic": clinic, "alert": alert}


def test_nothing_escalates_within_the_service_level(clinic):
    assert escalate_overdue_alerts(timezone.now() + timedelta(minutes=239)) == []
    assert mail.outbox == []


def test_an_overdue_alert_escalates_to_the_other_clinicians(clinic):
    escalated = escalate_overdue_alerts(timezone.now() + timedelta(minutes=241))
    assert [alert.pk for alert in escalated] == [clinic["alert"].pk]
    (message,) = mail.outbox
    assert message.to == ["dr_ben@example.org"]
    assert (
        AuditEvent.objects.filter(action="escalate", patient_id=clinic["alert"].patient_id).count()
        == 1
    )


def test_the_escalation_email_carries_no_patient_data(clinic):
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    (message,) = mail.outbox
    text = message.subject + message.body
    assert "Moreno" not in text
    assert "item 9" not in text.lower()
    assert "/alerts/" in message.body


def test_running_escalation_twice_sends_one_email(clinic):
    later = timezone.now() + timedelta(hours=5)
    escalate_overdue_alerts(later)
    assert escalate_overdue_alerts(later + timedelta(minutes=1)) == []
    assert len(mail.outbox) == 1


def test_an_acknowledged_alert_does_not_escalate(clinic):
    alert = clinic["alert"]
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.save()
    assert escalate_overdue_alerts(timezone.now() + timedelta(hours=5)) == []


def test_the_named_escalation_contact_is_used(clinic):
    medical_director = make_member(clinic["clinic"], Role.CLINICIAN, "dr_dir")
    clinic["clinic"].escalation_contact = medical_director.user
    clinic["clinic"].save()
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    assert mail.outbox[0].to == ["dr_dir@example.org"]


def test_a_notification_already_being_sent_by_another_worker_is_not_sent_again(clinic):
    from lasting.alerts.services import notify_alert

    alert = clinic["alert"]
    Alert.objects.filter(pk=alert.pk).update(notify_claimed_at=timezone.now())
    assert notify_alert(alert.pk) is False
    assert mail.outbox == []


def test_a_claim_left_by_a_dead_worker_expires(clinic):
    from lasting.alerts.services import notify_alert

    alert = clinic["alert"]
    Alert.objects.filter(pk=alert.pk).update(
        notify_claimed_at=timezone.now() - timedelta(minutes=10)
    )
    assert notify_alert(alert.pk) is True
    assert len(mail.outbox) == 1
    assert notify_alert(alert.pk) is True  # already sent: nothing more
    assert len(mail.outbox) == 1


def test_an_escalation_in_flight_elsewhere_is_not_sent_twice(clinic):
    later = timezone.now() + timedelta(hours=5)
    Alert.objects.filter(pk=clinic["alert"].pk).update(escalation_claimed_at=later)
    assert escalate_overdue_alerts(later) == []
    assert mail.outbox == []


def test_a_named_contact_who_is_the_assigned_clinician_is_passed_over(clinic):
    assigned = clinic["alert"].assigned_to
    clinic["clinic"].escalation_contact = assigned
    clinic["clinic"].save()
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    assert mail.outbox[0].to == ["dr_ben@example.org"]


def test_an_alert_still_unacknowledged_escalates_again_to_everyone(clinic):
    first = timezone.now() + timedelta(hours=5)
    escalate_overdue_alerts(first)
    assert escalate_overdue_alerts(first + timedelta(hours=1)) == []  # within the next period
    (again,) = escalate_overdue_alerts(first + timedelta(hours=4, minutes=1))
    assert again.escalation_level == 2
    assert sorted(mail.outbox[-1].to) == ["dr_ana@example.org", "dr_ben@example.org"]
    assert AuditEvent.objects.filter(action="escalate").count() == 2
