"""Turn each patient's treatment into scheduled check-ins.

What falls due, and when: docs/clinical.md#check-ins-and-reminders.

The rules live in the pure planner `lasting_core.schedules`; this module reads what it
needs from the rows (phase, diagnoses, upcoming induction sessions, the plan's daily
check, the engine's latest risk, how long the patient has been stable) and stores what
it returns. Keys make it idempotent: planning twice, or two workers planning at once,
never makes a second row for the same check-in.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone

from lasting.alerts.models import Alert, AlertKind, AlertStatus
from lasting.checkins.models import Instrument, Response, ScheduledCheckIn
from lasting.outreach.models import MAX_OPEN_DAYS, CheckInDefaults
from lasting.outreach.pauses import apply_pauses
from lasting.patients.models import Course, Patient
from lasting.patients.models import Phase as CoursePhase
from lasting.plans.models import MaintenancePlan
from lasting.risk.models import RiskAssessment
from lasting.treatment.models import Appointment, AppointmentStatus, SessionKind, TreatmentSession
from lasting_core.definitions import DefinitionSettings
from lasting_core.schedules import (
    DueCheckIn,
    PatientSchedule,
    Phase,
    ScheduleSettings,
    plan_checkins,
)

log = logging.getLogger("lasting.outreach")

# Plan this far ahead, so the next check-in is always known (and can be shown to the
# patient), even at the fortnightly cadence of a stable patient; re-planned every hour,
# so a denser cadence follows a rise in risk within the hour.
HORIZON = timedelta(days=15)
# Re-plan from as far back as a window can stay open (the longest a clinic may set), so a
# check-in whose window opened while the worker was down is still created (an expired
# one is not: nobody can answer it).
LOOKBACK = timedelta(days=MAX_OPEN_DAYS)

PHASES = {
    CoursePhase.EVALUATION: Phase.EVALUATION,
    CoursePhase.INDUCTION: Phase.INDUCTION,
    CoursePhase.MAINTENANCE: Phase.MAINTENANCE,
    CoursePhase.DISCONTINUED: Phase.ENDED,
    CoursePhase.COMPLETED: Phase.ENDED,
}


@dataclass(frozen=True)
class Facts:
    """What the rows say about one patient, read in bulk for an organisation."""

    course: Course | None
    maintenance_started_on: date | None
    induction_sessions_at: tuple[datetime, ...]
    daily_check: bool
    p_relapse_28d: float | None
    early_warning_open: bool
    last_high_phq9_at: datetime | None
    known_keys: frozenset[str]


def plan_organization(organization_id: int, now: datetime | None = None) -> int:
    """Plan every patient's check-ins in one organisation; return how many were created.

    A fixed number of queries whatever the clinic's size: the facts are read in bulk,
    new check-ins inserted in one statement (a key another worker stored first is
    skipped by the unique constraint), obsolete ones withdrawn in one, those due in a
    reminder pause excused in at most two.
    """
    now = now or timezone.now()
    patients = [
        patient
        for patient in Patient.objects.filter(organization_id=organization_id)
        if has_known_time_zone(patient)
    ]
    facts = read_facts(patients, now)
    defaults = CheckInDefaults.objects.filter(organization_id=organization_id).first()
    settings = defaults.schedule_settings() if defaults else ScheduleSettings()
    plans: dict[int, tuple[DueCheckIn, ...]] = {}
    for patient in patients:
        try:
            plans[patient.pk] = plan_patient(patient, facts[patient.pk], now, settings)
        except Exception:  # one patient's bad data must not stop the others
            log.exception("patient %s: planning check-ins failed", patient.pk)
    moved = withdraw(plans, now)
    new = [
        new_row(patient, item)
        for patient in patients
        for item in plans.get(patient.pk, ())
        if item.key not in facts[patient.pk].known_keys or (patient.pk, item.key) in moved
    ]
    ScheduledCheckIn.objects.bulk_create(new, ignore_conflicts=True)
    apply_pauses(facts.keys(), now)  # check-ins added inside a pause are excused like the rest
    return len(new)


def has_known_time_zone(patient: Patient) -> bool:
    try:
        ZoneInfo(patient.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.error("patient %s: unknown time zone; no check-ins planned", patient.pk)
        return False
    return True


def plan_patient(
    patient: Patient,
    facts: Facts,
    now: datetime,
    settings: ScheduleSettings | None = None,
) -> tuple[DueCheckIn, ...]:
    settings = settings or ScheduleSettings()
    course = facts.course
    if course is None:
        return ()
    schedule = PatientSchedule(
        time_zone=patient.time_zone,
        phase=PHASES[CoursePhase(course.phase)],
        diagnoses=frozenset(patient.diagnoses),
        maintenance_started_on=facts.maintenance_started_on,
        induction_sessions_at=facts.induction_sessions_at,
        daily_check=facts.daily_check,
        p_relapse_28d=facts.p_relapse_28d,
        early_warning_open=facts.early_warning_open,
        stable_weeks=stable_weeks(facts, now),
    )
    due = plan_checkins(schedule, start=now - LOOKBACK, end=now + HORIZON, settings=settings)
    return tuple(item for item in due if item.expires_at > now)


def stable_weeks(facts: Facts, now: datetime) -> int:
    """Whole weeks since the latest sign of trouble (PHQ-9 at the relapse threshold or
    above, an early warning) or since maintenance began, whichever came last."""
    if facts.maintenance_started_on is None or facts.early_warning_open:
        return 0
    since = datetime.combine(facts.maintenance_started_on, datetime.min.time(), tzinfo=now.tzinfo)
    if facts.last_high_phq9_at is not None:
        since = max(since, facts.last_high_phq9_at)
    return max(0, (now - since).days // 7)


def new_row(patient: Patient, item: DueCheckIn) -> ScheduledCheckIn:
    return ScheduledCheckIn(
        organization_id=patient.organization_id,
        patient=patient,
        key=item.key,
        reason=str(item.reason),
        instruments=[str(code) for code in item.instruments],
        due_on=item.due_on,
        opens_at=item.opens_at,
        expires_at=item.expires_at,
    )


def withdraw(plans: dict[int, tuple[DueCheckIn, ...]], now: datetime) -> set[tuple[int, str]]:
    """Remove planned check-ins the schedule no longer asks for (an appointment cancelled,
    a course ended, a calmer cadence) or asks for at another time (a session moved within
    its day), as long as they have not opened or been reminded; return the (patient, key)
    pairs removed. Patients whose planning failed keep theirs."""
    wanted = {
        pk: {item.key: (item.opens_at, item.expires_at) for item in due}
        for pk, due in plans.items()
    }
    candidates = (
        ScheduledCheckIn.objects.filter(
            patient_id__in=list(plans), opens_at__gt=now, answered_by=None
        )
        .filter(reminders__isnull=True)
        .values_list("pk", "patient_id", "key", "opens_at", "expires_at")
    )
    obsolete = {
        pk: (patient_id, key)
        for pk, patient_id, key, opens_at, expires_at in candidates
        if wanted[patient_id].get(key) != (opens_at, expires_at)
    }
    if obsolete:
        ScheduledCheckIn.objects.filter(pk__in=list(obsolete), reminders__isnull=True).delete()
    return set(obsolete.values())


def read_facts(patients: list[Patient], now: datetime) -> dict[int, Facts]:
    """Everything the planner needs for these patients, in a fixed number of queries."""
    ids = [patient.pk for patient in patients]
    zones = {patient.pk: ZoneInfo(patient.time_zone) for patient in patients}
    courses: dict[int, Course] = {}
    for course in Course.objects.filter(patient_id__in=ids).order_by("patient_id", "number"):
        courses[course.patient_id] = course  # the latest course wins
    course_ids = [course.pk for course in courses.values()]
    maintenance_start = dict(
        TreatmentSession.objects.filter(course_id__in=course_ids)
        .exclude(kind=SessionKind.INDUCTION)
        .values("patient_id")
        .annotate(first=Min("started_at"))
        .values_list("patient_id", "first")
    )
    last_induction = dict(
        TreatmentSession.objects.filter(course_id__in=course_ids, kind=SessionKind.INDUCTION)
        .values("patient_id")
        .annotate(last=Max("started_at"))
        .values_list("patient_id", "last")
    )
    inductions: dict[int, list[datetime]] = defaultdict(list)
    for patient_id, starts_at in Appointment.objects.filter(
        patient_id__in=ids,
        kind=SessionKind.INDUCTION,
        status=AppointmentStatus.SCHEDULED,
        starts_at__gt=now,
        starts_at__lte=now + HORIZON + timedelta(days=3),
    ).values_list("patient_id", "starts_at"):
        inductions[patient_id].append(starts_at)
    daily = set(
        MaintenancePlan.objects.filter(patient_id__in=ids, daily_check=True).values_list(
            "patient_id", flat=True
        )
    )
    latest_risk = RiskAssessment.objects.filter(patient_id=OuterRef("pk")).order_by("-assessed_on")
    risk: dict[int, float | None] = dict(
        Patient.objects.filter(pk__in=ids)
        .annotate(p28=Subquery(latest_risk.values("p_relapse_28d")[:1]))
        .values_list("pk", "p28")
    )
    warned = set(
        Alert.objects.filter(patient_id__in=ids, kind=AlertKind.EARLY_WARNING)
        .exclude(status=AlertStatus.RESOLVED)
        .values_list("patient_id", flat=True)
    )
    high = dict(
        Response.objects.filter(
            patient_id__in=ids,
            instrument=Instrument.PHQ9,
            valid=True,
            total__gte=DefinitionSettings().relapse_threshold,
        )
        .values("patient_id")
        .annotate(last=Max("observed_at"))
        .values_list("patient_id", "last")
    )
    keys: dict[int, set[str]] = defaultdict(set)
    for patient_id, key in ScheduledCheckIn.objects.filter(
        patient_id__in=ids, opens_at__gte=now - LOOKBACK - timedelta(days=2)
    ).values_list("patient_id", "key"):
        keys[patient_id].add(key)

    def local_date(moment: datetime | None, patient_id: int) -> date | None:
        return None if moment is None else moment.astimezone(zones[patient_id]).date()

    return {
        pk: Facts(
            course=courses.get(pk),
            maintenance_started_on=local_date(
                maintenance_start.get(pk) or last_induction.get(pk), pk
            ),
            induction_sessions_at=tuple(inductions[pk]),
            daily_check=pk in daily,
            p_relapse_28d=risk.get(pk),
            early_warning_open=pk in warned,
            last_high_phq9_at=high.get(pk),
            known_keys=frozenset(keys[pk]),
        )
        for pk in ids
    }
