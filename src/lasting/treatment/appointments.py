"""Every write to appointments: book, move, cancel, and the day on the floor (arrived,
dosed, discharged, did not attend). Each checks the location's chairs and the patient's
other appointments, and is audited.

Closing a booster proposal when a booster is booked by hand is the plans app's
(`lasting.plans.services.close_proposals_for`), called by the page that books.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Location, Membership
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient
from lasting.treatment.models import (
    HOLDS_A_CHAIR,
    Appointment,
    AppointmentStatus,
    Route,
    SessionKind,
)
from lasting_core.scheduling import Slot, fits

# Choice: a booking more than a year ahead is a typing error in the year.
FURTHEST_AHEAD = timedelta(days=366)


def check_schedule_access(membership: Membership | None, patient: Patient) -> Membership:
    if not rules.can_schedule(membership) or membership.organization_id != patient.organization_id:
        raise PermissionDenied("Your role cannot book appointments for this patient.")
    return membership


def check_slot(
    patient: Patient,
    location: Location | None,
    starts_at: datetime,
    duration_minutes: int,
    *,
    now: datetime,
    moving: Appointment | None = None,
) -> None:
    """Raise ValidationError saying why a booking cannot take this time and place.

    1. From now on, within a year, 15 minutes to 8 hours long.
    2. An open location of the patient's organisation.
    3. The patient has no other appointment at the same time.
    4. The location has a free chair for the whole time (lasting_core.scheduling.fits).
    """
    if starts_at < now:
        raise ValidationError({"starts_at": "This time has passed: choose a time from now on."})
    if starts_at > now + FURTHEST_AHEAD:
        raise ValidationError({"starts_at": "That is more than a year ahead: check the year."})
    if not 15 <= duration_minutes <= 480:
        raise ValidationError({"duration_minutes": "An appointment lasts 15 minutes to 8 hours."})
    if location is not None and (
        location.organization_id != patient.organization_id or not location.is_active
    ):
        raise ValidationError({"location": "Choose one of the clinic's open locations."})
    new = Slot(starts_at, starts_at + timedelta(minutes=duration_minutes))
    others = Appointment.objects.filter(status__in=HOLDS_A_CHAIR)
    if moving is not None:
        others = others.exclude(pk=moving.pk)
    window = {"starts_at__lt": new.ends_at, "starts_at__gt": new.starts_at - timedelta(hours=8)}
    own = [
        Slot(a.starts_at, a.ends_at)
        for a in others.filter(patient=patient, **window).only("starts_at", "duration_minutes")
    ]
    if any(slot.overlaps(new) for slot in own):
        raise ValidationError({"starts_at": "The patient has another appointment at that time."})
    if location is None:
        return
    booked = [
        Slot(a.starts_at, a.ends_at)
        for a in others.filter(location=location, **window).only("starts_at", "duration_minutes")
    ]
    if not fits(booked, new, location.chairs):
        raise ValidationError(
            {
                "starts_at": f"All {location.chairs} chair{'s' if location.chairs != 1 else ''} "
                f"at {location.name} are taken at some point in that time: choose another "
                "time or location."
            }
        )


def book_appointment(
    actor: Actor,
    membership: Membership | None,
    patient: Patient,
    *,
    kind: SessionKind,
    starts_at: datetime,
    duration_minutes: int,
    location: Location | None,
    clinician_id: int | None = None,
    route: Route | str = "",
) -> Appointment:
    """Book an appointment after `check_slot`; the check and the insert hold the location's
    row lock, so two bookings at once cannot both take the last chair."""
    check_schedule_access(membership, patient)
    with transaction.atomic():
        if location is not None:
            Location.objects.select_for_update().filter(pk=location.pk).first()
        check_slot(patient, location, starts_at, duration_minutes, now=timezone.now())
        appointment = Appointment.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            location=location,
            clinician_id=clinician_id or patient.assigned_clinician_id,
            kind=kind,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            route=route,
            created_by_id=actor.user_id,
        )
        _audit(actor, Action.CREATE, appointment)
    return appointment


def move_appointment(
    actor: Actor,
    membership: Membership | None,
    appointment: Appointment,
    *,
    starts_at: datetime,
    duration_minutes: int,
    location: Location | None,
) -> Appointment:
    """Move a booked appointment to another time or place, with the same checks."""
    check_schedule_access(membership, appointment.patient)
    with transaction.atomic():
        if location is not None:
            Location.objects.select_for_update().filter(pk=location.pk).first()
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != AppointmentStatus.SCHEDULED:
            raise ValidationError("Only a booked appointment can be moved.")
        check_slot(
            locked.patient,
            location,
            starts_at,
            duration_minutes,
            now=timezone.now(),
            moving=locked,
        )
        locked.starts_at, locked.duration_minutes, locked.location = (
            starts_at,
            duration_minutes,
            location,
        )
        locked.save(update_fields=["starts_at", "duration_minutes", "location"])
        _audit(actor, Action.UPDATE, locked)
    return locked


def cancel_appointment(
    actor: Actor, membership: Membership | None, appointment: Appointment, reason: str
) -> Appointment:
    """Cancel a booked appointment, with why; its chair is free at once."""
    check_schedule_access(membership, appointment.patient)
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status not in (AppointmentStatus.SCHEDULED, AppointmentStatus.ARRIVED):
            raise ValidationError("Only an appointment that has not started can be cancelled.")
        locked.status, locked.cancel_reason = AppointmentStatus.CANCELLED, reason.strip()[:200]
        locked.save(update_fields=["status", "cancel_reason"])
        _audit(actor, Action.UPDATE, locked)
    return locked


# The day on the floor: which status may follow which, and who may record it.
NEXT_STATUS = {
    AppointmentStatus.ARRIVED: (AppointmentStatus.SCHEDULED,),
    AppointmentStatus.DOSED: (AppointmentStatus.ARRIVED,),
    AppointmentStatus.COMPLETED: (AppointmentStatus.DOSED,),
    AppointmentStatus.NO_SHOW: (AppointmentStatus.SCHEDULED,),
}
STAMPS = {
    AppointmentStatus.ARRIVED: "arrived_at",
    AppointmentStatus.DOSED: "dosed_at",
    AppointmentStatus.COMPLETED: "discharged_at",
}


def record_floor_status(
    actor: Actor,
    membership: Membership | None,
    appointment: Appointment,
    status: AppointmentStatus,
) -> Appointment:
    """Move an appointment along its day: arrived (front desk or clinical team), dosed and
    discharged (clinical team only), or did not attend. Out-of-order steps are refused."""
    check_schedule_access(membership, appointment.patient)
    if status in (AppointmentStatus.DOSED, AppointmentStatus.COMPLETED) and not (
        rules.can_log_sessions(membership)
    ):
        raise PermissionDenied("Only the clinical team records a dose or a discharge.")
    if status not in NEXT_STATUS:
        raise ValidationError(f"{status} is not a step of the day.")
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status not in NEXT_STATUS[status]:
            current = AppointmentStatus(locked.status).label.lower()
            raise ValidationError(
                f"This appointment is {current}: it cannot be marked "
                f"{AppointmentStatus(status).label.lower()}."
            )
        locked.status = status
        fields = ["status"]
        if status in STAMPS:
            setattr(locked, STAMPS[status], timezone.now())
            fields.append(STAMPS[status])
        locked.save(update_fields=fields)
        _audit(actor, Action.UPDATE, locked)
    return locked


def _audit(actor: Actor, action: Action, appointment: Appointment) -> None:
    record_event(
        actor,
        action,
        patient_id=appointment.patient_id,
        organization_id=appointment.organization_id,
        obj=appointment,
    )
