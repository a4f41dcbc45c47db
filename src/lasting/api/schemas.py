"""What the API answers and accepts; the field lists follow the roles of accounts/rules.py.

Schedulers get a patient's name, contact details and appointments, never clinical fields
(`PatientOut.clinical` is null for them); check-ins, sessions and courses are for the
clinical team; booster proposals (which carry the engine's forecast) for clinicians.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Path, Schema
from pydantic import Field

# A row id as the database can hold it (BigAutoField): a larger number answers 422, never
# a database error.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class PatientClinical(Schema):
    diagnoses: list[str]
    concurrent_antidepressant: bool
    antidepressant_name: str
    in_therapy: bool


class PatientOut(Schema):
    id: int
    record_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    email: str
    phone: str
    preferred_language: str
    time_zone: str
    location_id: int | None
    assigned_clinician_id: int | None
    clinical: PatientClinical | None = Field(None, description="Null for schedulers.")


class PatientPage(Schema):
    items: list[PatientOut]
    next: str | None


class ResponseOut(Schema):
    instrument: str
    instrument_version: str
    observed_at: datetime
    answers: dict[str, Any]
    total: float | None
    band: str
    valid: bool
    prorated: bool
    flags: list[Any]


class CheckInOut(Schema):
    id: int
    patient_id: int
    submitted_at: datetime
    source: str
    responses: list[ResponseOut]


class CheckInPage(Schema):
    items: list[CheckInOut]
    next: str | None


class CheckInIn(Schema):
    answers: dict[str, dict[str, int | None]] = Field(
        description='Answers per instrument and item, e.g. {"phq9": {"1": 2, …, "9": 0}}.',
        min_length=1,
    )
    submitted_at: datetime | None = Field(None, description="When answered (default: now).")
    note: str = Field("", max_length=2000)


class ContactAttemptOut(Schema):
    outcome: str
    recorded_at: datetime
    recorded_by_id: int | None


class AlertOut(Schema):
    id: int
    patient_id: int
    kind: str
    priority: str
    status: str
    reason: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: int | None
    resolved_at: datetime | None


class AlertPage(Schema):
    items: list[AlertOut]
    next: str | None


class ContactAttemptIn(Schema):
    outcome: str = Field(description="reached, left_message, emergency_services, unable_to_reach")
    note: str = Field(max_length=4000)


class ProposalOut(Schema):
    id: int
    patient_id: int
    policy: str
    status: str
    created_at: datetime
    earliest_on: date
    latest_on: date
    reason: str
    decided_at: datetime | None
    appointment_id: int | None


class ProposalPage(Schema):
    items: list[ProposalOut]
    next: str | None


class AcceptIn(Schema):
    starts_at: datetime
    location_id: RowId | None = None
    note: str = Field("", max_length=2000)


class MoveIn(Schema):
    earliest_on: date
    latest_on: date
    note: str = Field("", max_length=2000)


class DeclineIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class VitalOut(Schema):
    phase: str
    measured_at: datetime
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_bpm: int | None
    spo2_percent: int | None


class MonitoringFormOut(Schema):
    due_on: date
    submitted_on: date | None
    submission_reference: str


class SessionOut(Schema):
    id: int
    patient_id: int
    course_id: int
    kind: str
    route: str
    dose_mg: Decimal | None
    dose_mg_per_kg: Decimal | None
    lot_number: str
    started_at: datetime
    ended_at: datetime | None
    sedation: int | None
    dissociation: int | None
    respiratory_depression: bool
    serious_adverse_event: bool
    vitals: list[VitalOut]
    monitoring_form: MonitoringFormOut | None = Field(
        None, description="The esketamine REMS patient-monitoring form."
    )


class SessionPage(Schema):
    items: list[SessionOut]
    next: str | None


class VitalIn(Schema):
    phase: str
    measured_at: datetime
    systolic_mmhg: int | None = Field(None, ge=0, le=400)
    diastolic_mmhg: int | None = Field(None, ge=0, le=300)
    heart_rate_bpm: int | None = Field(None, ge=0, le=300)
    spo2_percent: int | None = Field(None, ge=0, le=100)


class SessionIn(Schema):
    kind: str
    route: str
    dose_mg: Decimal | None = Field(None, ge=0, le=1000, decimal_places=1)
    dose_mg_per_kg: Decimal | None = Field(None, ge=0, le=10, decimal_places=2)
    dose_reason: str = Field("", max_length=300)
    lot_number: str = Field("", max_length=64)
    started_at: datetime
    ended_at: datetime | None = None
    sedation: int | None = Field(None, ge=0, le=5)
    dissociation: int | None = Field(None, ge=0, le=4)
    respiratory_depression: bool = False
    adverse_events: str = Field("", max_length=4000)
    serious_adverse_event: bool = False
    discharge_note: str = Field("", max_length=4000)
    ready_to_leave_minutes: int | None = Field(None, ge=0, le=1440)
    vitals_acceptable_before_dose: bool | None = None
    vitals_acceptable_before_leaving: bool | None = None
    effects_resolved_at_end: bool | None = None
    takes_benzodiazepines: bool | None = None
    takes_non_benzodiazepine_sedative_hypnotics: bool | None = None
    takes_psychostimulants: bool | None = None
    takes_maois: bool | None = None
    rems_patient_enrolled: bool | None = None
    rems_first_treatment: bool | None = None
    confirmed_reason: str = Field("", max_length=4000)
    confirm_findings: bool = False
    vitals: list[VitalIn] = Field(default_factory=list, max_length=50)


class CourseOut(Schema):
    id: int
    number: int
    phase: str
    started_on: date
    ended_on: date | None
    end_reason: str


class CoursePage(Schema):
    items: list[CourseOut]
    next: str | None


class PreventionPlanOut(Schema):
    patient_id: int
    number: int | None
    created_at: datetime | None
    sections: dict[str, str]
    items: list[dict[str, Any]]


class MaintenancePlanOut(Schema):
    patient_id: int
    policy: str
    probability_threshold: float
    min_spacing_days: int
    symptom_threshold: int
    fixed_interval_days: int
    daily_check: bool
    updated_at: datetime | None  # None: no plan saved yet, the clinic's defaults apply


class AppointmentOut(Schema):
    id: int
    patient_id: int
    location_id: int | None
    clinician_id: int | None
    kind: str
    route: str
    starts_at: datetime
    duration_minutes: int
    status: str


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    next: str | None


class AppointmentIn(Schema):
    patient_id: RowId
    kind: str
    starts_at: datetime
    duration_minutes: int = Field(120, ge=5, le=720)
    location_id: RowId | None = None
    route: str = ""
