"""Patients, their courses, their maintenance plan and their relapse-prevention plan
(read only)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from lasting.accounts import rules
from lasting.api.access import audit_list, audit_read, require
from lasting.api.auth import caller
from lasting.api.paging import DEFAULT_LIMIT, paginate
from lasting.api.schemas import (
    CoursePage,
    MaintenancePlanOut,
    PathId,
    PatientClinical,
    PatientOut,
    PatientPage,
    PreventionPlanOut,
)
from lasting.audit.models import Action
from lasting.patients.models import Patient
from lasting.patients.queries import get_patient_for, list_patients_for, search_patients_for
from lasting.plans.services import plan_or_default
from lasting.prevention.queries import get_plan_page_for

router = Router(tags=["patients"])

PLAN_SECTIONS = (
    "warning_signs",
    "coping_strategies",
    "people_and_places",
    "help_contacts",
    "professional_contacts",
    "safe_environment",
    "practice",
)


def patient_out(patient: Patient, *, clinical: bool) -> PatientOut:
    return PatientOut(
        id=patient.pk,
        record_number=patient.record_number,
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        email=patient.email,
        phone=patient.phone,
        preferred_language=patient.preferred_language,
        time_zone=patient.time_zone,
        location_id=patient.location_id,
        assigned_clinician_id=patient.assigned_clinician_id,
        clinical=PatientClinical(
            diagnoses=list(patient.diagnoses),
            concurrent_antidepressant=patient.concurrent_antidepressant,
            antidepressant_name=patient.antidepressant_name,
            in_therapy=patient.in_therapy,
        )
        if clinical
        else None,
    )


@router.get("/patients", response=PatientPage, url_name="patients")
def list_patients(
    request: HttpRequest, q: str = "", cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> PatientPage:
    """Patients by family name; `q` searches name, record number, birth date or phone
    (at most 20 matches, no next page)."""
    membership, actor = caller(request)
    require(rules.can_view_patients(membership), actor, Action.READ, ("Patient", "list"))
    clinical = rules.can_view_clinical_record(membership)
    if q.strip():
        found = search_patients_for(membership, q)
        audit_list(actor, [p.pk for p in found], "api:patients", search=True)
        return PatientPage(items=[patient_out(p, clinical=clinical) for p in found], next=None)
    page = paginate(
        request, list_patients_for(membership), "family_name", cursor=cursor, limit=limit
    )
    audit_list(actor, [p.pk for p in page.rows], "api:patients")
    return PatientPage(items=[patient_out(p, clinical=clinical) for p in page.rows], next=page.next)


@router.get("/patients/{patient_id}", response=PatientOut, url_name="patient")
def read_patient(request: HttpRequest, patient_id: PathId) -> PatientOut:
    membership, actor = caller(request)
    require(rules.can_view_patients(membership), actor, Action.READ, ("Patient", patient_id))
    patient = get_patient_for(membership, patient_id, actor=actor)
    audit_read(actor, patient, patient.pk, patient.organization_id)
    return patient_out(patient, clinical=rules.can_view_clinical_record(membership))


@router.get("/patients/{patient_id}/courses", response=CoursePage, url_name="courses")
def list_courses(
    request: HttpRequest, patient_id: PathId, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> CoursePage:
    """The patient's treatment courses, first first."""
    membership, actor = caller(request)
    require(rules.can_view_clinical_record(membership), actor, Action.READ, ("Course", patient_id))
    patient = get_patient_for(membership, patient_id, actor=actor)
    page = paginate(request, patient.courses.all(), "number", cursor=cursor, limit=limit)
    audit_list(actor, [patient.pk], "api:courses")
    return CoursePage(items=page.rows, next=page.next)  # type: ignore[arg-type]


@router.get("/patients/{patient_id}/prevention-plan", response=PreventionPlanOut, url_name="plan")
def read_prevention_plan(request: HttpRequest, patient_id: PathId) -> PreventionPlanOut:
    """The current relapse-prevention plan (Stanley-Brown sections and tracked items);
    `number` null when the patient has none yet."""
    membership, actor = caller(request)
    plan = get_plan_page_for(membership, patient_id, actor=actor)
    shown = plan.shown
    return PreventionPlanOut(
        patient_id=plan.patient.pk,
        number=shown.number if shown else None,
        created_at=shown.created_at if shown else None,
        sections={name: getattr(shown, name) for name in PLAN_SECTIONS} if shown else {},
        items=list(shown.items) if shown else [],
    )


@router.get(
    "/patients/{patient_id}/maintenance-plan",
    response=MaintenancePlanOut,
    url_name="maintenance_plan",
)
def read_maintenance_plan(request: HttpRequest, patient_id: PathId) -> MaintenancePlanOut:
    """The booster policy and its settings (clinicians only, as on the plan's page);
    `updated_at` null while the patient has the clinic's defaults."""
    membership, actor = caller(request)
    require(
        rules.can_decide_boosters(membership), actor, Action.READ, ("MaintenancePlan", patient_id)
    )
    patient = get_patient_for(membership, patient_id, actor=actor)
    plan = plan_or_default(patient)
    audit_read(actor, plan, patient.pk, patient.organization_id)
    return MaintenancePlanOut(
        patient_id=patient.pk,
        policy=plan.policy,
        probability_threshold=plan.probability_threshold,
        min_spacing_days=plan.min_spacing_days,
        symptom_threshold=plan.symptom_threshold,
        fixed_interval_days=plan.fixed_interval_days,
        daily_check=plan.daily_check,
        updated_at=plan.updated_at if plan.pk else None,
    )
