"""What a progress report shows: one patient's rows of a period, and the core's facts.

The facts come from the core's one definition: response and remission at the end of
induction (`lasting_core.definitions.track_relapse`) and the durability of each interval
between sessions (`lasting_core.analytics.episodes.durability_intervals`), both run on
the engine's day numbers as the risk app reads them (`lasting.risk.history`), so the
report, the engine and the clinic's analytics agree. They are judged on the patient's
whole history (an interval that began before the period still has its true start); the
period chooses which rows and intervals the report lists.

Nothing here reads the engine's assessments, forecasts, alerts or booster proposals: the
report is shown to nurses and to the patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.clocks import today_in
from lasting.accounts.models import Membership
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.checkins.models import Instrument, Response
from lasting.clinic.charts import Timeline
from lasting.patients.models import Patient
from lasting.patients.queries import get_patient_for
from lasting.plans.models import MaintenancePlan
from lasting.prevention.models import PlanVersion
from lasting.prevention.queries import find_current_plan
from lasting.risk.history import list_history_rows
from lasting.risk.services import history_of
from lasting.treatment.models import (
    LifeEvent,
    MedicationChange,
    MonitoringForm,
    SessionKind,
    TherapyEvent,
    TreatmentSession,
)
from lasting_core.analytics.episodes import durability_intervals
from lasting_core.daynumbers import date_of_day
from lasting_core.definitions import track_relapse

# The scales a report lists, in this order; the daily check and pain NRS are not part of
# the depression course the report is about.
REPORTED_INSTRUMENTS = (Instrument.PHQ9, Instrument.GAD7, Instrument.PCL5)
REPORT_OBJECT = "ProgressReport"


class PeriodError(ValueError):
    """A period the report cannot show, with the reason in words for the reader."""


@dataclass(frozen=True)
class Period:
    """Calendar days on the patient's clock, both ends included."""

    first_on: date
    last_on: date

    def holds(self, day: date) -> bool:
        return self.first_on <= day <= self.last_on

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as aware instants: its first midnight and the midnight after it."""
        return (
            datetime.combine(self.first_on, time.min, tzinfo=zone),
            datetime.combine(self.last_on + timedelta(days=1), time.min, tzinfo=zone),
        )


def parse_period(first_text: str, last_text: str, default: Period) -> Period:
    """Read `?from=YYYY-MM-DD&to=YYYY-MM-DD`; a missing end keeps the default's."""
    first_on = _parse_day(first_text, "from") if first_text else default.first_on
    last_on = _parse_day(last_text, "to") if last_text else default.last_on
    if first_on > last_on:
        raise PeriodError(
            f"The period starts on {first_on.isoformat()}, after it ends on {last_on.isoformat()}."
        )
    return Period(first_on, last_on)


def _parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(
            f"'{name}' must be a date written YYYY-MM-DD, such as 2026-03-31; got {text[:40]!r}."
        ) from None


@dataclass(frozen=True)
class InductionOutcome:
    """Response and remission at the end of induction, from the core's definitions.

    `responded` and `remitted` are None while the induction series may continue or
    without a baseline and an end-of-induction PHQ-9.
    """

    baseline: float | None
    baseline_on: date | None
    end_score: float | None
    end_on: date | None
    responded: bool | None
    remitted: bool | None


@dataclass(frozen=True)
class ReliefInterval:
    """One durability interval on the patient's calendar."""

    started_on: date
    ended_on: date
    days: int
    started_by: SessionKind
    relapsed: bool
    ended_by: str  # "relapse", a session kind, or "censored" (still in response)

    @property
    def still_lasting(self) -> bool:
        return self.ended_by == "censored"

    @property
    def ended_by_session(self) -> SessionKind | None:
        return SessionKind(self.ended_by) if self.ended_by in SessionKind.values else None


@dataclass(frozen=True)
class ProgressReport:
    """Everything a progress report shows, read once and already access-checked."""

    patient: Patient
    period: Period
    zone: ZoneInfo
    responses: Sequence[Response]
    sessions: Sequence[TreatmentSession]
    outcome: InductionOutcome
    intervals: Sequence[ReliefInterval]
    life_events: Sequence[LifeEvent]
    medication_changes: Sequence[MedicationChange]
    therapy_events: Sequence[TherapyEvent]
    maintenance_plan: MaintenancePlan | None
    prevention_plan: PlanVersion | None
    monitoring_forms: Sequence[MonitoringForm] = field(default=())

    def scores_of(self, instrument: Instrument) -> list[Response]:
        return [response for response in self.responses if response.instrument == instrument]

    @property
    def boosters(self) -> list[TreatmentSession]:
        return [session for session in self.sessions if session.kind == SessionKind.BOOSTER]

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def timeline(self) -> Timeline:
        """The clinician chart's input: scores, sessions and life context, never the
        engine's assessments, alerts or proposals."""
        return Timeline(
            zone=self.zone,
            responses=self.responses,
            sessions=self.sessions,
            life_events=self.life_events,
            medication_changes=self.medication_changes,
            therapy_events=self.therapy_events,
        )


