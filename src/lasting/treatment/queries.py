"""Reads of sessions, REMS monitoring forms, life events, medication changes and therapy,
scoped to the reader's organisation and role."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from lasting.accounts import rules
from lasting.accounts.clocks import today_in
from lasting.accounts.models import Membership, Organization
from lasting.patients.models import Patient
from lasting.treatment.models import (
    LifeEvent,
    MedicationChange,
    MonitoringForm,
    Route,
    TherapyEvent,
    TreatmentSession,
    VitalSign,
)
from lasting_core.sessions import (
    Reading,
    ReadingPhase,
    RemsBloodPressures,
    is_form_overdue,
    rems_blood_pressures,
)

# The to-do list also shows what was submitted lately, so a mistaken entry can be seen.
RECENTLY_SUBMITTED_DAYS = 14


def organization_today(organization: Organization, now: datetime) -> date:
    """Today on the organisation's clock (the REMS counts the clinic's calendar days)."""
    return today_in(organization.time_zone, now)


def find_previous_esketamine_session(patient: Patient) -> TreatmentSession | None:
    """The patient's latest esketamine session, whose REMS answers carry over."""
    return (
        TreatmentSession.objects.filter(
            patient=patient,
            organization_id=patient.organization_id,
            route=Route.INTRANASAL_ESKETAMINE,
        )
        .order_by("-started_at")
        .first()
    )


@dataclass(frozen=True)
class FormRow:
    """One REMS patient-monitoring form on the staff's to-do list."""

    form: MonitoringForm
    overdue: bool
    days_left: int

    @property
    def days_late(self) -> int:
        return -self.days_left


def monitoring_forms_for(membership: Membership | None) -> QuerySet[MonitoringForm]:
    if not rules.can_file_monitoring_forms(membership):
        raise PermissionDenied("Your role does not file REMS monitoring forms.")
    return MonitoringForm.objects.filter(organization_id=membership.organization_id)


def list_due_forms_for(membership: Membership | None, *, now: datetime) -> list[FormRow]:
    """Forms not yet submitted, the most overdue first (due = session day + 7, clinic clock)."""
    forms = monitoring_forms_for(membership)
    assert membership is not None
    today = organization_today(membership.organization, now)
    pending = (
        forms.filter(submitted_on__isnull=True)
        .select_related("patient", "session", "session__monitoring_clinician")
        .order_by("due_on", "session__started_at")
    )
    return [
        FormRow(form, is_form_overdue(form.due_on, today=today), (form.due_on - today).days)
        for form in pending
    ]


def list_submitted_forms_for(
    membership: Membership | None, *, now: datetime
) -> list[MonitoringForm]:
    """Forms recorded as submitted in the last two weeks, the latest first."""
    forms = monitoring_forms_for(membership)
    assert membership is not None
    since = organization_today(membership.organization, now) - timedelta(
        days=RECENTLY_SUBMITTED_DAYS
    )
    return list(
        forms.filter(submitted_on__gte=since)
        .select_related("patient", "session", "submitted_by")
        .order_by("-submitted_on", "-submission_recorded_at")
    )


def get_form_for(membership: Membership | None, session_id: int) -> MonitoringForm:
    """The monitoring form of a session the member may see; 404 for anyone else's."""
    try:
        return (
            monitoring_forms_for(membership)
            .select_related(
                "patient",
                "submitted_by",
                "session__organization",
                "session__location",
                "session__monitoring_clinician",
                "session__recorded_by",
            )
            .get(session_id=session_id)
        )
    except MonitoringForm.DoesNotExist as missing:
        raise Http404("No such monitoring form.") from missing


def reading_of(vital: VitalSign) -> Reading:
    return Reading(
        phase=ReadingPhase(vital.phase),
        measured_at=vital.measured_at,
        systolic_mmhg=vital.systolic_mmhg,
        diastolic_mmhg=vital.diastolic_mmhg,
        heart_rate_bpm=vital.heart_rate_bpm,
        spo2_percent=vital.spo2_percent,
    )


def rems_pressures_of(session: TreatmentSession) -> RemsBloodPressures:
    """The session's blood pressures at the three points the REMS form asks for."""
    return rems_blood_pressures(
        session.started_at, [reading_of(vital) for vital in session.vitals.all()]
    )


# Life events, medication changes and therapy -----------------------------------------


@dataclass(frozen=True)
class LifeEventRow:
    """A stressful life event: the patient's calendar date, weight 1-3, `LifeEventKind`."""

    occurred_on: date
    weight: int
    kind: str
    source: str


