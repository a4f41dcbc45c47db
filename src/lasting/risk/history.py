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
from lasting.prevention.queries import TrackedItem, list_tracked_items
from lasting.treatment.models import ClinicalEvent, LifeEventKind, TreatmentSession
from lasting.treatment.queries import list_life_context_of
from lasting_core.daynumbers import day_number
from lasting_core.engine import LifeEvent as CoreLifeEvent
from lasting_core.engine import (
    LifeEventKind as CoreLifeEventKind,
)
from lasting_core.engine import PersonalItem, PersonalReading, WarningSide


@dataclass(frozen=True)
class HistoryRows:
    """A patient's data as engine day numbers (in the patient's own time zone)."""

    phq9: tuple[tuple[float, float], ...]
    sessions: tuple[tuple[float, str], ...]
    daily: tuple[tuple[float, float | None, float | None, float | None], ...]
    events: tuple[tuple[float, str], ...] = ()
    # Days scheduled check-ins expired unanswered; None without a recent schedule.
    missed: tuple[float, ...] | None = None
    # The relapse-prevention plan's tracked warning signs and their answers, and the
    # stressful life events on record (docs/engine.md, personal items and life events).
    personal_items: tuple[PersonalItem, ...] = ()
    personal: tuple[PersonalReading, ...] = ()
    life_events: tuple[CoreLifeEvent, ...] = ()


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
    tracked = list_tracked_items(zones)
    life = list_life_context_of(patients)
    rows = {}
    for patient_id in zones:
        items = [engine_item(item) for item in tracked.get(patient_id, [])]
        context = life.get(patient_id)
        rows[patient_id] = HistoryRows(
            tuple(phq9[patient_id]),
            tuple(sessions[patient_id]),
            tuple(daily[patient_id]),
            tuple(events[patient_id]),
            missed.get(patient_id),
            personal_items=tuple(items),
            personal=tuple(
                PersonalReading(day_number(answered_on), str(item.item_id), float(value))
                for item in tracked.get(patient_id, [])
                for answered_on, value in item.answers
            ),
            life_events=tuple(
                CoreLifeEvent(
                    day_number(event.occurred_on),
                    ENGINE_LIFE_EVENT_KINDS[LifeEventKind(event.kind)],
                    event.weight / MAX_LIFE_EVENT_WEIGHT,
                )
                for event in (context.life_events if context else ())
            ),
        )
    return rows


# The clinic's words for life events, in the engine's; the clinic's weights run 1 (mild)
# to 3 (severe), the engine's from 0 to 1.
ENGINE_LIFE_EVENT_KINDS = {
    LifeEventKind.BEREAVEMENT: CoreLifeEventKind.LOSS,
    LifeEventKind.RELATIONSHIP: CoreLifeEventKind.CONFLICT,
    LifeEventKind.MOVE: CoreLifeEventKind.MOVE,
    LifeEventKind.WORK: CoreLifeEventKind.JOB,
    LifeEventKind.ILLNESS: CoreLifeEventKind.ILLNESS,
    LifeEventKind.OTHER: CoreLifeEventKind.OTHER,
}
MAX_LIFE_EVENT_WEIGHT = 3.0
# The range of each kind of personal item, as the plan's form offers it.
ITEM_RANGES = {"scale": (0.0, 10.0, ""), "hours": (0.0, 24.0, "h")}


def engine_item(item: TrackedItem) -> PersonalItem:
    """A tracked warning sign as the engine reads it (its key is the item's id)."""
    if item.answer_type == "yes_no":
        return PersonalItem.yes_no_item(
            str(item.item_id), item.label, warning_answer=item.direction == "above"
        )
    low, high, unit = ITEM_RANGES[item.answer_type]
    return PersonalItem(
        str(item.item_id), item.label, WarningSide(item.direction), item.threshold, low, high, unit
    )


def list_missed_checkins(zones: dict[int, ZoneInfo], now: datetime) -> dict[int, tuple[float, ...]]:
    """The expiry days of missed scheduled check-ins (the daily check aside), for each
    patient with a current schedule; patients without one are left out. A check-in
    excused by a reminder pause is not missed (`lasting.outreach.pauses`)."""
    recent = now - timedelta(days=SCHEDULE_CURRENT_DAYS)
    missed: dict[int, list[float]] = {}
    rows = (
        ScheduledCheckIn.objects.filter(patient_id__in=zones, opens_at__gte=recent)
        .exclude(reason=ScheduleReason.DAILY)
        .order_by("patient_id", "expires_at")
        .values_list("patient_id", "expires_at", "answered_by", "excused")
    )
    for patient_id, expires_at, answered_by, excused in rows:
        days = missed.setdefault(patient_id, [])
        if answered_by is None and not excused and expires_at <= now:
            days.append(local_day(expires_at, zones[patient_id]))
    return {patient_id: tuple(days) for patient_id, days in missed.items()}
