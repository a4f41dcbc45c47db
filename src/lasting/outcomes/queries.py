"""Reads of the stored outcomes, access-checked and cached per organisation and filter.

The analytics page is aggregate only: clinicians and clinic admins (who read outcome
reports, never charts) see it; nurses and the front desk do not. Every read is held to
the reader's organisation. The report is cached under the organisation's outcome
version (`OutcomeVersion`, bumped by every refresh), so new rows are never hidden by an
old report. The cache is the database table every process shares (settings.CACHES): the
worker computes the unfiltered report right after each refresh (`warm_report_cache`),
so the page's first reader does not wait for the statistics.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Membership, Organization, Role
from lasting.accounts.rules import can_view_outcomes
from lasting.alerts.models import Alert, AlertKind
from lasting.checkins.models import Instrument, Response
from lasting.costs.outcomes import (
    BoosterSummary,
    ProposalCounts,
    count_booster_proposals,
    summarize_boosters,
)
from lasting.outcomes.building import UNKNOWN, severity_band
from lasting.outcomes.charts import durability_spec
from lasting.outcomes.models import CourseOutcome, OutcomeEpisode, OutcomeVersion
from lasting.outcomes.report import (
    COURSE_FIELDS,
    EPISODE_FIELDS,
    BurdenLine,
    CourseTuple,
    EpisodeTuple,
    OutcomeReport,
    build_report,
)
from lasting.outcomes.tables import Table, booster_table, report_tables
from lasting.patients.models import Course, Diagnosis, Patient, Phase
from lasting.risk.performance import AlertPerformance, find_alert_performance
from lasting.treatment.models import SessionKind
from lasting_core.analytics.anchors import DurabilityAnchor, anchors_for
from lasting_core.analytics.survival import DurabilityCurve, fit_kaplan_meier
from lasting_core.instruments import InstrumentCode, get_instrument

CACHE_SECONDS = 24 * 3600
# Below this many earlier episodes a clinic's own curve is not shown as an expectation.
FEW_SIMILAR = 20


@dataclass(frozen=True)
class OutcomeFilters:
    """Which episodes and courses the report counts (None: all)."""

    location_id: int | None = None
    clinician_id: int | None = None
    start_from: date | None = None
    start_to: date | None = None
    diagnosis: str | None = None

    def key(self) -> str:
        text = json.dumps(asdict(self), default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class OutcomeVersionInfo:
    version: int
    refreshed_at: datetime | None


def find_version(organization_id: int) -> OutcomeVersionInfo:
    row = (
        OutcomeVersion.objects.filter(organization_id=organization_id)
        .values_list("version", "refreshed_at")
        .first()
    )
    return OutcomeVersionInfo(*row) if row else OutcomeVersionInfo(0, None)


def _scoped(model: Any, organization_id: int, filters: OutcomeFilters, start_field: str) -> Any:
    rows = model.objects.filter(organization_id=organization_id)
    if filters.location_id is not None:
        rows = rows.filter(location_id=filters.location_id)
    if filters.clinician_id is not None:
        rows = rows.filter(clinician_id=filters.clinician_id)
    if filters.diagnosis:
        rows = rows.filter(diagnosis=filters.diagnosis)
    if filters.start_from is not None:
        rows = rows.filter(**{f"{start_field}__gte": filters.start_from})
    if filters.start_to is not None:
        rows = rows.filter(**{f"{start_field}__lte": filters.start_to})
    return rows


def list_episode_tuples(organization_id: int, filters: OutcomeFilters) -> list[EpisodeTuple]:
    rows = _scoped(OutcomeEpisode, organization_id, filters, "start_on")
    return list(rows.values_list(*EPISODE_FIELDS))


def list_course_tuples(organization_id: int, filters: OutcomeFilters) -> list[CourseTuple]:
    rows = _scoped(CourseOutcome, organization_id, filters, "started_on")
    return list(rows.values_list(*COURSE_FIELDS))


def compute_report(organization_id: int, filters: OutcomeFilters) -> OutcomeReport:
    """The report straight from the stored rows (no cache)."""
    return build_report(
        list_episode_tuples(organization_id, filters),
        list_course_tuples(organization_id, filters),
    )


def report_cache_key(organization_id: int, version: int, filters: OutcomeFilters) -> str:
    return f"outcomes:report:{organization_id}:v{version}:{filters.key()}"


@dataclass(frozen=True)
class OutcomePage:
    """What the page shows: the report, its tables, the curve's chart and the boosters."""

    report: OutcomeReport
    tables: dict[str, Table]
    chart_spec: dict[str, Any] | None
    boosters: BoosterSummary


