"""Reads of alerts, scoped to the reader's organisation and role."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.alerts.models import PRIORITY_RANK, Alert, AlertStatus
from lasting.checkins.models import Instrument, Response
from lasting.patients.models import Patient
from lasting.treatment.models import ClinicalEvent, TreatmentSession
from lasting_core.daynumbers import day_number


def list_alerts_for(membership: Membership | None, *, open_only: bool = True) -> QuerySet[Alert]:
    """Alerts of the member's organisation, most pressing first."""
    if not rules.can_review_alerts(membership):
        raise PermissionDenied("Only clinicians review alerts.")
    alerts = Alert.objects.filter(organization_id=membership.organization_id)
    if open_only:
        alerts = alerts.exclude(status=AlertStatus.RESOLVED)
    rank = Case(
        *(When(priority=priority, then=Value(order)) for priority, order in PRIORITY_RANK.items()),
        output_field=IntegerField(),
    )
    status_rank = Case(
        When(status=AlertStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        alerts.select_related("patient", "assigned_to", "acknowledged_by", "resolved_by")
        .annotate(status_rank=status_rank, priority_rank=rank)
        .order_by("status_rank", "priority_rank", "-opened_at")
    )


@dataclass(frozen=True)
class HistoryRows:
    """A patient's data as engine day numbers (in the patient's own time zone)."""

    phq9: tuple[tuple[float, float], ...]
    sessions: tuple[tuple[float, str], ...]
    daily: tuple[tuple[float, float | None, float | None, float | None], ...]
    events: tuple[tuple[float, str], ...] = ()


def local_day(moment: datetime, zone: ZoneInfo) -> float:
    return day_number(moment.astimezone(zone))


def list_history_rows(patients: Sequence[Patient]) -> dict[int, HistoryRows]:
    """Every patient's PHQ-9 totals, sessions, daily checks and clinical events (4 queries)."""
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
    return {
        patient_id: HistoryRows(
            tuple(phq9[patient_id]),
            tuple(sessions[patient_id]),
            tuple(daily[patient_id]),
            tuple(events[patient_id]),
        )
        for patient_id in zones
    }