@dataclass(frozen=True)
class MedicationChangeRow:
    """A medication change: `MedicationChangeKind`, `DrugClass`, name and dose as written."""

    changed_on: date
    change: str
    drug_class: str
    drug_name: str
    dose_text: str
    source: str


@dataclass(frozen=True)
class TherapyRow:
    """Therapy: `TherapyEventKind` (start, session, stop) and the therapy named."""

    occurred_on: date
    kind: str
    therapy: str
    source: str


@dataclass(frozen=True)
class LifeContext:
    """One patient's life events, medication changes and therapy, each oldest first."""

    life_events: tuple[LifeEventRow, ...] = ()
    medication_changes: tuple[MedicationChangeRow, ...] = ()
    therapy: tuple[TherapyRow, ...] = ()


@dataclass
class _Collecting:
    life_events: list[LifeEventRow] = field(default_factory=list)
    medication_changes: list[MedicationChangeRow] = field(default_factory=list)
    therapy: list[TherapyRow] = field(default_factory=list)

    def freeze(self) -> LifeContext:
        return LifeContext(
            tuple(self.life_events), tuple(self.medication_changes), tuple(self.therapy)
        )


def list_life_context(
    organization_id: int,
    patient_ids: Iterable[int] | None = None,
    *,
    until: date | None = None,
) -> dict[int, LifeContext]:
    """Return each patient's life context by patient id, in three queries for any number.

    For the engine's wiring (`lasting.risk`), which reads on the system's behalf, and
    below `list_life_context_for`. Dates are calendar dates on the patient's own clock,
    as entered, so `lasting_core.daynumbers.day_number(row.occurred_on)` is the engine's
    day; `until` leaves out what falls after a day (a replay's "today"). Only patients
    with at least one row are keys.
    """
    scope = Q(organization_id=organization_id)
    if patient_ids is not None:
        scope &= Q(patient_id__in=list(patient_ids))
    return _read_life_context(scope, until)


def list_life_context_of(
    patients: Sequence[Patient], *, until: date | None = None
) -> dict[int, LifeContext]:
    """The same for patients already read (the engine's history reader's shape), each
    row held to its patient's organisation."""
    scope = Q(pk__in=[])
    for organization_id in {patient.organization_id for patient in patients}:
        ids = [patient.pk for patient in patients if patient.organization_id == organization_id]
        scope |= Q(organization_id=organization_id, patient_id__in=ids)
    return _read_life_context(scope, until)


def _read_life_context(scope: Q, until: date | None) -> dict[int, LifeContext]:
    collected: dict[int, _Collecting] = {}
    events = LifeEvent.objects.filter(scope).order_by("patient_id", "occurred_on", "pk")
    changes = MedicationChange.objects.filter(scope).order_by("patient_id", "changed_on", "pk")
    therapy = TherapyEvent.objects.filter(scope).order_by("patient_id", "occurred_on", "pk")
    if until is not None:
        events = events.filter(occurred_on__lte=until)
        changes = changes.filter(changed_on__lte=until)
        therapy = therapy.filter(occurred_on__lte=until)
    for patient_id, day, weight, kind, source in events.values_list(
        "patient_id", "occurred_on", "weight", "kind", "source"
    ):
        collected.setdefault(patient_id, _Collecting()).life_events.append(
            LifeEventRow(day, weight, kind, source)
        )
    for patient_id, day, change, drug_class, drug_name, dose_text, source in changes.values_list(
        "patient_id", "changed_on", "change", "drug_class", "drug_name", "dose_text", "source"
    ):
        collected.setdefault(patient_id, _Collecting()).medication_changes.append(
            MedicationChangeRow(day, change, drug_class, drug_name, dose_text, source)
        )
    for patient_id, day, kind, name, source in therapy.values_list(
        "patient_id", "occurred_on", "kind", "therapy", "source"
    ):
        collected.setdefault(patient_id, _Collecting()).therapy.append(
            TherapyRow(day, kind, name, source)
        )
    return {patient_id: rows.freeze() for patient_id, rows in sorted(collected.items())}


def list_life_context_for(
    membership: Membership | None, patient_ids: Iterable[int] | None = None
) -> dict[int, LifeContext]:
    """The member's organisation's life context (the clinical record: clinicians and
    nurses only; schedulers and admins are refused)."""
    if not rules.can_view_clinical_record(membership):
        raise PermissionDenied("Your role does not see the clinical record.")
    return list_life_context(membership.organization_id, patient_ids)
