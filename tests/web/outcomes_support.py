"""Histories for the outcome tests: built through the factories at local noon, so the
patient's calendar days do not depend on the server's clock or daylight saving."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from lasting.patients.models import Patient
from lasting.treatment.models import SessionKind
from tests.factories import make_phq9, make_session

INDUCTION_DAYS = (1, 3, 5, 8, 10, 12)  # six sessions; the series ends on day 12


def day_zero(patient: Patient, days_ago: int = 200) -> datetime:
    """Noon on the patient's clock `days_ago` days before today."""
    local = timezone.now().astimezone(ZoneInfo(patient.time_zone)) - timedelta(days=days_ago)
    return local.replace(hour=12, minute=0, second=0, microsecond=0)


def at(start: datetime, day: int) -> datetime:
    return start + timedelta(days=day)  # wall-clock arithmetic: noon stays noon


def induction(patient: Patient, start: datetime, days: tuple[int, ...] = INDUCTION_DAYS) -> None:
    for day in days:
        make_session(patient, kind=SessionKind.INDUCTION, started_at=at(start, day))


def relapsing_history(patient: Patient, start: datetime) -> None:
    """Baseline 20; responds (6 on day 15, not a remission); relapses: 15 on day 45,
    confirmed by 16 on day 52. One episode, day 12 to day 45 (the relapse's first
    check-in): 33 days, a relapse."""
    make_phq9(patient, 20, submitted_at=at(start, 0))
    induction(patient, start)
    for day, total in ((15, 6), (30, 7), (45, 15), (52, 16)):
        make_phq9(patient, total, submitted_at=at(start, day))


def booster_history(patient: Patient, start: datetime) -> None:
    """Baseline 18; remits (4 on day 14); a booster on day 35 while well; last check-in
    on day 49. Two episodes: day 12 to 35 censored by the booster (23 days), day 35 to 49
    censored at the last check-in (14 days)."""
    make_phq9(patient, 18, submitted_at=at(start, 0))
    induction(patient, start)
    make_phq9(patient, 4, submitted_at=at(start, 14))
    make_phq9(patient, 5, submitted_at=at(start, 28))
    make_session(patient, kind=SessionKind.BOOSTER, started_at=at(start, 35))
    make_phq9(patient, 4, submitted_at=at(start, 49))


def make_episode(patient: Patient, days: float, relapsed: bool, **overrides: object) -> object:
    """A stored episode row (what a refresh would store), for page tests."""
    from datetime import date

    from lasting.outcomes.models import OutcomeEpisode

    start_on = overrides.pop("start_on", date(2026, 3, 2))
    assert isinstance(start_on, date)
    fields: dict[str, object] = {
        "organization_id": patient.organization_id,
        "patient": patient,
        "location_id": patient.location_id,
        "clinician_id": patient.assigned_clinician_id,
        "start_on": start_on,
        "end_on": start_on + timedelta(days=days),
        "days": days,
        "relapsed": relapsed,
        "started_by": "induction",
        "ended_by": "relapse" if relapsed else "censored",
        "diagnosis": patient.diagnoses[0] if patient.diagnoses else "other",
        "severity": "severe",
        "induction_sessions": 6,
        "induction_group": "6",
        "end_of_induction": "responded",
        "in_therapy": False,
        "antidepressant": False,
        "life_stress": False,
    }
    fields.update(overrides)
    return OutcomeEpisode.objects.create(**fields)