def get_report_patient_for(membership: Membership | None, patient_id: int, actor: Actor) -> Patient:
    """The patient whose clinician report `membership` may read.

    Clinicians and nurses only (docs/reports.md#who-may-see-it): schedulers and admins
    are refused (403, audited); another organisation's patient answers 404.
    """
    if not rules.can_view_clinical_record(membership):
        record_event(
            actor, Action.READ, outcome=Outcome.DENIED, object_ref=(REPORT_OBJECT, patient_id)
        )
        raise PermissionDenied("Your role does not see progress reports.")
    return get_patient_for(membership, patient_id, actor=actor)


def default_period(patient: Patient, now: datetime | None = None) -> Period:
    """The whole course: from the patient's first course, session or score to today on the
    patient's clock."""
    zone = ZoneInfo(patient.time_zone)
    today = today_in(patient.time_zone, now)
    starts = [
        day
        for day in (
            patient.courses.order_by("number").values_list("started_on", flat=True).first(),
            _first_local_day(patient.responses.order_by("observed_at"), "observed_at", zone),
            _first_local_day(patient.sessions.order_by("started_at"), "started_at", zone),
        )
        if day is not None
    ]
    first_on = min(starts) if starts else today
    return Period(min(first_on, today), today)


def _first_local_day(rows: QuerySet[Any], name: str, zone: ZoneInfo) -> date | None:
    moment = rows.values_list(name, flat=True).first()
    return moment.astimezone(zone).date() if isinstance(moment, datetime) else None


def read_report(patient: Patient, period: Period, now: datetime | None = None) -> ProgressReport:
    """Read the patient's report for `period` (the caller checked access)."""
    now = now or timezone.now()
    zone = ZoneInfo(patient.time_zone)
    start, end = period.bounds(zone)
    own = {"patient": patient, "organization_id": patient.organization_id}
    responses = list(
        Response.objects.filter(
            **own,
            instrument__in=REPORTED_INSTRUMENTS,
            valid=True,
            total__isnull=False,
            observed_at__gte=start,
            observed_at__lt=end,
        ).order_by("observed_at")
    )
    sessions = list(
        TreatmentSession.objects.filter(**own, started_at__gte=start, started_at__lt=end)
        .select_related("location", "monitoring_form")
        .order_by("started_at")
    )
    outcome, intervals = read_course_facts(patient, now)
    return ProgressReport(
        patient=patient,
        period=period,
        zone=zone,
        responses=responses,
        sessions=sessions,
        outcome=outcome,
        intervals=[
            interval
            for interval in intervals
            if interval.started_on <= period.last_on and interval.ended_on >= period.first_on
        ],
        life_events=list(
            LifeEvent.objects.filter(
                **own, occurred_on__range=(period.first_on, period.last_on)
            ).order_by("occurred_on", "pk")
        ),
        medication_changes=list(
            MedicationChange.objects.filter(
                **own, changed_on__range=(period.first_on, period.last_on)
            ).order_by("changed_on", "pk")
        ),
        therapy_events=list(
            TherapyEvent.objects.filter(
                **own, occurred_on__range=(period.first_on, period.last_on)
            ).order_by("occurred_on", "pk")
        ),
        maintenance_plan=MaintenancePlan.objects.filter(**own).first(),
        prevention_plan=find_current_plan(patient),
        monitoring_forms=[session.monitoring_form for session in sessions if _has_form(session)],
    )


def _has_form(session: TreatmentSession) -> bool:
    try:
        return session.monitoring_form is not None
    except MonitoringForm.DoesNotExist:
        return False


def read_course_facts(
    patient: Patient, now: datetime
) -> tuple[InductionOutcome, list[ReliefInterval]]:
    """Run the core's definitions on the patient's whole history as engine day numbers.

    1. Read the history as the engine does (`list_history_rows`, the patient's clock).
    2. `track_relapse`: baseline, the end-of-induction PHQ-9, response and remission.
    3. `durability_intervals`, the latest interval censored at the latest PHQ-9 (relief
       cannot be known to last past the last time it was measured).
    """
    history = history_of(list_history_rows([patient], now)[patient.pk])
    course = track_relapse(history.phq9, history.sessions, history.events)
    outcome = InductionOutcome(
        baseline=course.baseline,
        baseline_on=_date_or_none(course.baseline_day),
        end_score=course.end_of_induction_score,
        end_on=_date_or_none(course.end_of_induction_day),
        responded=course.responded_at_end_of_induction,
        remitted=course.remitted_at_end_of_induction,
    )
    last_phq9_day = history.phq9[-1][0] if history.phq9 else None
    intervals = [
        ReliefInterval(
            started_on=date_of_day(interval.start_day),
            ended_on=date_of_day(interval.end_day),
            days=int(interval.days),
            started_by=SessionKind(str(interval.started_by)),
            relapsed=interval.relapsed,
            ended_by=interval.ended_by,
        )
        for interval in durability_intervals(
            history.phq9, history.sessions, history.events, censor_at=last_phq9_day
        )
    ]
    return outcome, intervals


def _date_or_none(day: float | None) -> date | None:
    return date_of_day(day) if day is not None else None
