"""Reads of scheduled check-ins and reminders, for the clinical team and the patient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch

from lasting.checkins.models import Instrument, ScheduledCheckIn, ScheduleReason
from lasting.outreach.models import DeliveryAttempt, Reminder
from lasting.patients.models import Patient

# The clinician's page shows this much of the past.
RECENT = timedelta(days=42)


@dataclass(frozen=True)
class ScheduleRow:
    scheduled: ScheduledCheckIn
    state: str  # "upcoming" | "open" | "answered" | "missed"
    reminders: list[Reminder]

    @property
    def instrument_names(self) -> str:
        names = dict(Instrument.choices)
        return ", ".join(str(names.get(code, code)) for code in self.scheduled.instruments)


def state_of(scheduled: ScheduledCheckIn, now: datetime) -> str:
    if scheduled.answered_by_id is not None:
        return "answered"
    if scheduled.expires_at <= now:
        return "excused" if scheduled.excused else "missed"
    return "open" if scheduled.opens_at <= now else "upcoming"


def list_schedule(patient: Patient, now: datetime) -> list[ScheduleRow]:
    """The patient's recent and planned check-ins with their reminders, newest first."""
    reminders = Reminder.objects.prefetch_related(
        Prefetch("attempts_log", queryset=DeliveryAttempt.objects.order_by("at", "pk"))
    )
    rows = (
        ScheduledCheckIn.objects.filter(patient=patient, expires_at__gte=now - RECENT)
        .prefetch_related(Prefetch("reminders", queryset=reminders))
        .order_by("-opens_at")
    )
    return [ScheduleRow(row, state_of(row, now), list(row.reminders.all())) for row in rows]


def upcoming_checkins(patient: Patient, now: datetime, limit: int = 3) -> list[ScheduledCheckIn]:
    """The check-ins open now or planned next (the daily check aside), soonest first."""
    return list(
        ScheduledCheckIn.objects.filter(patient=patient, expires_at__gt=now, answered_by=None)
        .exclude(reason=ScheduleReason.DAILY)
        .order_by("opens_at")[:limit]
    )