# Boosters and cost are counted over the filters' dates, by default the last 12 months.
BOOSTER_WINDOW_DAYS = 365


def summarize_filtered_boosters(organization_id: int, filters: OutcomeFilters) -> BoosterSummary:
    """Boosters and cost per patient-year of the filtered patients over the filters' dates
    (default: the last 12 months on the clinic's clock)."""
    time_zone = Organization.objects.values_list("time_zone", flat=True).get(pk=organization_id)
    until_on = filters.start_to or today_in(time_zone)
    since_on = filters.start_from or until_on - timedelta(days=BOOSTER_WINDOW_DAYS)
    patient_ids: list[int] | None = None
    if filters.location_id or filters.clinician_id or filters.diagnosis:
        scope = OutcomeFilters(
            filters.location_id, filters.clinician_id, None, None, filters.diagnosis
        )
        courses = _scoped(CourseOutcome, organization_id, scope, "started_on")
        patient_ids = sorted(set(courses.values_list("patient_id", flat=True)))
    return summarize_boosters(organization_id, patient_ids, since_on, until_on)


def compute_page(organization_id: int, filters: OutcomeFilters) -> OutcomePage:
    report = compute_report(organization_id, filters)
    spec = durability_spec(report.overall, report.anchors) if report.overall else None
    boosters = summarize_filtered_boosters(organization_id, filters)
    tables = {**report_tables(report), "boosters": booster_table(boosters)}
    return OutcomePage(report, tables, spec, boosters)


def alert_burden(performance: AlertPerformance, organization: Organization) -> list[BurdenLine]:
    """Each alert kind over the replay's window, per patient-year in care: early warnings and
    disengagement as the engine's replay would have raised them (against the organisation's
    budgets), relapses as the relapse definition found them, safety alerts as raised."""
    years = performance.enrolled_patient_years
    safety = Alert.objects.filter(
        organization=organization,
        kind=AlertKind.SAFETY,
        opened_at__gte=performance.since_at,
        opened_at__lt=performance.until_at,
    ).count()

    def line(kind: AlertKind, alerts: int, budget: float | None, source: str) -> BurdenLine:
        rate = alerts / years if years else None
        return BurdenLine(kind.value, str(kind.label), alerts, rate, budget, source)

    return [
        line(
            AlertKind.EARLY_WARNING,
            performance.early_warning_episodes,
            organization.early_warning_budget_per_year,
            "replay",
        ),
        line(
            AlertKind.DISENGAGEMENT,
            performance.disengagement_alerts,
            organization.disengagement_budget_per_year,
            "replay",
        ),
        line(AlertKind.RELAPSE, performance.relapses, None, "relapse definition"),
        line(AlertKind.SAFETY, safety, None, "raised"),
    ]


@dataclass(frozen=True)
class AlertPerformanceView:
    """The engine's replay of the last 12 months, with the proposals of that window and
    each alert kind's rate against the clinic's budget."""

    performance: AlertPerformance
    proposals: ProposalCounts
    burden: list[BurdenLine]


def find_alert_performance_for(membership: Membership | None) -> AlertPerformanceView | None:
    """The latest stored replay of the member's organisation (None before the first)."""
    if not can_view_outcomes(membership):
        raise PermissionDenied("Your role does not see the clinic's outcome report.")
    performance = find_alert_performance(membership.organization_id)
    if performance is None:
        return None
    proposals = count_booster_proposals(
        membership.organization_id, None, performance.since_at, performance.until_at
    )
    burden = alert_burden(performance, membership.organization)
    return AlertPerformanceView(performance, proposals, burden)


