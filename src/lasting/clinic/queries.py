"""The caseload: one query for the whole list, sorted by who needs attention."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from lasting.accounts.models import Membership
from lasting.alerts.models import UNRESOLVED, Alert, AlertKind, AlertStatus, Priority
from lasting.checkins.models import CheckIn, Instrument, Response
from lasting.clinic.bands import DEFAULT_BANDS, RiskBand, RiskBands, risk_bands_for
from lasting.outreach.models import OutreachAttempt, OutreachChannel, OutreachOutcome
from lasting.outreach.pauses import pause_running
from lasting.patients.models import Course, Patient, Phase
from lasting.patients.queries import ACTIVE_PHASES, current_phase, list_patients_for
from lasting.risk.models import RiskAssessment
from lasting.treatment.models import MonitoringForm, SessionKind, TreatmentSession
from lasting.treatment.queries import organization_today
from lasting_core.definitions import classify_change
from lasting_core.instruments import InstrumentCode, get_instrument

PHASE_ORDER = {
    Phase.INDUCTION: 0,
    Phase.MAINTENANCE: 1,
    Phase.EVALUATION: 2,
    Phase.DISCONTINUED: 3,
    Phase.COMPLETED: 4,
}
PHQ9_BAND_RANK: dict[str, int] = {
    band.code: rank for rank, band in enumerate(get_instrument(InstrumentCode.PHQ9).bands)
}


# The trend compares today's estimate with the one a week earlier; smaller moves are noise.
TREND_DAYS = 7
TREND_MIN_CHANGE = 0.05
ENGINE_ALERT_RANK = {AlertKind.RELAPSE: 3, AlertKind.EARLY_WARNING: 2, AlertKind.DISENGAGEMENT: 1}


@dataclass(frozen=True)
class CaseloadFilter:
    """What the caseload is narrowed to; empty fields do not narrow it."""

    location_id: int | None = None
    clinician_id: int | None = None
    phase: str = ""  # a Phase value, or "active" for evaluation, induction and maintenance
    risk: str = ""  # a RiskBand value (clinicians only: the only role that sees risk)


@dataclass(frozen=True)
class CaseloadPatient:
    """What a caseload row shows of a patient: read as plain values, not model objects,
    so that sorting ten thousand rows costs no more than the query."""

    pk: int
    given_name: str
    family_name: str
    record_number: str
    phone: str
    email: str
    clinician_name: str


PATIENT_VALUES = (
    "pk",
    "given_name",
    "family_name",
    "record_number",
    "phone",
    "email",
    "assigned_clinician__first_name",
    "assigned_clinician__last_name",
    "assigned_clinician__username",
)


def caseload_patient(values: dict[str, object]) -> CaseloadPatient:
    first = values["assigned_clinician__first_name"] or ""
    last = values["assigned_clinician__last_name"] or ""
    full_name = f"{first} {last}"
    return CaseloadPatient(
        pk=int(str(values["pk"])),
        given_name=str(values["given_name"]),
        family_name=str(values["family_name"]),
        record_number=str(values["record_number"]),
        phone=str(values["phone"]),
        email=str(values["email"]),
        clinician_name=full_name.strip() or str(values["assigned_clinician__username"] or ""),
    )


@dataclass(frozen=True)
class CaseloadRow:
    patient: CaseloadPatient
    urgent_alerts: int
    # Unresolved safety alerts: acknowledged ones count until a contact outcome closes them.
    open_alerts: int
    latest_phq9: float | None
    latest_phq9_band: str
    latest_phq9_band_label: str
    latest_phq9_at: datetime | None
    baseline_phq9: float | None
    last_session_at: datetime | None
    phase: str
    # Unresolved safety alerts that nobody has acknowledged yet.
    unacknowledged_alerts: int = 0
    # REMS patient-monitoring forms past their due day and not yet submitted.
    overdue_monitoring_forms: int = 0
    # The engine's view (clinicians only): P(relapse within 28 days) today and a week ago,
    # and the most pressing open engine alert (relapse, early warning, disengagement).
    p_relapse_28d: float | None = None
    p_relapse_28d_week_ago: float | None = None
    engine_alert: str = ""
    bands: RiskBands = DEFAULT_BANDS

    @classmethod
    def without_clinical(cls, patient: CaseloadPatient, phase: str) -> CaseloadRow:
        """A row for a role that sees no clinical record: the patient and the phase."""
        return cls(
            patient=patient,
            urgent_alerts=0,
            open_alerts=0,
            latest_phq9=None,
            latest_phq9_band="",
            latest_phq9_band_label="",
            latest_phq9_at=None,
            baseline_phq9=None,
            last_session_at=None,
            phase=phase,
        )

    @property
    def change_from_baseline(self) -> float | None:
        if self.latest_phq9 is None or self.baseline_phq9 is None:
            return None
        return self.latest_phq9 - self.baseline_phq9

    @property
    def change_kind(self) -> str:
        """Reliable worsening or improvement since baseline by the core's PHQ-9 rule."""
        if self.latest_phq9 is None or self.baseline_phq9 is None:
            return ""
        return classify_change("phq9", self.baseline_phq9, self.latest_phq9).kind

    @property
    def risk_band(self) -> RiskBand:
        return self.bands.band(self.p_relapse_28d)

    @property
    def risk_trend(self) -> str:
        """ "up", "down" or "" (steady, or no estimate a week ago)."""
        now, before = self.p_relapse_28d, self.p_relapse_28d_week_ago
        if now is None or before is None or abs(now - before) < TREND_MIN_CHANGE:
            return ""
        return "up" if now > before else "down"

    def days_since_last_session(self, now: datetime) -> int | None:
        return None if self.last_session_at is None else (now - self.last_session_at).days

    @property
    def phase_label(self) -> str:
        return str(Phase(self.phase).label) if self.phase else "—"


