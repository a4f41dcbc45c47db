"""A year of simulated history for the demo clinic, stored through the app's own models.

Patients come from the core simulator (docs/clinical.md#simulated-cohorts): evaluation,
induction, maintenance with boosters, weekly check-ins, the daily check for some, the odd
discontinuation, and the safety alerts that history would have raised. Bulk inserts keep
it fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Membership, Organization, Role, User
from lasting.alerts.models import (
    Alert,
    AlertKind,
    AlertStatus,
    ContactAttempt,
    ContactOutcome,
    Priority,
)
from lasting.checkins.models import CheckIn, Response, Source
from lasting.checkins.services import response_from_score
from lasting.patients.models import Course, Diagnosis, Patient, Phase
from lasting.plans.models import MaintenancePlan, PolicyChoice
from lasting.treatment.models import (
    MonitoringForm,
    Route,
    SessionKind,
    TreatmentSession,
    VitalPhase,
    VitalSign,
)
from lasting.treatment.services import session_record
from lasting_core import sessions as safety
from lasting_core.instruments import InstrumentCode, ScoreFlag, score
from lasting_core.simulation import (
    MaintenancePolicy,
    SimulatedObservation,
    SimulatedPatient,
    simulate_cohort,
)

HISTORY_DAYS = 365


def load_names() -> dict[str, list[str]]:
    """The fictional names and medicines the demo draws from (a data file, not code)."""
    data: dict[str, list[str]] = json.loads((Path(__file__).parent / "names.json").read_text())
    return data


NAMES = load_names()
GIVEN_NAMES = NAMES["given_names"]
FAMILY_NAMES = NAMES["family_names"]
ANTIDEPRESSANTS = NAMES["antidepressants"]


PLAN_FOR_POLICY = {
    MaintenancePolicy.FIXED: PolicyChoice.FIXED,
    MaintenancePolicy.SYMPTOM: PolicyChoice.FORECAST,
    MaintenancePolicy.NONE: PolicyChoice.AS_NEEDED,
}


def create_patients(
    organization: Organization, memberships: list[Membership], *, patients: int, seed: int
) -> str:
    """Simulate a year of the clinic and store it; return a one-line summary."""
    rng = np.random.default_rng(seed)
    cohort = simulate_cohort(
        patients,
        HISTORY_DAYS,
        preset="real-world",
        seed=seed,
        policy_mix={
            MaintenancePolicy.FIXED: 0.45,
            MaintenancePolicy.SYMPTOM: 0.4,
            MaintenancePolicy.NONE: 0.15,
        },
    )
    clinicians = [m.user for m in memberships if m.role == Role.CLINICIAN]
    nurses = [m.user for m in memberships if m.role == Role.STAFF]
    locations = list(Location.objects.filter(organization=organization))
    today = timezone.localdate(timezone=ZoneInfo(organization.time_zone))
    day_zero = today - timedelta(days=HISTORY_DAYS - 1)
    counts = {"patients": 0, "sessions": 0, "check-ins": 0, "alerts": 0}
    for simulated in cohort.patients:
        if not simulated.observations and not simulated.sessions:
            continue
        stored = store_patient(
            organization,
            simulated,
            rng,
            day_zero=day_zero,
            today=today,
            clinician=clinicians[simulated.index % len(clinicians)],
            nurse=nurses[simulated.index % len(nurses)],
            location=locations[simulated.index % len(locations)],
        )
        for key, value in stored.items():
            counts[key] += value
    return ", ".join(f"{value:,} {key}" for key, value in counts.items())


def at_local(day: date, hour: float, tz: ZoneInfo) -> datetime:
    """A moment on a simulated day, never later than now (history ends at the present)."""
    minutes = int(hour * 60)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    return min(local.astimezone(UTC), timezone.now() - timedelta(minutes=5))


def store_patient(
    organization: Organization,
    simulated: SimulatedPatient,
    rng: np.random.Generator,
    *,
    day_zero: date,
    today: date,
    clinician: User,
    nurse: User,
    location: Location,
) -> dict[str, int]:
    tz = ZoneInfo(location.time_zone)
    first_day = min([o.day for o in simulated.observations] + [s.day for s in simulated.sessions])
    age_years = int(rng.integers(22, 71))
    on_antidepressant = simulated.antidepressant
    patient = Patient.objects.create(
        organization=organization,
        location=location,
        record_number=f"CW-{10000 + simulated.index}",
        given_name=GIVEN_NAMES[int(rng.integers(len(GIVEN_NAMES)))],
        family_name=FAMILY_NAMES[int(rng.integers(len(FAMILY_NAMES)))],
        date_of_birth=today - timedelta(days=age_years * 365 + int(rng.integers(365))),
        time_zone=location.time_zone,
        preferred_language="es" if rng.random() < 0.12 else "en",
        email=f"patient{simulated.index}@example.org",
        # 555-0100 to 555-0199: numbers reserved for fiction, so no real person is called.
        phone=f"+130355501{simulated.index % 100:02d}",
        # A third of the patients use the portal (no random draw: the history stays the same).
        portal_access=simulated.index % 3 == 0,
        assigned_clinician=clinician,
        diagnoses=diagnoses_for(simulated.diagnosis, rng),
        concurrent_antidepressant=on_antidepressant,
        antidepressant_name=ANTIDEPRESSANTS[simulated.index % len(ANTIDEPRESSANTS)]
        if on_antidepressant
        else "",
        in_therapy=simulated.therapy,
    )
    patient.created_at = at_local(day_zero + timedelta(days=first_day), 9, tz)
    Patient.objects.filter(pk=patient.pk).update(created_at=patient.created_at)
    course = Course.objects.create(
        organization=organization,
        patient=patient,
        number=1,
        phase=phase_for(simulated, today_index=(today - day_zero).days),
        started_on=day_zero + timedelta(days=first_day),
    )
    if course.phase == Phase.DISCONTINUED and simulated.discontinued_day is not None:
        course.ended_on = day_zero + timedelta(days=simulated.discontinued_day)
        course.save(update_fields=["ended_on"])
    MaintenancePlan.objects.create(
        organization=organization, patient=patient, policy=PLAN_FOR_POLICY[simulated.policy]
    )
    session_count = store_sessions(patient, course, simulated, rng, day_zero, tz, nurse, location)
    checkin_count, alert_count = store_observations(
        patient, simulated.observations, rng, day_zero, tz, today
    )
    return {
        "patients": 1,
        "sessions": session_count,
        "check-ins": checkin_count,
        "alerts": alert_count,
    }


def diagnoses_for(primary: str, rng: np.random.Generator) -> list[str]:
    codes = [primary if primary in Diagnosis.values else Diagnosis.OTHER.value]
    if primary != Diagnosis.GAD and rng.random() < 0.35:
        codes.append(Diagnosis.GAD.value)
    if primary != Diagnosis.PTSD and rng.random() < 0.12:
        codes.append(Diagnosis.PTSD.value)
    return codes


def phase_for(simulated: SimulatedPatient, *, today_index: int) -> str:
    if simulated.discontinued_day is not None and simulated.discontinued_day <= today_index:
        return Phase.DISCONTINUED
    if not simulated.sessions:
        return Phase.EVALUATION
    if simulated.induction_end_day is None or simulated.induction_end_day > today_index:
        return Phase.INDUCTION
    return Phase.MAINTENANCE


DEMO_CONFIRMED_REASON = (
    "Rechecked after 10 minutes of rest; benefit judged to outweigh the risk with the "
    "prescriber (demo)."
)
# Vital-sign phases per route: (phase, minutes from the dose, rise in mmHg); esketamine's
# reading before leaving is taken 10 minutes before monitoring ends.
IV_PHASES = ((VitalPhase.BEFORE, -10, 0), (VitalPhase.DURING, 20, 12), (VitalPhase.AFTER, 45, 5))
ESKETAMINE_PHASES = ((VitalPhase.BEFORE, -10, 0), (VitalPhase.AFTER, 40, 12))


def store_sessions(
    patient: Patient,
    course: Course,
    simulated: SimulatedPatient,
    rng: np.random.Generator,
    day_zero: date,
    tz: ZoneInfo,
    nurse: User,
    location: Location,
) -> int:
    """Store the simulated sessions as a nurse would have signed them.

    Every session passes the session-safety rules of the core (a demo that breaks them is
    a bug and stops here); a pre-dose blood pressure above 140/90 is stored with its
    confirmed reason, as the session form requires. Esketamine sessions carry their REMS
    answers and a monitoring form, submitted a few days later unless it is still due.
    """
    route = rng.choice([Route.IV, Route.IM, Route.INTRANASAL_ESKETAMINE], p=[0.65, 0.1, 0.25])
    weight_kg = float(np.clip(rng.normal(80, 15), 48, 140))
    now = timezone.now()
    sessions: list[TreatmentSession] = []
    vitals: list[list[dict[str, Any]]] = []
    for number, simulated_session in enumerate(simulated.sessions):
        started_at = at_local(
            day_zero + timedelta(days=simulated_session.day), float(rng.uniform(8, 16)), tz
        )
        fields: dict[str, Any]
        if route == Route.INTRANASAL_ESKETAMINE:
            dose_mg = Decimal(
                56 if simulated_session.kind == "induction" and rng.random() < 0.4 else 84
            )
            minutes = 120 + (simulated.index * 7 + number * 11) % 31
            fields = {"dose_mg": dose_mg, "dose_mg_per_kg": None}
            fields.update(esketamine_answers(simulated.index, number, minutes, nurse))
            phases: tuple[tuple[str, int, int], ...] = (
                *ESKETAMINE_PHASES,
                (VitalPhase.DISCHARGE, minutes - 10, 3),
            )
        else:
            per_kg = Decimal(str(round(0.5 if route == Route.IV else 0.75, 2)))
            minutes = 90 if route == Route.IV else 75
            fields = {
                "dose_mg": Decimal(str(round(weight_kg * float(per_kg), 1))),
                "dose_mg_per_kg": per_kg,
            }
            phases = IV_PHASES
        # History ends at the present: a session of today has ended before now.
        started_at = min(started_at, now - timedelta(minutes=minutes + 15))
        fields.update(
            kind=SessionKind(str(simulated_session.kind)),
            route=route,
            lot_number=f"LOT{int(rng.integers(10000, 99999))}",
            started_at=started_at,
            ended_at=started_at + timedelta(minutes=minutes),
            # The deepest sedation on the MOAA/S (5 awake ... 0 no response).
            sedation=5 - int(rng.choice([0, 1, 1, 2, 2, 3])),
            dissociation=int(rng.choice([0, 1, 1, 2, 2, 3])),
            adverse_events=str(
                rng.choice(
                    [
                        "",
                        "",
                        "",
                        "nausea",
                        "transient dizziness",
                        "headache",
                        "elevated BP, resolved by discharge",
                    ]
                )
            ),
            discharge_note="Alert and oriented; discharged with companion.",
        )
        rows = [
            {
                "phase": phase,
                "measured_at": started_at + timedelta(minutes=offset),
                "systolic_mmhg": int(rng.normal(124 + bump, 9)),
                "diastolic_mmhg": int(rng.normal(78 + bump / 2, 6)),
                "heart_rate_bpm": int(rng.normal(74 + bump / 2, 8)),
                "spo2_percent": int(np.clip(rng.normal(97.5, 1), 93, 100)),
            }
            for phase, offset, bump in phases
        ]
        review = safety.review_session(session_record(fields, rows), now=now)
        if review.problems:
            raise RuntimeError(f"demo session breaks the session rules: {review.problems}")
        sessions.append(
            TreatmentSession(
                organization_id=patient.organization_id,
                patient=patient,
                course=course,
                location=location,
                recorded_by=nurse,
                confirmed_findings=[
                    {"code": finding.code.value, "message": finding.message}
                    for finding in review.findings
                ],
                confirmed_reason=DEMO_CONFIRMED_REASON if review.findings else "",
                **fields,
            )
        )
        vitals.append(rows)
    TreatmentSession.objects.bulk_create(sessions)
    VitalSign.objects.bulk_create(
        VitalSign(organization_id=patient.organization_id, session=session, **row)
        for session, rows in zip(sessions, vitals, strict=True)
        for row in rows
    )
    MonitoringForm.objects.bulk_create(
        monitoring_form(session, nurse, now, patient.time_zone)
        for session in sessions
        if session.is_esketamine
    )
    return len(sessions)


def esketamine_answers(index: int, number: int, minutes: int, nurse: User) -> dict[str, Any]:
    """The REMS form's answers for one patient's session (the same medicines every time)."""
    return {
        "monitoring_clinician": nurse,
        "ready_to_leave_minutes": 60 + (index * 13 + number * 7) % (minutes - 60),
        "vitals_acceptable_before_dose": True,
        "vitals_acceptable_before_leaving": True,
        "effects_resolved_at_end": True,
        "takes_benzodiazepines": index % 6 == 0,
        "takes_non_benzodiazepine_sedative_hypnotics": index % 9 == 0,
        "takes_psychostimulants": index % 11 == 0,
        "takes_maois": False,
        "rems_patient_enrolled": True,
        "rems_first_treatment": number == 0,
    }


def monitoring_form(
    session: TreatmentSession, nurse: User, now: datetime, time_zone: str
) -> MonitoringForm:
    """The session's REMS form: submitted 1-5 days after the session, except the latest
    ones and one in five of the last fortnight's (overdue), so the to-do list shows both.

    `time_zone` is the clinic's (the demo's locations share the organisation's zone).
    """
    session_on = today_in(time_zone, session.started_at)
    due_on = safety.monitoring_form_due_on(session_on)
    today = today_in(time_zone, now)
    submitted_on = session_on + timedelta(days=1 + session.pk % 5)
    forgotten = due_on >= today - timedelta(days=7) and session.pk % 5 == 0
    if submitted_on > today or forgotten:
        return MonitoringForm(
            organization_id=session.organization_id,
            patient_id=session.patient_id,
            session=session,
            due_on=due_on,
        )
    return MonitoringForm(
        organization_id=session.organization_id,
        patient_id=session.patient_id,
        session=session,
        due_on=due_on,
        submitted_on=submitted_on,
        submitted_by=nurse,
        submission_recorded_at=min(now, datetime.combine(submitted_on, time(16), tzinfo=UTC)),
    )


def answers_for(observation: SimulatedObservation) -> tuple[InstrumentCode, dict[str, int | None]]:
    if observation.instrument == "daily":
        mood, sleep, stress = observation.items[:3]
        return InstrumentCode.DAILY, {"mood": mood, "sleep": sleep, "stress": stress}
    code = InstrumentCode(observation.instrument)
    return code, {f"q{index + 1}": value for index, value in enumerate(observation.items)}


def store_observations(
    patient: Patient,
    observations: Iterable[SimulatedObservation],
    rng: np.random.Generator,
    day_zero: date,
    tz: ZoneInfo,
    today: date,
) -> tuple[int, int]:
    """One check-in per day holding that day's instruments; alerts for positive item 9."""
    by_day: dict[int, list[SimulatedObservation]] = {}
    for observation in observations:
        by_day.setdefault(observation.day, []).append(observation)
    checkins = [
        CheckIn(
            organization_id=patient.organization_id,
            patient=patient,
            submitted_at=at_local(day_zero + timedelta(days=day), float(rng.uniform(7, 22)), tz),
            source=Source.LINK,
        )
        for day in sorted(by_day)
    ]
    CheckIn.objects.bulk_create(checkins)
    responses: list[Response] = []
    for checkin, day in zip(checkins, sorted(by_day), strict=True):
        for observation in by_day[day]:
            code, answers = answers_for(observation)
            responses.append(response_from_score(checkin, score(code, answers)))
    Response.objects.bulk_create(responses)
    alerts = [
        history_alert(patient, response, today)
        for response in responses
        if ScoreFlag.ITEM9_POSITIVE in response.flags
    ]
    Alert.objects.bulk_create(alerts)
    # A handled safety alert was closed by contact: the call that closed it is on record.
    ContactAttempt.objects.bulk_create(
        ContactAttempt(
            organization_id=alert.organization_id,
            patient_id=alert.patient_id,
            alert=alert,
            outcome=ContactOutcome.REACHED,
            note=alert.resolution_note,
            recorded_at=alert.resolved_at,
            recorded_by_id=alert.resolved_by_id,
        )
        for alert in alerts
        if alert.resolved_at is not None and alert.resolved_by_id is not None
    )
    return len(checkins), len(alerts)