def find_page_for(
    membership: Membership | None, filters: OutcomeFilters
) -> tuple[OutcomePage, OutcomeVersionInfo]:
    """The member's organisation's report under the filters, cached per data version."""
    if not can_view_outcomes(membership):
        raise PermissionDenied("Your role does not see the clinic's outcome report.")
    organization_id = membership.organization_id
    version = find_version(organization_id)
    key = report_cache_key(organization_id, version.version, filters)
    page = cache.get(key)
    if page is None:
        page = compute_page(organization_id, filters)
        cache.set(key, page, CACHE_SECONDS)
    return page, version


def warm_report_cache(organization_id: int) -> None:
    """Compute the unfiltered report of the current version into the shared cache (the
    worker runs this after each refresh; a filtered view is computed on first request)."""
    version = find_version(organization_id)
    filters = OutcomeFilters()
    key = report_cache_key(organization_id, version.version, filters)
    cache.set(key, compute_page(organization_id, filters), CACHE_SECONDS)


# What to expect ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """How long the benefit lasted for earlier, similar patients of this clinic."""

    diagnosis: str
    severity: str  # a PHQ-9 band code, or "unknown" without a PHQ-9 yet
    n: int
    curve: DurabilityCurve | None  # None below FEW_SIMILAR episodes
    anchors: tuple[DurabilityAnchor, ...]

    @property
    def too_few(self) -> bool:
        return self.curve is None

    @property
    def diagnosis_label(self) -> str:
        return str(dict(Diagnosis.choices).get(self.diagnosis, self.diagnosis))

    @property
    def severity_label(self) -> str:
        if self.severity == UNKNOWN:
            return "unknown (no PHQ-9 yet)"
        bands = get_instrument(InstrumentCode.PHQ9).bands
        return next((b.label for b in bands if b.code == self.severity), self.severity).lower()


def latest_phq9_total(patient: Patient) -> float | None:
    total = (
        Response.objects.filter(patient=patient, instrument=Instrument.PHQ9, valid=True)
        .exclude(total=None)
        .order_by("-observed_at")
        .values_list("total", flat=True)
        .first()
    )
    return None if total is None else float(total)


def find_expectation_for(
    membership: Membership | None, patient: Patient, phase: str | None
) -> Expectation | None:
    """For a patient in evaluation, seen by a clinician: the durability after induction of
    earlier patients of the clinic with the same diagnosis group and baseline severity
    band (episodes started by the end of an induction series). None otherwise."""
    if phase != Phase.EVALUATION or membership is None or membership.role != Role.CLINICIAN:
        return None
    if not membership.is_active or membership.organization_id != patient.organization_id:
        return None
    diagnosis = str(patient.diagnoses[0]) if patient.diagnoses else "other"
    severity = severity_band(latest_phq9_total(patient))
    rows = OutcomeEpisode.objects.filter(
        organization_id=patient.organization_id,
        diagnosis=diagnosis,
        started_by=SessionKind.INDUCTION,
    ).exclude(patient_id=patient.pk)
    if severity != UNKNOWN:
        rows = rows.filter(severity=severity)
    pairs = list(rows.values_list("days", "relapsed"))
    curve = None
    if len(pairs) >= FEW_SIMILAR:
        curve = fit_kaplan_meier([d for d, _ in pairs], [bool(e) for _, e in pairs])
    return Expectation(diagnosis, severity, len(pairs), curve, anchors_for(diagnosis))


def expectation_context_for(
    membership: Membership | None, patient: Patient, course: object
) -> dict[str, object]:
    """The clinic patient page's "what to expect" section, for the patient's current
    course (empty outside evaluation)."""
    phase = course.phase if isinstance(course, Course) else None
    expectation = find_expectation_for(membership, patient, phase)
    if expectation is None:
        return {"expectation": None}
    spec = (
        durability_spec(expectation.curve, expectation.anchors)
        if expectation.curve is not None
        else None
    )
    return {"expectation": expectation, "expectation_spec": spec}
