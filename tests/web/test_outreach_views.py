"""The clinical team's page of a patient's check-ins, reminders and reminder preferences."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import ScheduledCheckIn
from lasting.outreach.models import ContactPreference, DeliveryAttempt, Reminder
from tests.factories import make_phq9, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def paul(personas):
    """The personas' Paul, living in Madrid, with an e-mail address."""
    paul = personas.paul
    paul.time_zone = "Europe/Madrid"
    paul.email = "paul@example.org"
    paul.save()
    return paul


def scheduled(patient, key, opens_in_hours, *, days=3):
    opens_at = timezone.now() + timedelta(hours=opens_in_hours)
    return ScheduledCheckIn.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        key=key,
        reason="maintenance",
        instruments=["phq9", "gad7"],
        due_on=opens_at.date(),
        opens_at=opens_at,
        expires_at=opens_at + timedelta(days=days),
    )


def test_the_page_shows_each_checkin_state_and_the_delivery_log(client, clinic, paul):
    missed = scheduled(paul, "maintenance:a", -24 * 10)
    answered = scheduled(paul, "maintenance:b", -24 * 3)
    make_phq9(paul, 4, submitted_at=answered.opens_at + timedelta(hours=1))
    scheduled(paul, "maintenance:c", -1)
    scheduled(paul, "maintenance:d", 24 * 5)
    reminder = Reminder.objects.create(
        organization=clinic,
        patient=paul,
        scheduled=missed,
        channel="email",
        status="failed",
        send_after=missed.opens_at,
    )
    DeliveryAttempt.objects.create(
        organization=clinic,
        reminder=reminder,
        at=missed.opens_at,
        outcome="failed",
        detail="SMTP 550 on RCPT",
    )
    sign_in(client, "dr_ana")
    response = client.get(f"/patients/{paul.pk}/check-ins/")
    assert response.status_code == 200
    page = response.text
    for state in ("Missed", "Answered", "Open", "Upcoming"):
        assert f">{state}<" in page
    assert "SMTP 550 on RCPT" in page
    assert "Europe/Madrid" in page
    assert AuditEvent.objects.filter(action=Action.READ, patient_id=paul.pk).exists()


def test_the_window_is_shown_in_the_patients_time_zone(client, clinic, paul):
    row = scheduled(paul, "maintenance:a", 5)
    sign_in(client, "dr_ana")
    page = client.get(f"/patients/{paul.pk}/check-ins/").text
    local = timezone.localtime(row.opens_at, timezone=ZoneInfo(paul.time_zone))
    assert local.strftime("%H:%M") in page


def test_staff_can_pause_reminders_and_the_change_is_audited(client, clinic, paul):
    sign_in(client, "rn_cara")
    response = client.post(
        f"/patients/{paul.pk}/check-ins/",
        {
            "channel": "email",
            "paused_until": "2026-12-24",
            "quiet_from": "22:00",
            "quiet_until": "07:30",
        },
    )
    assert response.status_code == 302
    preference = ContactPreference.objects.get(patient=paul)
    assert str(preference.paused_until) == "2026-12-24"
    assert (preference.quiet_from, preference.quiet_until) == (time(22, 0), time(7, 30))
    assert not preference.opted_out
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, patient_id=paul.pk, object_type="ContactPreference"
    ).exists()


def test_a_bad_time_is_refused_with_a_message(client, clinic, paul):
    sign_in(client, "dr_ana")
    response = client.post(
        f"/patients/{paul.pk}/check-ins/",
        {"channel": "email", "quiet_from": "25:00", "quiet_until": "07:00"},
    )
    assert response.status_code == 422
    assert "Enter a valid time" in response.text
    assert not ContactPreference.objects.exists()


def test_a_clinic_admin_cannot_open_a_patients_schedule(client, clinic, paul):
    sign_in(client, "admin_dora")
    assert client.get(f"/patients/{paul.pk}/check-ins/").status_code == 403


def test_another_organisations_patient_is_not_found(client, clinic, paul):
    sign_in(client, "dr_olga")
    assert client.get(f"/patients/{paul.pk}/check-ins/").status_code == 404
    response = client.post(f"/patients/{paul.pk}/check-ins/", {"opted_out": "on"})
    assert response.status_code == 404
    assert not ContactPreference.objects.exists()


def test_the_patient_page_links_to_the_schedule(client, clinic, paul):
    sign_in(client, "rn_cara")
    page = client.get(f"/patients/{paul.pk}/").text
    assert f'href="/patients/{paul.pk}/check-ins/"' in page


@pytest.mark.parametrize(
    ("username", "sees_risk"),
    [("dr_ana", True), ("rn_cara", False), ("sam_front", False)],
)
def test_only_clinicians_see_that_a_checkin_was_added_for_raised_risk(
    client, clinic, paul, username, sees_risk
):
    extra = scheduled(paul, "raised_risk:a", 24)
    extra.reason = "raised_risk"
    extra.save()
    sign_in(client, username)
    page = client.get(f"/patients/{paul.pk}/check-ins/").text
    assert ("risk is raised" in page) is sees_risk
    assert ">Extra check-in<" in page or sees_risk
