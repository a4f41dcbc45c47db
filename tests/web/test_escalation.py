"""Safety alerts escalate after the organisation's service level until contact is recorded;
outside business hours, on the organisation's clock, the after-hours contact is told."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Membership, Role
from lasting.alerts.escalation import escalate_overdue_alerts
from lasting.alerts.models import Alert, AlertStatus, ContactOutcome
from lasting.alerts.services import acknowledge_alert, record_contact_attempt
from lasting.audit.models import AuditEvent
from lasting.audit.services import Actor
from tests.factories import make_member, make_organization, make_patient, make_phq9

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(personas):
    """Clinic A, which asks for acknowledgement within 4 hours, and the safety alert Paul's
    PHQ-9 of 20 with item 9 answered 2 opened, assigned to dr_ana."""
    clinic = personas.clinic
    clinic.alert_ack_sla_minutes = 240
    clinic.save()
    make_phq9(personas.paul, 20, item9=2)
    alert = Alert.objects.get(patient=personas.paul)
    return {"clinic": clinic, "alert": alert}


def test_nothing_escalates_within_the_service_level(overdue):
    assert escalate_overdue_alerts(timezone.now() + timedelta(minutes=239)) == []
    assert mail.outbox == []


def test_an_overdue_alert_escalates_to_the_other_clinicians(overdue):
    escalated = escalate_overdue_alerts(timezone.now() + timedelta(minutes=241))
    assert [alert.pk for alert in escalated] == [overdue["alert"].pk]
    (message,) = mail.outbox
    assert message.to == ["dr_ben@example.org"]
    assert (
        AuditEvent.objects.filter(action="escalate", patient_id=overdue["alert"].patient_id).count()
        == 1
    )


def test_the_escalation_email_carries_no_patient_data(overdue):
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    (message,) = mail.outbox
    text = message.subject + message.body
    assert "Moreno" not in text
    assert "item 9" not in text.lower()
    assert "/alerts/" in message.body


def test_running_escalation_twice_sends_one_email(overdue):
    later = timezone.now() + timedelta(hours=5)
    escalate_overdue_alerts(later)
    assert escalate_overdue_alerts(later + timedelta(minutes=1)) == []
    assert len(mail.outbox) == 1


def test_a_resolved_alert_does_not_escalate(overdue):
    alert = overdue["alert"]
    alert.status = AlertStatus.RESOLVED
    alert.save()
    assert escalate_overdue_alerts(timezone.now() + timedelta(hours=5)) == []


def test_the_named_escalation_contact_is_used(overdue):
    medical_director = make_member(overdue["clinic"], Role.CLINICIAN, "dr_dir")
    overdue["clinic"].escalation_contact = medical_director.user
    overdue["clinic"].save()
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    assert mail.outbox[0].to == ["dr_dir@example.org"]


def test_a_notification_already_being_sent_by_another_worker_is_not_sent_again(overdue):
    from lasting.alerts.escalation import notify_alert

    alert = overdue["alert"]
    Alert.objects.filter(pk=alert.pk).update(notify_claimed_at=timezone.now())
    assert notify_alert(alert.pk) is False
    assert mail.outbox == []


def test_a_claim_left_by_a_dead_worker_expires(overdue):
    from lasting.alerts.escalation import notify_alert

    alert = overdue["alert"]
    Alert.objects.filter(pk=alert.pk).update(
        notify_claimed_at=timezone.now() - timedelta(minutes=10)
    )
    assert notify_alert(alert.pk) is True
    assert len(mail.outbox) == 1
    assert notify_alert(alert.pk) is True  # already sent: nothing more
    assert len(mail.outbox) == 1


def test_an_escalation_in_flight_elsewhere_is_not_sent_twice(overdue):
    later = timezone.now() + timedelta(hours=5)
    Alert.objects.filter(pk=overdue["alert"].pk).update(escalation_claimed_at=later)
    assert escalate_overdue_alerts(later) == []
    assert mail.outbox == []


def test_a_named_contact_who_is_the_assigned_clinician_is_passed_over(overdue):
    assigned = overdue["alert"].assigned_to
    overdue["clinic"].escalation_contact = assigned
    overdue["clinic"].save()
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    assert mail.outbox[0].to == ["dr_ben@example.org"]


def test_an_alert_still_unacknowledged_escalates_again_to_everyone(overdue):
    first = timezone.now() + timedelta(hours=5)
    escalate_overdue_alerts(first)
    assert escalate_overdue_alerts(first + timedelta(hours=1)) == []  # within the next period
    (again,) = escalate_overdue_alerts(first + timedelta(hours=4, minutes=1))
    assert again.escalation_level == 2
    # Every clinician and admin of Clinic A; not the nurse, not the scheduler.
    assert sorted(mail.outbox[-1].to) == [
        "admin_dora@example.org",
        "dr_ana@example.org",
        "dr_ben@example.org",
    ]
    assert AuditEvent.objects.filter(action="escalate").count() == 2


# --- Escalation continues until a contact outcome; business hours choose who is told. ---
#
# The clinic keeps New York hours, Monday to Friday 08:00-18:00, with dr_ben as its named
# escalation contact and nurse rn_eve on call after hours. Instants are pinned on both
# sides of opening time and across the 2026 US daylight-saving changes.

SLA = timedelta(hours=4)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def on_call():
    clinic = make_organization(
        alert_ack_sla_minutes=240,
        time_zone="America/New_York",
        business_weekdays="12345",
        business_opens=time(8, 0),
        business_closes=time(18, 0),
    )
    dr_ana = make_member(clinic, Role.CLINICIAN, "dr_ana")
    dr_ben = make_member(clinic, Role.CLINICIAN, "dr_ben")
    make_member(clinic, Role.CLINICIAN, "dr_cy")
    rn_eve = make_member(clinic, Role.STAFF, "rn_eve")
    make_member(clinic, Role.ADMIN, "admin_dora")
    clinic.escalation_contact = dr_ben.user
    clinic.after_hours_contact = rn_eve.user
    clinic.save()
    paul = make_patient(clinic, family_name="Moreno", assigned_clinician=dr_ana.user)
    return {"clinic": clinic, "dr_ana": dr_ana, "paul": paul}


def open_alert(world, opened_at: datetime) -> Alert:
    make_phq9(world["paul"], 20, item9=3, submitted_at=opened_at)
    mail.outbox.clear()  # the opening e-mail is not under test here
    return Alert.objects.get(patient=world["paul"], opened_at=opened_at)


def acknowledge_at(world, alert: Alert, moment: datetime) -> None:
    ana = world["dr_ana"]
    actor = Actor(ana.user_id, "dr_ana", ana.organization_id, None, "")
    with time_machine.travel(moment, tick=False):
        acknowledge_alert(actor, ana, alert.pk)


def attempt_at(world, alert: Alert, moment: datetime, outcome: ContactOutcome) -> None:
    ana = world["dr_ana"]
    actor = Actor(ana.user_id, "dr_ana", ana.organization_id, None, "")
    with time_machine.travel(moment, tick=False):
        record_contact_attempt(actor, ana, alert.pk, outcome, "Called the patient.")


def recipients() -> list[str]:
    return sorted(mail.outbox[-1].to)


MONDAY_10 = utc("2026-03-16T14:00:00")  # Monday 16 March, 10:00 EDT


def test_escalation_continues_after_acknowledgement_until_an_outcome(on_call):
    alert = open_alert(on_call, MONDAY_10)
    acknowledge_at(on_call, alert, MONDAY_10 + timedelta(hours=1))
    # Not at the first service level: the acknowledgement gave one more to make contact.
    assert escalate_overdue_alerts(MONDAY_10 + SLA + timedelta(minutes=1)) == []
    (escalated,) = escalate_overdue_alerts(MONDAY_10 + timedelta(hours=5, minutes=1))
    assert escalated.escalation_level == 1
    assert escalated.status == AlertStatus.ACKNOWLEDGED
    message = mail.outbox[-1]
    assert "still needs contact" in message.subject
    # The escalation contact, and the clinician who holds it hears again.
    assert recipients() == ["dr_ana@example.org", "dr_ben@example.org"]
    (again,) = escalate_overdue_alerts(MONDAY_10 + timedelta(hours=9, minutes=2))
    assert again.escalation_level == 2


def test_unable_to_reach_keeps_escalating_on_its_schedule(on_call):
    alert = open_alert(on_call, MONDAY_10)
    acknowledge_at(on_call, alert, MONDAY_10 + timedelta(minutes=30))
    attempt_at(on_call, alert, MONDAY_10 + timedelta(hours=4), ContactOutcome.UNABLE_TO_REACH)
    (escalated,) = escalate_overdue_alerts(MONDAY_10 + timedelta(hours=4, minutes=31))
    assert escalated.escalation_level == 1
    attempt_at(on_call, alert, MONDAY_10 + timedelta(hours=6), ContactOutcome.UNABLE_TO_REACH)
    (again,) = escalate_overdue_alerts(MONDAY_10 + timedelta(hours=8, minutes=32))
    assert again.escalation_level == 2
    assert AuditEvent.objects.filter(action="escalate").count() == 2


def test_a_closing_outcome_stops_the_escalation_for_good(on_call):
    alert = open_alert(on_call, MONDAY_10)
    acknowledge_at(on_call, alert, MONDAY_10 + timedelta(minutes=30))
    attempt_at(on_call, alert, MONDAY_10 + timedelta(hours=2), ContactOutcome.REACHED)
    for hours in (5, 9, 24, 72):
        assert escalate_overdue_alerts(MONDAY_10 + timedelta(hours=hours)) == []
    assert mail.outbox == []


def test_a_pending_escalation_email_is_dropped_once_contact_closes_the_alert(on_call, monkeypatch):
    alert = open_alert(on_call, MONDAY_10)
    monkeypatch.setattr("lasting.alerts.escalation.send_mail", failing_send)
    escalate_overdue_alerts(MONDAY_10 + timedelta(hours=4, minutes=1))
    monkeypatch.undo()
    attempt_at(on_call, alert, MONDAY_10 + timedelta(hours=4, minutes=5), ContactOutcome.REACHED)
    assert escalate_overdue_alerts(MONDAY_10 + timedelta(hours=4, minutes=10)) == []
    assert mail.outbox == []


def failing_send(*args: object, **kwargs: object) -> int:
    raise OSError("connection refused")


def test_running_the_job_twice_after_acknowledgement_sends_one_email(on_call):
    alert = open_alert(on_call, MONDAY_10)
    acknowledge_at(on_call, alert, MONDAY_10 + timedelta(minutes=10))
    due = MONDAY_10 + timedelta(hours=4, minutes=11)
    assert len(escalate_overdue_alerts(due)) == 1
    assert escalate_overdue_alerts(due) == []  # the same run delivered again
    assert escalate_overdue_alerts(due + timedelta(minutes=1)) == []
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="escalate").count() == 1


def test_an_alert_written_without_its_next_escalation_still_escalates(on_call):
    alert = open_alert(on_call, MONDAY_10)
    Alert.objects.filter(pk=alert.pk).update(next_escalation_at=None)
    assert escalate_overdue_alerts(MONDAY_10 + timedelta(hours=1)) == []
    assert Alert.objects.get(pk=alert.pk).next_escalation_at == MONDAY_10 + SLA
    assert len(escalate_overdue_alerts(MONDAY_10 + SLA)) == 1


@pytest.mark.parametrize(
    ("escalates_at", "after_hours"),
    [
        # The same 12:30 UTC on either side of each US daylight-saving change.
        ("2026-03-06T12:30:00", True),  # Friday 07:30 EST: before opening
        ("2026-03-09T12:30:00", False),  # Monday 08:30 EDT: open
        ("2026-10-30T12:30:00", False),  # Friday 08:30 EDT: open
        ("2026-11-02T12:30:00", True),  # Monday 07:30 EST: before opening
        # Either side of closing time, and a weekend midday.
        ("2026-03-16T21:59:00", False),  # Monday 17:59 EDT
        ("2026-03-16T22:00:00", True),  # Monday 18:00 EDT
        ("2026-03-14T16:00:00", True),  # Saturday 12:00 EDT
    ],
)
def test_outside_business_hours_the_first_escalation_goes_to_the_after_hours_contact(
    on_call, escalates_at, after_hours
):
    moment = utc(escalates_at)
    open_alert(on_call, moment - SLA)
    (escalated,) = escalate_overdue_alerts(moment)
    expected = ["rn_eve@example.org"] if after_hours else ["dr_ben@example.org"]
    assert recipients() == expected
    assert escalated.escalated_to.username == expected[0].split("@")[0]


def test_a_later_escalation_after_hours_reaches_the_on_call_contact_and_everyone(on_call):
    friday_evening = utc("2026-03-13T23:00:00")  # Friday 19:00 EDT
    open_alert(on_call, friday_evening - SLA)
    escalate_overdue_alerts(friday_evening)
    escalate_overdue_alerts(friday_evening + SLA)
    assert recipients() == [
        "admin_dora@example.org",
        "dr_ana@example.org",
        "dr_ben@example.org",
        "dr_cy@example.org",
        "rn_eve@example.org",
    ]


def test_without_an_after_hours_contact_the_night_goes_to_the_escalation_contact(on_call):
    on_call["clinic"].after_hours_contact = None
    on_call["clinic"].save()
    night = utc("2026-03-17T07:00:00")  # Tuesday 03:00 EDT
    open_alert(on_call, night - SLA)
    escalate_overdue_alerts(night)
    assert recipients() == ["dr_ben@example.org"]


def test_an_after_hours_contact_who_left_the_clinic_is_passed_over(on_call):
    Membership.objects.filter(user__username="rn_eve").update(is_active=False)
    night = utc("2026-03-17T07:00:00")
    open_alert(on_call, night - SLA)
    escalate_overdue_alerts(night)
    assert recipients() == ["dr_ben@example.org"]


def test_a_retried_escalation_email_goes_to_those_chosen_when_it_escalated(on_call, monkeypatch):
    closing = utc("2026-03-16T21:59:00")  # Monday 17:59 EDT: still open
    open_alert(on_call, closing - SLA)
    monkeypatch.setattr("lasting.alerts.escalation.send_mail", failing_send)
    escalate_overdue_alerts(closing)
    monkeypatch.undo()
    escalate_overdue_alerts(closing + timedelta(minutes=10))  # 18:09: after hours now
    assert recipients() == ["dr_ben@example.org"]
    assert AuditEvent.objects.filter(action="escalate").count() == 1


def test_the_service_level_is_four_real_hours_across_the_spring_change(on_call):
    opened = utc("2026-03-08T05:30:00")  # Sunday 00:30 EST; the clocks go forward at 02:00
    open_alert(on_call, opened)
    assert escalate_overdue_alerts(opened + SLA - timedelta(seconds=1)) == []
    assert len(escalate_overdue_alerts(opened + SLA)) == 1
    assert recipients() == ["rn_eve@example.org"]  # 05:30 EDT on a Sunday


def test_the_opening_email_after_hours_also_goes_to_the_after_hours_contact(on_call):
    from lasting.alerts.escalation import notification_recipients

    night = utc("2026-03-17T03:00:00")  # Monday 23:00 EDT
    day = utc("2026-03-17T15:00:00")  # Tuesday 11:00 EDT
    make_phq9(on_call["paul"], 20, item9=2, submitted_at=night)
    make_phq9(on_call["paul"], 20, item9=2, submitted_at=day)
    at_night, by_day = (Alert.objects.get(opened_at=moment) for moment in (night, day))
    assert [u.username for u in notification_recipients(at_night)] == ["dr_ana", "rn_eve"]
    assert [u.username for u in notification_recipients(by_day)] == ["dr_ana"]


def test_the_escalation_email_links_to_the_alert_page(on_call):
    alert = open_alert(on_call, MONDAY_10)
    escalate_overdue_alerts(MONDAY_10 + SLA)
    assert reverse("alerts:detail", args=[alert.pk]) in mail.outbox[-1].body
    assert "Moreno" not in mail.outbox[-1].body


def test_escalation_with_nobody_else_goes_to_the_admins(personas, safety_alert):
    personas.dr_ben.delete()  # dr_ana, who treats Paul, is the clinic's only clinician
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    assert mail.outbox[-1].to == ["admin_dora@example.org"]


def test_an_escalation_contact_from_another_clinic_is_ignored(personas, safety_alert):
    personas.clinic.escalation_contact = personas.dr_olga.user
    personas.clinic.save()
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    assert mail.outbox[-1].to == ["dr_ben@example.org"]


def test_a_failed_escalation_email_is_sent_again_on_the_next_run(
    personas, safety_alert, monkeypatch
):
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("connection refused")
        return 1

    monkeypatch.setattr("lasting.alerts.escalation.send_mail", flaky)
    later = timezone.now() + timedelta(hours=5)
    escalate_overdue_alerts(later)
    alert = Alert.objects.get()
    assert alert.escalated_at is not None
    assert alert.escalation_notified_at is None
    escalate_overdue_alerts(later + timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.escalation_notified_at is not None
    assert calls["n"] == 2
    assert AuditEvent.objects.filter(action="escalate").count() == 1
