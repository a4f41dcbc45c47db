"""The engine's input: each patient's history as engine day numbers, on the patient's clock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from lasting.checkins.models import Instrument, Response, ScheduledCheckIn, ScheduleReason
from lasting.patients.models import Patient
from lasting.treatment.models import ClinicalEvent, TreatmentSession
from lasting_core.daynumbers import day_number


@dataclass(frozen=True)
class HistoryRows:
    """A patient's data as engine day numbers (in the patient's own time zone)."""

    phq9: tuple[tuple[float, float], ...]
    sessions: tuple[tuple[float, str], ...]
    daily: tuple[tuple[float, float | None, float | None, float | None], ...]
    events: tuple[tuple[float, str], ...] = ()
    # Days scheduled check-ins expired unanswered; None without a recent schedule.
    missed: tuple[float, ...] | None = None


# A patient counts as scheduled while a scheduled check-in opened this recently; after
# that (a stopped planner, say) missed check-ins are estimated from the time since the
# last contact again, so silence is never invisible (a choice: two stable-cadence gaps).
SCHEDULE_CURRENT_DAYS = 28


def local_day(moment: datetime, zone: ZoneInfo) -> float:
    return day_number(moment.astimezone(zone))


def list_history_rows(
    patients: Sequence[Patient], now: datetime | None = None
) -> dict[int, HistoryRows]:
    """Every patient's PHQ-9 totals, sessions, daily checks, clinical events and missed
    scheduled check-ins (5 queries)."""
    zones = {patient.pk: ZoneInfo(patient.time_zone) for patient in patients}
    phq9: dict[int, list[tuple[float, float]]] = defaultdict(list)
    daily: dict[int, list[tuple[float, float | None, float | None, float | None]]] = defaultdict(
        list
    )
    sessions: dict[int, list[tuple[float, str]]] = defaultdict(list)
    responses = (
        Response.objects.filter(
            patient_id__in=zones, instrument__in=[Instrument.PHQ9, Instrument.DAILY]
        )
        .order_by("patient_id", "observed_at")
        .values_list("patient_id", "instrument", "observed_at", "total", "answers", "valid")
    )
    for patient_id, instrument, observed_at, total, answers, valid in responses.iterator(2000):
        day = local_day(observed_at, zones[patient_id])
        if instrument == Instrument.PHQ9:
            if valid and total is not None:
                phq9[patient_id].append((day, float(total)))
        else:
            daily[patient_id].append(
                (day, answers.get("mood"), answers.get("sleep"), answers.get("stress"))
            )
    for patient_id, started_at, kind in (
        TreatmentSession.objects.filter(patient_id__in=zones)
        .order_by("patient_id", "started_at")
        .values_list("patient_id", "started_at", "kind")
    ):
        sessions[patient_id].append((local_day(started_at, zones[patient_id]), str(kind)))
    events: dict[int, list[tuple[float, str]]] = defaultdict(list)
    for patient_id, occurred_on, kind in ClinicalEvent.objects.filter(
        patient_id__in=zones
    ).values_list("patient_id", "occurred_on", "kind"):
        events[patient_id].append((day_number(occurred_on), str(kind)))
    missed = list_missed_checkins(zones, now or timezone.now())
    return {
        patient_id: HistoryRows(
            tuple(phq9[patient_id]),
            tuple(sessions[patient_id]),
            tuple(daily[patient_id]),
            tuple(events[patient_id]),
            missed.get(patient_id),
        )
        for patient_id in zones
    }


def list_missed_checkins(zones: dict[int, ZoneInfo], now: datetime) -> dict[int, tuple[float, ...]]:
    """The expiry days of missed scheduled check-ins (the daily check aside), for each
    patient with a current schedule; patients without one are left out."""
    recent = now - timedelta(days=SCHEDULE_CURRENT_DAYS)
    missed: dict[int, list[float]] = {}
    rows = (
        ScheduledCheckIn.objects.filter(patient_id__in=zones, opens_at__gte=recent)
        .exclude(reason=ScheduleReason.DAILY)
        .order_by("patient_id", "expires_at")
        .values_list("patient_id", "expires_at", "answered_by")
    )
    for patient_id, expires_at, answered_by in rows:
        days = missed.setdefault(patient_id, [])
        if answered_by is None and expires_at <= now:
            days.append(local_day(expires_at, zones[patient_id]))
    return {patient_id: tuple(days) for patient_id, days in missed.items()}
