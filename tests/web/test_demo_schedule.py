"""The demo's week on the floor: booked within each location's chairs, nobody twice a
day, and the patients of the hour arrived or dosed on the clinic's clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lasting.demo.schedule import seed_schedule
from lasting.patients.models import Course, Phase
from lasting.treatment.models import Appointment, AppointmentStatus
from lasting_core.scheduling import Slot, most_in_use
from tests.factories import make_location, make_patient

pytestmark = pytest.mark.django_db

DENVER = ZoneInfo("America/Denver")
# A Wednesday at 10:50 in Denver: the 8:00 slot is over, the 10:30 patients are dosed.
NOW = datetime(2026, 12, 2, 10, 50, tzinfo=DENVER)


@pytest.fixture
def clinic(personas):
    personas.clinic.time_zone = "America/Denver"
    personas.clinic.save()
    location = make_location(personas.clinic, name="Downtown", time_zone="America/Denver")
    for n in range(30):
        patient = make_patient(personas.clinic, location=location, family_name=f"Demo{n}")
        Course.objects.filter(patient=patient).update(phase=Phase.MAINTENANCE)
    return location


def test_the_week_fits_the_chairs_and_nobody_comes_twice_a_day(clinic):
    seed_schedule(clinic.organization, seed=7, now=NOW)

    clinic.refresh_from_db()
    appointments = list(Appointment.objects.filter(location=clinic))
    assert clinic.chairs == 4
    assert len(appointments) > 20
    slots = [Slot(a.starts_at, a.ends_at) for a in appointments]
    for slot in slots:
        assert most_in_use(slots, slot) <= clinic.chairs
    days = [(a.patient_id, a.starts_at.astimezone(DENVER).date()) for a in appointments]
    assert len(days) == len(set(days))
    assert all(a.starts_at.astimezone(DENVER).isoweekday() <= 5 for a in appointments)


def test_the_patients_of_the_hour_are_on_the_floor_and_nothing_is_over(clinic):
    seed_schedule(clinic.organization, seed=7, now=NOW)

    for appointment in Appointment.objects.filter(location=clinic):
        started = (NOW - appointment.starts_at) / timedelta(minutes=1)
        assert appointment.ends_at > NOW  # nothing already over
        if started >= 15:
            assert appointment.status == AppointmentStatus.DOSED
            assert appointment.dosed_at is not None
        elif started >= -10:
            assert appointment.status == AppointmentStatus.ARRIVED
        else:
            assert appointment.status == AppointmentStatus.SCHEDULED
    assert Appointment.objects.filter(status=AppointmentStatus.DOSED).exists()