def _latest_phq9(field: str) -> Subquery:
    return Subquery(
        Response.objects.filter(patient=OuterRef("pk"), instrument=Instrument.PHQ9, valid=True)
        .order_by("-observed_at")
        .values(field)[:1]
    )


def _rank(field: str, ranks: Mapping[Any, int], default: int) -> Case:
    """A CASE expression giving each listed value of `field` its rank."""
    return Case(
        *(When(**{field: value}, then=Value(rank)) for value, rank in ranks.items()),
        default=Value(default),
        output_field=IntegerField(),
    )


# The need order, most pressing first: unresolved safety alerts (urgent first, then those
# nobody has acknowledged), then patients in active care before those whose course ended
# (a severe score from a patient who left months ago is history, not today's work; an open
# safety alert still lifts them to the top), open engine alerts (relapse, early warning,
# disengagement), PHQ-9 band, the 28-day relapse risk, worsening since baseline, the longest
# since a session, phase, and the name. Rows read without the engine's view have no engine
# alert or risk, and rows read without safety alerts count none, so neither shapes the
# order (nor can the order reveal them).
NEED_ORDER = (
    "-urgent_alerts",
    "-unacknowledged_alerts",
    "-open_alerts",
    "ended",
    "-engine_rank",
    "-band_rank",
    "-p28_key",
    "-change_key",
    F("last_session_at").asc(nulls_last=True),
    "phase_rank",
    "family_name",
    "given_name",
    "pk",
)
ENGINE_VALUES = ("p28", "p28_week_ago", "engine_rank")
CLINICAL_VALUES = (
    "urgent_alerts",
    "open_alerts",
    "unacknowledged_alerts",
    "latest_phq9",
    "latest_phq9_band",
    "latest_phq9_band_label",
    "latest_phq9_at",
    "baseline_phq9",
    "last_session_at",
    "phase",
    "overdue_monitoring_forms",
)
ENGINE_ALERT_BY_RANK = {rank: kind for kind, rank in ENGINE_ALERT_RANK.items()}


class Caseload:
    """Every patient a member may see, narrowed by the filters and sorted by need in the
    database, so a page of the most pressing costs the same whatever the clinic's size."""

    def __init__(
        self,
        patients: QuerySet[Patient],
        *,
        clinical: bool,
        risk: bool,
        bands: RiskBands = DEFAULT_BANDS,
    ) -> None:
        self._patients = patients
        self._clinical = clinical
        self._risk = risk
        self._bands = bands

    def count(self) -> int:
        return self._patients.count()

    def rows(self, start: int = 0, stop: int | None = None) -> list[CaseloadRow]:
        if not self._clinical:
            return [
                CaseloadRow.without_clinical(caseload_patient(values), str(values["phase"] or ""))
                for values in self._patients.values(*PATIENT_VALUES, "phase")[start:stop]
            ]
        names = (*PATIENT_VALUES, *CLINICAL_VALUES, *(ENGINE_VALUES if self._risk else ()))
        return [
            caseload_row(values, self._bands)
            for values in self._patients.values(*names)[start:stop]
        ]


def caseload_row(values: dict[str, Any], bands: RiskBands = DEFAULT_BANDS) -> CaseloadRow:
    return CaseloadRow(
        bands=bands,
        patient=caseload_patient(values),
        p_relapse_28d=values.get("p28"),
        p_relapse_28d_week_ago=values.get("p28_week_ago"),
        engine_alert=str(ENGINE_ALERT_BY_RANK.get(values.get("engine_rank") or 0, "")),
        urgent_alerts=values["urgent_alerts"],
        open_alerts=values["open_alerts"],
        latest_phq9=values["latest_phq9"],
        latest_phq9_band=values["latest_phq9_band"] or "",
        latest_phq9_band_label=values["latest_phq9_band_label"] or "",
        latest_phq9_at=values["latest_phq9_at"],
        baseline_phq9=values["baseline_phq9"],
        last_session_at=values["last_session_at"],
        phase=values["phase"] or "",
        unacknowledged_alerts=values["unacknowledged_alerts"],
        overdue_monitoring_forms=values["overdue_monitoring_forms"],
    )


