"""The day's schedule of a location, chair by chair, with what is due next on the floor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.shortcuts import get_object_or_404

from lasting.accounts import rules
from lasting.accounts.models import Location, Membership
from lasting.treatment.models import Appointment, AppointmentStatus, Route
from lasting_core import sessions as safety
from lasting_core.scheduling import DueItem, Slot, assign_chairs, due_next


@dataclass(frozen=True)
class BoardEntry:
    appointment: Appointment
    chair: int | None
    due: tuple[DueItem, ...]


@dataclass(frozen=True)
class Board:
    location: Location
    day: date
    chairs: tuple[tuple[int, tuple[BoardEntry, ...]], ...]
    overbooked: tuple[BoardEntry, ...]
    cancelled: tuple[Appointment, ...]


def get_appointment_for(membership: Membership | None, appointment_id: int) -> Appointment:
    """An appointment of the member's organisation, if their role schedules; else 404."""
    if not rules.can_schedule(membership):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Your role has no schedule.")
    return get_object_or_404(
        Appointment.objects.select_related("patient", "location", "clinician"),
        pk=appointment_id,
        organization_id=membership.organization_id,
    )


def day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def build_board(location: Location, day: date, now: datetime, *, clinical: bool) -> Board:
    """Every appointment of `location` on `day` (its own clock), each in its chair.

    Chairs go to the earliest first (lasting_core.scheduling.assign_chairs); what is due
    next is shown to the clinical team only, for patients dosed and not yet discharged.
    """
    start, end = day_bounds(day, location.time_zone)
    rows = list(
        Appointment.objects.filter(location=location, starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "clinician")
        .order_by("starts_at", "pk")
    )
    active = [a for a in rows if a.status not in (AppointmentStatus.CANCELLED,)]
    chairs = assign_chairs([Slot(a.starts_at, a.ends_at) for a in active], location.chairs)
    entries = [
        BoardEntry(a, chair, tuple(floor_tasks(a, now)) if clinical else ())
        for a, chair in zip(active, chairs, strict=True)
    ]
    by_chair = tuple(
        (n, tuple(e for e in entries if e.chair == n)) for n in range(1, location.chairs + 1)
    )
    return Board(
        location=location,
        day=day,
        chairs=by_chair,
        overbooked=tuple(e for e in entries if e.chair is None),
        cancelled=tuple(a for a in rows if a.status == AppointmentStatus.CANCELLED),
    )


def floor_tasks(appointment: Appointment, now: datetime) -> list[DueItem]:
    """What is due for a dosed patient still on the floor (nothing before the dose)."""
    if appointment.status != AppointmentStatus.DOSED or appointment.dosed_at is None:
        return []
    route = appointment.route or Route.IV
    if route not in (Route.IV, Route.IM, Route.INTRANASAL_ESKETAMINE):
        return []
    return due_next(safety.Route(route), appointment.dosed_at, now)


@dataclass(frozen=True)
class ClinicianDay:
    clinician_name: str
    day: date
    entries: tuple[BoardEntry, ...]


def build_clinician_day(
    organization_id: int,
    clinician_id: int,
    clinician_name: str,
    day: date,
    time_zone: str,
    now: datetime,
    *,
    clinical: bool,
) -> ClinicianDay:
    """One clinician's appointments on `day` at every location, in time order."""
    start, end = day_bounds(day, time_zone)
    rows = (
        Appointment.objects.filter(
            organization_id=organization_id,
            clinician_id=clinician_id,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "location", "clinician")
        .order_by("starts_at", "pk")
    )
    return ClinicianDay(
        clinician_name=clinician_name,
        day=day,
        entries=tuple(
            BoardEntry(a, None, tuple(floor_tasks(a, now)) if clinical else ()) for a in rows
        ),
    )