def history_alert(patient: Patient, response: Response, today: date) -> Alert:
    """A safety alert as history would have left it: old ones handled, recent ones open."""
    urgent = ScoreFlag.ITEM9_URGENT in response.flags
    opened_at = response.observed_at
    age_days = (today - opened_at.date()).days
    handled = age_days > 2
    clinician_id = patient.assigned_clinician_id
    return Alert(
        organization_id=patient.organization_id,
        patient=patient,
        kind=AlertKind.SAFETY,
        priority=Priority.URGENT if urgent else Priority.HIGH,
        status=AlertStatus.RESOLVED if handled else AlertStatus.OPEN,
        reason=f"PHQ-9 item 9 (thoughts of self-harm) answered {response.item9} of 3.",
        drivers={"item9": response.item9, "phq9_total": response.total},
        response=response,
        assigned_to_id=clinician_id,
        opened_at=opened_at,
        acknowledge_by=opened_at + timedelta(hours=4),
        next_escalation_at=None if handled else opened_at + timedelta(hours=4),
        acknowledged_at=opened_at + timedelta(minutes=47) if handled else None,
        acknowledged_by_id=clinician_id if handled else None,
        resolved_at=opened_at + timedelta(days=1) if handled else None,
        resolved_by_id=clinician_id if handled else None,
        resolution_note="Called patient; safety plan reviewed; no imminent risk."
        if handled
        else "",
    )