def find_caseload_for(
    membership: Membership | None,
    *,
    now: datetime,
    assigned_to_id: int | None = None,
    filters: CaseloadFilter | None = None,
    include_alerts: bool = True,
    include_clinical: bool = True,
    include_risk: bool = False,
) -> Caseload:
    """Every visible patient with what the sort needs, most pressing first.

    Without `include_alerts` (roles that do not handle safety alerts) safety alerts
    neither show nor shape the order, so the order cannot reveal them either. Without
    `include_clinical` (schedulers) no score, session or REMS form is read and the list
    is in name order. Without `include_risk` (everyone but clinicians) the engine's
    estimates and alerts are neither read nor used, nor can the list be filtered by risk.
    """
    patients = list_patients_for(membership)
    assert membership is not None
    filters = filters or CaseloadFilter()
    if assigned_to_id is not None:
        patients = patients.filter(assigned_clinician_id=assigned_to_id)
    if filters.location_id is not None:
        patients = patients.filter(location_id=filters.location_id)
    if filters.clinician_id is not None:
        patients = patients.filter(assigned_clinician_id=filters.clinician_id)
    patients = patients.annotate(phase=current_phase())
    if filters.phase:
        patients = patients.filter(
            phase__in=ACTIVE_PHASES if filters.phase == "active" else [filters.phase]
        )
    if not include_clinical:
        return Caseload(
            patients.order_by("family_name", "given_name", "pk"), clinical=False, risk=False
        )
    # Acknowledging ("I have it") keeps the patient on top: only a contact outcome that
    # resolves the alert lets them down.
    open_safety = (
        Alert.objects.filter(patient=OuterRef("pk"), kind=AlertKind.SAFETY, status__in=UNRESOLVED)
        .order_by()
        .values("patient")
    )
    current_course = Subquery(
        Course.objects.filter(patient=OuterRef(OuterRef("pk"))).order_by("-number").values("pk")[:1]
    )
    # Baseline is per course: the last PHQ-9 before the current course's first induction.
    first_induction = (
        TreatmentSession.objects.filter(
            patient=OuterRef("pk"), kind=SessionKind.INDUCTION, course_id=current_course
        )
        .order_by("started_at")
        .values("started_at")[:1]
    )

    def open_safety_count(alerts: QuerySet[Alert, Any]) -> Expression:
        if not include_alerts:
            return Value(0, output_field=IntegerField())
        counted = alerts.annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    annotated = patients.annotate(
        urgent_alerts=open_safety_count(open_safety.filter(priority=Priority.URGENT)),
        open_alerts=open_safety_count(open_safety),
        unacknowledged_alerts=open_safety_count(open_safety.filter(status=AlertStatus.OPEN)),
        latest_phq9=_latest_phq9("total"),
        latest_phq9_band=_latest_phq9("band"),
        latest_phq9_band_label=_latest_phq9("band_label"),
        latest_phq9_at=_latest_phq9("observed_at"),
        first_induction_at=Subquery(first_induction),
        baseline_phq9=Subquery(
            Response.objects.filter(
                patient=OuterRef("pk"),
                instrument=Instrument.PHQ9,
                valid=True,
                # Same time counts as before the dose: the core's baseline rule.
                observed_at__lte=OuterRef("first_induction_at"),
            )
            .order_by("-observed_at")
            .values("total")[:1]
        ),
        last_session_at=Subquery(
            TreatmentSession.objects.filter(patient=OuterRef("pk"))
            .order_by("-started_at")
            .values("started_at")[:1]
        ),
        overdue_monitoring_forms=Coalesce(
            Subquery(
                MonitoringForm.objects.filter(
                    patient=OuterRef("pk"),
                    submitted_on__isnull=True,
                    due_on__lt=organization_today(membership.organization, now),
                )
                .order_by()
                .values("patient")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        ),
        ended=_rank("phase", {Phase.DISCONTINUED: 1, Phase.COMPLETED: 1}, 0),
        band_rank=_rank("latest_phq9_band", PHQ9_BAND_RANK, -1),
        change_key=Coalesce(
            F("latest_phq9") - F("baseline_phq9"), Value(-99.0), output_field=FloatField()
        ),
        phase_rank=_rank("phase", PHASE_ORDER, 9),
    )
    bands = DEFAULT_BANDS
    if include_risk:
        bands = risk_bands_for(membership.organization_id)
        today = organization_today(membership.organization, now)
        latest = RiskAssessment.objects.filter(patient=OuterRef("pk")).order_by("-assessed_on")
        # The most pressing open engine alert, as its rank (relapse 3 … disengagement 1).
        engine_alerts = (
            Alert.objects.filter(
                patient=OuterRef("pk"), status__in=UNRESOLVED, kind__in=list(ENGINE_ALERT_RANK)
            )
            .annotate(rank=_rank("kind", ENGINE_ALERT_RANK, 0))
            .order_by("-rank")
            .values("rank")[:1]
        )
        annotated = annotated.annotate(
            p28=Subquery(latest.values("p_relapse_28d")[:1]),
            p28_week_ago=Subquery(
                latest.filter(assessed_on__lte=today - timedelta(days=TREND_DAYS)).values(
                    "p_relapse_28d"
                )[:1]
            ),
            engine_rank=Coalesce(Subquery(engine_alerts, output_field=IntegerField()), 0),
        )
        if filters.risk:
            annotated = annotated.filter(bands.filter(filters.risk))
    else:
        annotated = annotated.annotate(
            p28=Value(None, output_field=FloatField()), engine_rank=Value(0)
        )
    annotated = annotated.annotate(
        p28_key=Coalesce(F("p28"), Value(-1.0), output_field=FloatField())
    )
    return Caseload(annotated.order_by(*NEED_ORDER), clinical=True, risk=include_risk, bands=bands)


def list_caseload_for(
    membership: Membership | None, *, now: datetime, **options: Any
) -> list[CaseloadRow]:
    """The whole caseload in need order (find_caseload_for, every row)."""
    return find_caseload_for(membership, now=now, **options).rows()


@dataclass(frozen=True)
class LastOutreach:
    """The latest attempt staff made to reach a quiet patient."""

    channel: str
    outcome: str
    recorded_at: datetime
    recorded_by: str

    @property
    def channel_label(self) -> str:
        return str(OutreachChannel(self.channel).label)

    @property
    def outcome_label(self) -> str:
        return str(OutreachOutcome(self.outcome).label)


@dataclass(frozen=True)
class QuietPatient:
    patient: Patient
    last_checkin_at: datetime | None
    phase: str
    last_outreach: LastOutreach | None = None
    # The last day of a reminder pause still running on the patient's today: a known
    # reason for the silence (their missed check-ins are excused), shown beside it.
    paused_until: date | None = None

    def days_quiet(self, now: datetime) -> int | None:
        return None if self.last_checkin_at is None else (now - self.last_checkin_at).days

    @property
    def phase_label(self) -> str:
        return str(Phase(self.phase).label) if self.phase else "—"


def list_quiet_patients_for(
    membership: Membership | None, *, now: datetime, quiet_days: int
) -> list[QuietPatient]:
    """Patients in active care with no check-in for `quiet_days` (none at all first).

    No data is not good news (docs/clinical.md#check-ins-and-reminders): these are the
    people to contact.
    """
    latest = Subquery(
        CheckIn.objects.filter(patient=OuterRef("pk"))
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    attempts = OutreachAttempt.objects.filter(patient=OuterRef("pk")).order_by(
        "-recorded_at", "-pk"
    )
    patients = (
        list_patients_for(membership)
        .select_related("assigned_clinician")
        .annotate(
            last_checkin_at=latest,
            phase=current_phase(),
            outreach_channel=Subquery(attempts.values("channel")[:1]),
            outreach_outcome=Subquery(attempts.values("outcome")[:1]),
            outreach_at=Subquery(attempts.values("recorded_at")[:1]),
            outreach_by_first=Subquery(attempts.values("recorded_by__first_name")[:1]),
            outreach_by_last=Subquery(attempts.values("recorded_by__last_name")[:1]),
            paused_until=F("contact_preference__paused_until"),
        )
        .filter(phase__in=ACTIVE_PHASES)
        .filter(
            Q(last_checkin_at__isnull=True)
            | Q(last_checkin_at__lt=now - timedelta(days=quiet_days))
        )
    )
    rows = [
        QuietPatient(
            p,
            p.last_checkin_at,
            p.phase or "",
            LastOutreach(
                p.outreach_channel,
                p.outreach_outcome,
                p.outreach_at,
                f"{p.outreach_by_first or ''} {p.outreach_by_last or ''}".strip(),
            )
            if p.outreach_at is not None
            else None,
            pause_running(p.paused_until, now, p.time_zone),
        )
        for p in patients
    ]
    rows.sort(key=lambda row: row.last_checkin_at or datetime.min.replace(tzinfo=UTC))
    return rows
