"""Scheduled check-ins in the app: planned from treatment, answered, and missed.

Personas: Paul is in maintenance at Clinic A (New York); his maintenance began with a
booster on Monday 2 March 2026, so his weekly check-in opens Mondays at 08:00 his time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lasting.alerts.models import Alert, AlertKind
from lasting.checkins.models import ScheduledCheckIn
from lasting.checkins.services import link_for_scheduled
from lasting.outreach.planning import plan_organization
from lasting.patients.models import Phase
from lasting.plans.models import MaintenancePlan
from lasting.risk.models import RiskAssessment
from lasting.risk.services import assess_one
from lasting.treatment.models import Appointment, SessionKind
from tests.factories import SYSTEM, make_patient, make_phq9, make_session

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def in_maintenance(clinic, **fields):
    patient = make_patient(clinic, time_zone="America/New_York", **fields)
    for day in (2, 4, 6, 9, 11, 13):
        make_session(patient, started_at=local(f"2026-02-{day:02d}T10:00"))
    make_session(patient, kind=SessionKind.BOOSTER, started_at=local("2026-03-02T10:00"))
    patient.courses.update(phase=Phase.MAINTENANCE)
    return patient


def planned(patient) -> list[tuple[str, str, str]]:
    return [
        (row.key, row.opens_at.astimezone(NEW_YORK).isoformat(), ",".join(row.instruments))
        for row in ScheduledCheckIn.objects.filter(patient=patient)
    ]


def test_maintenance_plans_the_weekly_checkins_at_08_00_local_time(clinic):
    paul = in_maintenance(clinic)
    created = plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    assert created == 3
    assert planned(paul) == [
        # Opened yesterday and still open for two days: planned although the worker was down.
        ("maintenance:2026-03-09", "2026-03-09T08:00:00-04:00", "phq9,gad7"),
        ("maintenance:2026-03-16", "2026-03-16T08:00:00-04:00", "phq9,gad7"),
        # Two weeks ahead, so the next check-in is known even at a fortnightly cadence.
        ("maintenance:2026-03-23", "2026-03-23T08:00:00-04:00", "phq9,gad7"),
    ]
    window = ScheduledCheckIn.objects.get(patient=paul, key="maintenance:2026-03-09")
    assert window.expires_at == local("2026-03-12T08:00")


def test_planning_twice_creates_nothing_new(clinic):
    in_maintenance(clinic)
    now = local("2026-03-10T11:00")
    assert plan_organization(clinic.pk, now=now) == 3
    assert plan_organization(clinic.pk, now=now) == 0
    assert plan_organization(clinic.pk, now=now + timedelta(hours=5)) == 0
    assert ScheduledCheckIn.objects.count() == 3


def test_the_window_across_the_spring_forward_change_keeps_08_00_on_the_clock(clinic):
    """8 March 2026: New York moves from UTC-5 to UTC-4; 08:00 stays 08:00 local."""
    paul = in_maintenance(clinic)
    plan_organization(clinic.pk, now=local("2026-03-01T12:00"))
    plan_organization(clinic.pk, now=local("2026-03-07T12:00"))
    opens = {
        row.key: row.opens_at.astimezone(UTC).hour
        for row in ScheduledCheckIn.objects.filter(patient=paul)
    }
    # Planned on 1 March (EST, UTC-5) for after the change: 08:00 EDT is 12:00 UTC.
    assert opens == {"maintenance:2026-03-09": 12, "maintenance:2026-03-16": 12}
    for row in ScheduledCheckIn.objects.filter(patient=paul):
        assert row.opens_at.astimezone(NEW_YORK).hour == 8


def test_ptsd_and_chronic_pain_add_their_instruments(clinic):
    paul = in_maintenance(clinic, diagnoses=["ptsd", "chronic_pain"])
    plan_organization(clinic.pk, now=local("2026-03-30T06:00"))
    by_key = {key: instruments for key, _, instruments in planned(paul)}
    assert by_key["maintenance:2026-03-30"] == "phq9,gad7,pain_nrs,pcl5"  # week 4
    assert by_key["maintenance:2026-04-06"] == "phq9,gad7,pain_nrs"


def test_raised_risk_adds_a_midweek_checkin(clinic):
    paul = in_maintenance(clinic)
    RiskAssessment.objects.create(
        organization=clinic,
        patient=paul,
        assessed_on=local("2026-03-10T09:00").date(),
        computed_at=local("2026-03-10T09:00"),
        p_relapse_28d=0.45,
    )
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    keys = [key for key, _, _ in planned(paul)]
    assert keys == [
        "maintenance:2026-03-09",
        "raised_risk:2026-03-12",
        "maintenance:2026-03-16",
        "raised_risk:2026-03-19",
        "maintenance:2026-03-23",
    ]


def test_twelve_stable_weeks_thin_the_schedule_to_every_other_week(clinic):
    paul = in_maintenance(clinic)
    make_phq9(paul, 12, submitted_at=local("2026-03-03T10:00"))  # the last high score
    plan_organization(clinic.pk, now=local("2026-06-01T06:00"))  # 12 weeks and 6 days later
    keys = [key for key, _, _ in planned(paul)]
    # Weeks are counted from maintenance's start (2 March): 1 June is week 13 (skipped),
    # 8 June week 14 (kept).
    assert keys == ["maintenance:2026-06-08"]


def test_eleven_stable_weeks_keep_the_weekly_schedule(clinic):
    paul = in_maintenance(clinic)
    make_phq9(paul, 12, submitted_at=local("2026-03-10T10:00"))
    plan_organization(clinic.pk, now=local("2026-06-01T06:00"))  # 11 weeks and 6 days later
    keys = [key for key, _, _ in planned(paul)]
    assert keys == ["maintenance:2026-06-01", "maintenance:2026-06-08", "maintenance:2026-06-15"]


def test_an_induction_appointment_gets_a_checkin_before_it(clinic):
    ines = make_patient(clinic, time_zone="America/New_York")
    ines.courses.update(phase=Phase.INDUCTION)
    Appointment.objects.create(
        organization=clinic,
        patient=ines,
        kind=SessionKind.INDUCTION,
        starts_at=local("2026-03-12T10:00"),
    )
    plan_organization(clinic.pk, now=local("2026-03-10T09:00"))
    row = ScheduledCheckIn.objects.get(patient=ines)
    assert row.key == "pre_session:2026-03-12"
    assert row.opens_at == local("2026-03-10T10:00")
    assert row.expires_at == local("2026-03-12T10:00")


def test_the_daily_check_is_planned_only_when_the_plan_asks(clinic):
    paul = in_maintenance(clinic)
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    assert not ScheduledCheckIn.objects.filter(patient=paul, reason="daily").exists()
    MaintenancePlan.objects.create(organization=clinic, patient=paul, daily_check=True)
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    daily = ScheduledCheckIn.objects.filter(patient=paul, reason="daily")
    assert daily.count() >= 8
    first = daily.first()
    assert first is not None
    assert first.opens_at.astimezone(NEW_YORK).hour == 18


def test_an_ended_course_plans_nothing(clinic):
    paul = in_maintenance(clinic)
    paul.courses.update(phase=Phase.COMPLETED)
    assert plan_organization(clinic.pk, now=local("2026-03-10T11:00")) == 0


def test_one_patient_with_bad_data_does_not_stop_the_others(clinic):
    paul = in_maintenance(clinic)
    broken = in_maintenance(clinic)
    broken.time_zone = "Mars/Olympus_Mons"
    broken.save(update_fields=["time_zone"])
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    assert ScheduledCheckIn.objects.filter(patient=paul).count() == 3
    assert not ScheduledCheckIn.objects.filter(patient=broken).exists()


def test_answering_through_the_link_marks_the_checkin_answered(clinic, client):
    paul = in_maintenance(clinic)
    now = timezone.now()
    scheduled = ScheduledCheckIn.objects.create(
        organization=clinic,
        patient=paul,
        key="maintenance:test",
        reason="maintenance",
        instruments=["phq9"],
        due_on=now.date(),
        opens_at=now - timedelta(hours=1),
        expires_at=now + timedelta(days=2),
    )
    issued = link_for_scheduled(SYSTEM, scheduled)
    assert link_for_scheduled(SYSTEM, scheduled).link == issued.link  # one link, same token
    path = issued.url.split("://", 1)[1].split("/", 1)[1]
    body = {"idempotency_key": "k1"} | {f"phq9__q{i}": "0" for i in range(1, 10)}
    response = client.post("/" + path, body)
    assert response.status_code == 200
    scheduled.refresh_from_db()
    assert scheduled.answered


def test_a_checkin_entered_in_clinic_during_the_window_answers_it(clinic):
    paul = in_maintenance(clinic)
    now = timezone.now()
    scheduled = ScheduledCheckIn.objects.create(
        organization=clinic,
        patient=paul,
        key="maintenance:test",
        reason="maintenance",
        instruments=["phq9", "gad7"],
        due_on=now.date(),
        opens_at=now - timedelta(hours=1),
        expires_at=now + timedelta(days=2),
    )
    make_phq9(paul, 4, submitted_at=now - timedelta(hours=2))  # before the window
    scheduled.refresh_from_db()
    assert not scheduled.answered
    make_phq9(paul, 4, submitted_at=now)
    scheduled.refresh_from_db()
    assert scheduled.answered


def missed(clinic, patient, *expired: datetime) -> None:
    for expires_at in expired:
        ScheduledCheckIn.objects.create(
            organization=clinic,
            patient=patient,
            key=f"maintenance:{expires_at.date()}",
            reason="maintenance",
            instruments=["phq9", "gad7"],
            due_on=(expires_at - timedelta(days=3)).date(),
            opens_at=expires_at - timedelta(days=3),
            expires_at=expires_at,
        )


def test_two_missed_checkins_open_a_disengagement_alert(clinic):
    paul = in_maintenance(clinic)
    make_phq9(paul, 4, submitted_at=local("2026-03-03T10:00"))
    missed(clinic, paul, local("2026-03-12T08:00"), local("2026-03-19T08:00"))
    assessment = assess_one(paul, now=local("2026-03-19T09:00"))
    assert assessment.missed_checkins == 2
    assert Alert.objects.filter(patient=paul, kind=AlertKind.DISENGAGEMENT).exists()


def test_a_sparse_schedule_kept_is_not_disengagement(clinic):
    """Every other week: 17 quiet days with nothing missed are not silence."""
    paul = in_maintenance(clinic)
    make_phq9(paul, 4, submitted_at=local("2026-03-03T10:00"))
    ScheduledCheckIn.objects.create(
        organization=clinic,
        patient=paul,
        key="maintenance:2026-03-16",
        reason="maintenance",
        instruments=["phq9", "gad7"],
        due_on=local("2026-03-16T08:00").date(),
        opens_at=local("2026-03-16T08:00"),
        expires_at=local("2026-03-19T08:00"),
    )
    assessment = assess_one(paul, now=local("2026-03-18T09:00"))
    assert assessment.missed_checkins == 0
    assert not Alert.objects.filter(patient=paul, kind=AlertKind.DISENGAGEMENT).exists()


def test_a_cancelled_induction_appointment_withdraws_its_checkin(clinic):
    ines = make_patient(clinic, time_zone="America/New_York")
    ines.courses.update(phase=Phase.INDUCTION)
    appointment = Appointment.objects.create(
        organization=clinic,
        patient=ines,
        kind=SessionKind.INDUCTION,
        starts_at=local("2026-03-14T10:00"),
    )
    plan_organization(clinic.pk, now=local("2026-03-10T09:00"))
    assert ScheduledCheckIn.objects.filter(patient=ines).count() == 1
    appointment.status = "cancelled"
    appointment.save(update_fields=["status"])
    plan_organization(clinic.pk, now=local("2026-03-10T10:00"))
    assert not ScheduledCheckIn.objects.filter(patient=ines).exists()


def test_an_ended_course_withdraws_future_checkins_but_keeps_the_past(clinic):
    paul = in_maintenance(clinic)
    plan_organization(clinic.pk, now=local("2026-03-10T11:00"))
    paul.courses.update(phase=Phase.DISCONTINUED)
    plan_organization(clinic.pk, now=local("2026-03-10T12:00"))
    # The open one (it may have been reminded, and can still be answered) stays.
    assert [key for key, _, _ in planned(paul)] == ["maintenance:2026-03-09"]


def test_an_induction_session_moved_within_its_day_moves_its_checkin(clinic):
    ines = make_patient(clinic, time_zone="America/New_York")
    ines.courses.update(phase=Phase.INDUCTION)
    appointment = Appointment.objects.create(
        organization=clinic,
        patient=ines,
        kind=SessionKind.INDUCTION,
        starts_at=local("2026-03-14T10:00"),
    )
    plan_organization(clinic.pk, now=local("2026-03-10T09:00"))
    appointment.starts_at = local("2026-03-14T15:00")
    appointment.save(update_fields=["starts_at"])
    plan_organization(clinic.pk, now=local("2026-03-10T10:00"))
    row = ScheduledCheckIn.objects.get(patient=ines)
    assert row.key == "pre_session:2026-03-14"
    assert row.expires_at == local("2026-03-14T15:00")
