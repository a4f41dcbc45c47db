"""Seed a realistic demo clinic from the core simulator (DESIGN section 7).

The clinic has four locations, about ten staff and a year of simulated history per
patient: evaluation, induction, maintenance with boosters, weekly check-ins, the daily
check for some, the odd discontinuation, and the safety alerts that history would have
raised. Everything goes through the same models the app uses; bulk inserts keep it fast.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lasting.accounts.models import Location, Membership, Organization, Role, User
from lasting.alerts.models import (
    Alert,
    AlertKind,
    AlertStatus,
    ClinicPrior,
    Priority,
    RiskAssessment,
)
from lasting.alerts.risk import assess_many, assess_one
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.checkins.models import CheckIn, Response, Source
from lasting.checkins.services import response_from_score
from lasting.patients.models import Course, Diagnosis, Patient, Phase
from lasting.patients.queries import ACTIVE_PHASES, current_phase
from lasting.plans.models import BoosterProposal, MaintenancePlan, PolicyChoice
from lasting.plans.services import propose_booster
from lasting.treatment.models import (
    Appointment,
    Route,
    SessionKind,
    TreatmentSession,
    VitalPhase,
    VitalSign,
)
from lasting_core.instruments import InstrumentCode, ScoreFlag, score
from lasting_core.simulation import (
    MaintenancePolicy,
    SimulatedObservation,
    SimulatedPatient,
    simulate_cohort,
)

DEMO_SLUG = "clearwater"
DEMO_LOGINS_FILE = "demo-logins.txt"
DEMO_EMAIL_DOMAIN = "clearwater.example"
HISTORY_DAYS = 365

LOCATIONS = [
    ("Downtown", "120 Main Street, Suite 400", "America/Denver"),
    ("Northside", "88 Aspen Park Road", "America/Denver"),
    ("Lakeview", "4 Harbor Lane", "America/Denver"),
    ("Westfield", "2300 Mesa Boulevard, Unit B", "America/Denver"),
]
# (username, first, last, role, title): fictional people.
STAFF = [
    ("dr.ana", "Ana", "Ruiz", Role.CLINICIAN, "MD"),
    ("dr.ben", "Ben", "Okafor", Role.CLINICIAN, "MD"),
    ("np.chloe", "Chloe", "Lindqvist", Role.CLINICIAN, "NP"),
    ("dr.dev", "Dev", "Raman", Role.CLINICIAN, "MD"),
    ("rn.elena", "Elena", "Marsh", Role.STAFF, "RN"),
    ("rn.farid", "Farid", "Haddad", Role.STAFF, "RN"),
    ("rn.grace", "Grace", "Whitfield", Role.STAFF, "RN"),
    ("sched.hana", "Hana", "Kowalski", Role.STAFF, "Scheduler"),
    ("sched.ivan", "Ivan", "Petrov", Role.STAFF, "Scheduler"),
    ("admin.jo", "Jo", "Castellanos", Role.ADMIN, "Practice manager"),
]
GIVEN_NAMES = [
    "Aaron",
    "Abigail",
    "Adrian",
    "Aisha",
    "Alex",
    "Alicia",
    "Amir",
    "Andrea",
    "Ben",
    "Bianca",
    "Caleb",
    "Camila",
    "Carlos",
    "Chloe",
    "Connor",
    "Dana",
    "Daniel",
    "Diana",
    "Elijah",
    "Emma",
    "Ethan",
    "Fatima",
    "Felix",
    "Gabriel",
    "Grace",
    "Hannah",
    "Hector",
    "Imani",
    "Isaac",
    "Jade",
    "Jamal",
    "Jasmine",
    "Jordan",
    "Julia",
    "Kai",
    "Keisha",
    "Leah",
    "Liam",
    "Lucia",
    "Malik",
    "Maria",
    "Mason",
    "Maya",
    "Mei",
    "Nadia",
    "Nathan",
    "Nora",
    "Omar",
    "Paul",
    "Priya",
    "Quinn",
    "Rachel",
    "Rafael",
    "Riley",
    "Rosa",
    "Ryan",
    "Samira",
    "Sean",
    "Sofia",
    "Tariq",
    "Tessa",
    "Theo",
    "Valeria",
    "Victor",
    "Wes",
    "Yara",
    "Yusuf",
    "Zoe",
]
FAMILY_NAMES = [
    "Adams",
    "Alvarez",
    "Bailey",
    "Banerjee",
    "Brooks",
    "Castillo",
    "Chen",
    "Clarke",
    "Diaz",
    "Dubois",
    "Edwards",
    "Evans",
    "Fischer",
    "Flores",
    "Foster",
    "Garcia",
    "Gomez",
    "Gray",
    "Hall",
    "Hayes",
    "Hughes",
    "Ivanova",
    "Jensen",
    "Kaur",
    "Kim",
    "Lambert",
    "Lee",
    "Lopez",
    "Martin",
    "Mendoza",
    "Moreno",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Ortiz",
    "Park",
    "Patel",
    "Perez",
    "Price",
    "Quinn",
    "Ramirez",
    "Reed",
    "Rivera",
    "Rossi",
    "Sanchez",
    "Schmidt",
    "Shah",
    "Silva",
    "Singh",
    "Sullivan",
    "Tanaka",
    "Torres",
    "Turner",
    "Vargas",
    "Walker",
    "Ward",
    "Watson",
    "Wong",
    "Young",
    "Zhang",
]
ANTIDEPRESSANTS = ["sertraline", "escitalopram", "bupropion", "venlafaxine", "fluoxetine"]


@dataclass(frozen=True)
class SeededDemo:
    summary: str
    login_lines: list[str]


def seed_demo(*, patients: int, seed: int, reset: bool, logins_file: Path) -> SeededDemo:
    """Create the demo clinic unless it exists; return what to print."""
    existing = Organization.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None and not reset and logins_file.exists():
        return SeededDemo(
            summary=f"Demo clinic already present ({count_patients(existing)} patients).",
            login_lines=logins_file.read_text().splitlines(),
        )
    with transaction.atomic():
        if existing is not None:
            delete_demo(existing)
        # Accounts left without any organisation by an interrupted earlier seed.
        User.objects.filter(
            email__endswith=f"@{DEMO_EMAIL_DOMAIN}", memberships__isnull=True
        ).delete()
        organization, memberships, passwords = create_clinic()
        created = create_patients(organization, memberships, patients=patients, seed=seed)
        created += ", " + seed_risk_history(organization)
        record_event(
            Actor.system("lasting demo", organization.pk),
            Action.CREATE,
            organization_id=organization.pk,
            obj=organization,
        )
    login_lines = [
        f"{membership.get_role_display():<12} {membership.user.username:<12} password: "
        f"{passwords[membership.user.username]}   "
        f"({membership.user.display_name}, {membership.title})"
        for membership in memberships
    ]
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.touch(mode=0o600)
    logins_file.write_text("\n".join(login_lines) + "\n")
    return SeededDemo(summary=f"Seeded the demo clinic: {created}.", login_lines=login_lines)


PLAN_FOR_POLICY = {
    MaintenancePolicy.FIXED: PolicyChoice.FIXED,
    MaintenancePolicy.SYMPTOM: PolicyChoice.FORECAST,
    MaintenancePolicy.NONE: PolicyChoice.AS_NEEDED,
}
RISK_HISTORY_WEEKS = 12


def seed_risk_history(organization: Organization) -> str:
    """Run the engine as the clinic would have: weekly sweeps over the last 12 weeks.

    Each sweep sees only the data recorded by its own date (no look-ahead); the clinic
    prior is fitted once on today's history. Engine alerts older than a week are marked
    reviewed, as a clinic's weekly case review would have done; today's booster proposals
    come from each patient's plan.
    """
    now = timezone.now()
    active = list(
        Patient.objects.filter(organization=organization)
        .annotate(phase=current_phase())
        .filter(phase__in=ACTIVE_PHASES)
    )
    for weeks_ago in range(RISK_HISTORY_WEEKS, -1, -1):
        assess_many(active, now - timedelta(weeks=weeks_ago), refit_prior=weeks_ago == 0)
    reviewer = organization.memberships.filter(role=Role.CLINICIAN).first()
    reviewed = (
        Alert.objects.filter(organization=organization, opened_at__lt=now - timedelta(days=7))
        .exclude(kind=AlertKind.SAFETY)
        .update(
            status=AlertStatus.RESOLVED,
            acknowledged_at=F("opened_at") + timedelta(days=1),
            acknowledged_by_id=reviewer.user_id if reviewer else None,
            resolved_at=F("opened_at") + timedelta(days=2),
            resolved_by_id=reviewer.user_id if reviewer else None,
            resolution_note="Reviewed at the weekly case review.",
        )
    )
    proposals = 0
    for patient in active:
        assessment = assess_one(patient, now)
        if propose_booster(patient, assessment, now) is not None:
            proposals += 1
    return (
        f"{RISK_HISTORY_WEEKS + 1} weekly risk sweeps ({reviewed} engine alerts reviewed), "
        f"{proposals} open booster proposals"
    )


def count_patients(organization: Organization) -> int:
    return Patient.objects.filter(organization=organization).count()


@transaction.atomic
def delete_demo(organization: Organization) -> None:
    """Remove the demo organisation and everything in it (the audit trail stays)."""
    for model in (
        BoosterProposal,
        MaintenancePlan,
        RiskAssessment,
        ClinicPrior,
        Alert,
        Response,
        CheckIn,
        VitalSign,
        TreatmentSession,
        Appointment,
        Course,
    ):
        model.objects.filter(organization=organization).delete()
    Patient.objects.filter(organization=organization).delete()
    user_ids = list(
        Membership.objects.filter(organization=organization).values_list("user_id", flat=True)
    )
    Membership.objects.filter(organization=organization).delete()
    User.objects.filter(pk__in=user_ids, memberships__isnull=True).delete()
    Location.objects.filter(organization=organization).delete()
    organization.delete()


def create_clinic() -> tuple[Organization, list[Membership], dict[str, str]]:
    organization = Organization.objects.create(
        name="Clearwater Ketamine Clinic", slug=DEMO_SLUG, time_zone="America/Denver"
    )
    for name, address, tz in LOCATIONS:
        Location.objects.create(organization=organization, name=name, address=address, time_zone=tz)
    memberships: list[Membership] = []
    passwords: dict[str, str] = {}
    for username, first, last, role, title in STAFF:
        password = "-".join(secrets.token_hex(2) for _ in range(4))
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@clearwater.example",
        )
        user.set_password(password)
        user.save()
        memberships.append(
            Membership.objects.create(user=user, organization=organization, role=role, title=title)
        )
        passwords[username] = password
    return organization, memberships, passwords


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
    route = rng.choice([Route.IV, Route.IM, Route.INTRANASAL_ESKETAMINE], p=[0.65, 0.1, 0.25])
    weight_kg = float(np.clip(rng.normal(80, 15), 48, 140))
    sessions: list[TreatmentSession] = []
    for simulated_session in simulated.sessions:
        started_at = at_local(
            day_zero + timedelta(days=simulated_session.day), float(rng.uniform(8, 16)), tz
        )
        if route == Route.INTRANASAL_ESKETAMINE:
            dose_mg = Decimal(
                56 if simulated_session.kind == "induction" and rng.random() < 0.4 else 84
            )
            per_kg = None
            minutes = 120
        else:
            per_kg = Decimal(str(round(0.5 if route == Route.IV else 0.75, 2)))
            dose_mg = Decimal(str(round(weight_kg * float(per_kg), 1)))
            minutes = 90 if route == Route.IV else 75
        sessions.append(
            TreatmentSession(
                organization_id=patient.organization_id,
                patient=patient,
                course=course,
                location=location,
                kind=SessionKind(str(simulated_session.kind)),
                route=route,
                dose_mg=dose_mg,
                dose_mg_per_kg=per_kg,
                lot_number=f"LOT{int(rng.integers(10000, 99999))}",
                started_at=started_at,
                ended_at=started_at + timedelta(minutes=minutes),
                sedation=int(rng.choice([0, 1, 1, 2, 2, 3])),
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
                recorded_by=nurse,
            )
        )
    TreatmentSession.objects.bulk_create(sessions)
    vitals: list[VitalSign] = []
    for session in TreatmentSession.objects.filter(patient=patient):
        for phase, offset, bump in (
            (VitalPhase.BEFORE, -10, 0),
            (VitalPhase.DURING, 20, 12),
            (VitalPhase.AFTER, 45, 5),
        ):
            systolic = int(rng.normal(124 + bump, 9))
            vitals.append(
                VitalSign(
                    organization_id=patient.organization_id,
                    session=session,
                    measured_at=session.started_at + timedelta(minutes=offset),
                    phase=phase,
                    systolic_mmhg=systolic,
                    diastolic_mmhg=int(rng.normal(78 + bump / 2, 6)),
                    heart_rate_bpm=int(rng.normal(74 + bump / 2, 8)),
                    spo2_percent=int(np.clip(rng.normal(97.5, 1), 93, 100)),
                )
            )
    VitalSign.objects.bulk_create(vitals)
    return len(sessions)


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
        acknowledged_at=opened_at + timedelta(minutes=47) if handled else None,
        acknowledged_by_id=clinician_id if handled else None,
        resolved_at=opened_at + timedelta(days=1) if handled else None,
        resolved_by_id=clinician_id if handled else None,
        resolution_note="Called patient; safety plan reviewed; no imminent risk."
        if handled
        else "",
    )
