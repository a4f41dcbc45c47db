"""The clinic admin's reminder defaults: patients without their own preferences are
reminded by the clinic's channel and quiet hours, on each patient's own clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import ScheduledCheckIn
from lasting.outreach.models import Channel, ContactPreference, ReminderDefaults
from lasting.outreach.reminders import create_reminder
from tests.personas import client_for

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
# 19:30 in New York: inside quiet hours that start at 19:00, outside the default 21:00.
EVENING = datetime(2026, 12, 2, 19, 30, tzinfo=NEW_YORK)


def open_checkin(patient) -> ScheduledCheckIn:
    return ScheduledCheckIn.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        key="maintenance:evening",
        reason="maintenance",
        instruments=["phq9"],
        due_on=EVENING.date(),
        opens_at=EVENING - timedelta(hours=1),
        expires_at=EVENING + timedelta(days=3),
    )


def save_defaults(**fields: str):
    data = {"channel": "email", "quiet_from": "19:00", "quiet_until": "09:00", **fields}
    return client_for("admin_dora").post(reverse("outreach:reminder_defaults"), data)


def test_the_clinics_quiet_hours_hold_a_reminder_for_a_patient_without_preferences(personas):
    personas.paul.time_zone = "America/New_York"
    personas.paul.save()
    assert save_defaults().status_code == 302

    reminder = create_reminder(open_checkin(personas.paul), EVENING)

    assert reminder is not None
    assert reminder.send_after.astimezone(NEW_YORK).time() == time(9, 0)
    assert reminder.send_after.astimezone(NEW_YORK).date() == EVENING.date() + timedelta(days=1)


def test_a_patients_own_preferences_win(personas):
    personas.paul.time_zone = "America/New_York"
    personas.paul.save()
    save_defaults()
    ContactPreference.objects.create(
        organization=personas.clinic, patient=personas.paul, quiet_from=time(22, 0)
    )

    reminder = create_reminder(open_checkin(personas.paul), EVENING)

    assert reminder is not None
    assert reminder.send_after == EVENING  # 19:30 is outside 22:00-08:00


def test_the_clinic_channel_is_used(personas):
    save_defaults(channel="sms")

    reminder = create_reminder(open_checkin(personas.paul), EVENING)

    assert reminder is not None
    assert reminder.channel == Channel.SMS


def test_saving_the_defaults_is_audited(personas):
    save_defaults()

    saved = ReminderDefaults.objects.get(organization=personas.clinic)
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, object_type="ReminderDefaults", object_id=str(saved.pk)
    ).exists()


@pytest.mark.parametrize("persona", ["dr_ana", "rn_cara", "sam_front", "dr_olga"])
def test_only_the_clinics_admin_sets_them(personas, persona):
    response = client_for(persona).post(
        reverse("outreach:reminder_defaults"),
        {"channel": "sms", "quiet_from": "01:00", "quiet_until": "02:00"},
    )

    assert response.status_code == 403
    assert not ReminderDefaults.objects.exists()
