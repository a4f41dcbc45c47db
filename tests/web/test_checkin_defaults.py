"""The clinic admin's check-in and reminder defaults: when weekly check-ins open and for
how long, and how patients without their own preferences are reminded, on each patient's
own clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import ScheduledCheckIn
from lasting.outreach.models import Channel, CheckInDefaults, ContactPreference
from lasting.outreach.planning import plan_organization
from lasting.outreach.reminders import create_reminder
from lasting.patients.models import Phase
from lasting.treatment.models import SessionKind
from tests.factories import make_session
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
    data = {
        "checkin_opens_at": "08:00",
        "checkin_open_days": "3",
        "stable_after_weeks": "12",
        "channel": "email",
        "quiet_from": "19:00",
        "quiet_until": "09:00",
        **fields,
    }
    return client_for("admin_dora").post(reverse("outreach:checkin_defaults"), data)


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

    saved = CheckInDefaults.objects.get(organization=personas.clinic)
    assert AuditEvent.objects.filter(
        action=Action.UPDATE, object_type="CheckInDefaults", object_id=str(saved.pk)
    ).exists()


@pytest.mark.parametrize("persona", ["dr_ana", "rn_cara", "sam_front", "dr_olga"])
def test_only_the_clinics_admin_sets_them(personas, persona):
    response = client_for(persona).post(
        reverse("outreach:checkin_defaults"),
        {"channel": "sms", "quiet_from": "01:00", "quiet_until": "02:00"},
    )

    assert response.status_code == 403
    assert not CheckInDefaults.objects.exists()


def test_the_clinics_checkin_window_is_planned(personas):
    paul = personas.paul
    paul.time_zone = "America/New_York"
    paul.save()
    for day in (2, 4, 6, 9, 11, 13):
        make_session(paul, started_at=datetime(2026, 2, day, 10, tzinfo=NEW_YORK))
    make_session(
        paul, kind=SessionKind.BOOSTER, started_at=datetime(2026, 3, 2, 10, tzinfo=NEW_YORK)
    )
    paul.courses.update(phase=Phase.MAINTENANCE)
    response = client_for("admin_dora").post(
        reverse("outreach:checkin_defaults"),
        {
            "checkin_opens_at": "10:00",
            "checkin_open_days": "2",
            "stable_after_weeks": "12",
            "channel": "email",
            "quiet_from": "21:00",
            "quiet_until": "08:00",
        },
    )
    assert response.status_code == 302

    plan_organization(personas.clinic.pk, now=datetime(2026, 3, 10, 11, tzinfo=NEW_YORK))

    window = ScheduledCheckIn.objects.get(patient=paul, key="maintenance:2026-03-09")
    assert window.opens_at == datetime(2026, 3, 9, 10, tzinfo=NEW_YORK)
    assert window.expires_at == datetime(2026, 3, 11, 10, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("field", "value"), [("checkin_open_days", "7"), ("stable_after_weeks", "2")]
)
def test_out_of_range_defaults_are_refused(personas, field, value):
    data = {
        "checkin_opens_at": "08:00",
        "checkin_open_days": "3",
        "stable_after_weeks": "12",
        "channel": "email",
        "quiet_from": "21:00",
        "quiet_until": "08:00",
        field: value,
    }

    response = client_for("admin_dora").post(reverse("outreach:checkin_defaults"), data)

    assert response.status_code == 422
    assert not CheckInDefaults.objects.exists()
