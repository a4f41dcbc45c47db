"""The demo clinic's week on the floor: each location's chairs booked from now on, with the
patients of the hour already arrived or dosed, as a clinic would look when opened.
(Appointments that would have ended already are not seeded: their sessions would be
missing from the simulated history.)"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Organization
from lasting.patients.models import Patient, Phase
from lasting.patients.queries import current_phase
from lasting.treatment.models import Appointment, AppointmentStatus, Route, SessionKind

# Chairs per demo location, in the order of demo.clinic.LOCATIONS.
CHAIRS = {"Downtown": 4, "Northside": 3, "Lakeview": 3, "Westfield": 2}
# Two-hour appointments starting at these local times, Monday to Friday.
STARTS = (time(8, 0), time(10, 30), time(13, 0), time(15, 30))
DAYS_AHEAD = 7
FILLED = 0.7
KINDS = {
    Phase.INDUCTION: SessionKind.INDUCTION,
    Phase.MAINTENANCE: SessionKind.MAINTENANCE,
    Phase.EVALUATION: SessionKind.INDUCTION,
}


def seed_schedule(organization: Organization, seed: int, now: datetime | None = None) -> str:
    """Book the coming week at every location and move the patients of the hour along
    their day (arrived, dosed); return what was seeded."""
    now = now or timezone.now()
    rng = random.Random(seed)
    created = 0
    for location in Location.objects.filter(organization=organization):
        location.chairs = CHAIRS.get(location.name, 2)
        location.save(update_fields=["chairs"])
        patients = list(
            Patient.objects.filter(organization=organization, location=location)
            .annotate(phase=current_phase())
            .filter(phase__in=list(KINDS))
            .order_by("pk")
        )
        if not patients:
            continue
        zone = ZoneInfo(location.time_zone)
        today = today_in(location.time_zone, now)
        rows = []
        for offset in range(DAYS_AHEAD):
            day = today + timedelta(days=offset)
            if day.isoweekday() > 5:
                continue
            booked_today: set[int] = set()
            for start in STARTS:
                starts_at = datetime.combine(day, start, tzinfo=zone)
                if (now - starts_at) >= timedelta(minutes=120):
                    continue  # already over
                for _ in range(location.chairs):
                    if rng.random() > FILLED:
                        continue
                    candidates = [p for p in patients if p.pk not in booked_today]
                    if not candidates:
                        break
                    patient = rng.choice(candidates)
                    booked_today.add(patient.pk)
                    kind = KINDS[Phase(getattr(patient, "phase"))]  # noqa: B009 (annotated)
                    rows.append(on_the_day(location, patient, kind, starts_at, now, rng))
        Appointment.objects.bulk_create(rows)
        created += len(rows)
    return f"{created} appointments booked this week"


def on_the_day(
    location: Location,
    patient: Patient,
    kind: SessionKind,
    starts_at: datetime,
    now: datetime,
    rng: random.Random,
) -> Appointment:
    """An appointment as it stands at `now`: dosed, arrived or still booked."""
    route = Route.INTRANASAL_ESKETAMINE if rng.random() < 0.3 else Route.IV
    appointment = Appointment(
        organization_id=location.organization_id,
        patient=patient,
        location=location,
        clinician_id=patient.assigned_clinician_id,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=120,
        route=route,
    )
    minutes = (now - starts_at).total_seconds() / 60
    if minutes >= 15:
        appointment.status = AppointmentStatus.DOSED
        appointment.arrived_at = starts_at - timedelta(minutes=10)
        appointment.dosed_at = starts_at + timedelta(minutes=15)
    elif minutes >= -10:
        appointment.status = AppointmentStatus.ARRIVED
        appointment.arrived_at = starts_at - timedelta(minutes=10)
    return appointment
