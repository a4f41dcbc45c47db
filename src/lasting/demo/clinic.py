"""The demo clinic itself: its organisation, locations and staff, and the seeding entry point."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from lasting.accounts.mfa import APP_DEVICE_NAME, next_app_code, secret_for_typing
from lasting.accounts.models import Location, Membership, Organization, Role, User
from lasting.alerts.models import Alert, AlertKind, AlertStatus
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.checkins.models import CheckIn, Response
from lasting.demo.history import create_patients
from lasting.demo.plans import seed_plans_and_requests
from lasting.demo.schedule import seed_schedule
from lasting.evaluations.models import EvaluationRequest
from lasting.outcomes.queries import warm_report_cache
from lasting.outcomes.services import refresh_outcomes
from lasting.outreach.planning import plan_organization
from lasting.patients.models import Course, Patient
from lasting.patients.models import Phase as CoursePhase
from lasting.patients.queries import ACTIVE_PHASES, current_phase
from lasting.plans.models import BoosterProposal, MaintenancePlan
from lasting.plans.services import propose_booster
from lasting.risk.models import ClinicPrior, RiskAssessment
from lasting.risk.performance import refresh_alert_performance
from lasting.risk.services import assess_many
from lasting.treatment.models import (
    Appointment,
    MonitoringForm,
    TreatmentSession,
    VitalSign,
)

DEMO_SLUG = "clearwater"


DEMO_LOGINS_FILE = "demo-logins.txt"


DEMO_EMAIL_DOMAIN = "clearwater.example"


LOCATIONS = [
    ("Downtown", "120 Main Street, Suite 400", "America/Denver"),
    ("Northside", "88 Aspen Park Road", "America/Denver"),
    ("Lakeview", "4 Harbor Lane", "America/Denver"),
    ("Westfield", "2300 Mesa Boulevard, Unit B", "America/Denver"),
]


STAFF = [
    ("dr.ana", "Ana", "Ruiz", Role.CLINICIAN, "MD"),
    ("dr.ben", "Ben", "Okafor", Role.CLINICIAN, "MD"),
    ("np.chloe", "Chloe", "Lindqvist", Role.CLINICIAN, "NP"),
    ("dr.dev", "Dev", "Raman", Role.CLINICIAN, "MD"),
    ("rn.elena", "Elena", "Marsh", Role.STAFF, "RN"),
    ("rn.farid", "Farid", "Haddad", Role.STAFF, "RN"),
    ("rn.grace", "Grace", "Whitfield", Role.STAFF, "RN"),
    ("sched.hana", "Hana", "Kowalski", Role.SCHEDULER, "Front desk"),
    ("sched.ivan", "Ivan", "Petrov", Role.SCHEDULER, "Front desk"),
    ("admin.jo", "Jo", "Castellanos", Role.ADMIN, "Practice manager"),
]


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
        created += f", {plan_organization(organization.pk)} check-ins planned"
        created += ", " + seed_schedule(organization, seed)
        created += ", " + seed_plans_and_requests(organization, memberships, seed)
        created += ", " + seed_outcomes(organization)
        record_event(
            Actor.system("lasting demo", organization.pk),
            Action.CREATE,
            organization_id=organization.pk,
            obj=organization,
        )
    login_lines = [
        f"{membership.get_role_display():<12} {membership.user.username:<12} password: "
        f"{passwords[membership.user.username]}   "
        f"app key: {demo_app_key(membership.user)}   "
        f"({membership.user.display_name}, {membership.title})"
        for membership in memberships
    ]
    patient = portal_patient(organization)
    if patient is not None:
        login_lines.append(
            f"{'Patient':<12} {patient.email} at /me/sign-in/ (no password: the sign-in link "
            f"is e-mailed; {patient.full_name}, in maintenance)"
        )
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.touch(mode=0o600)
    logins_file.write_text("\n".join(login_lines) + "\n")
    return SeededDemo(summary=f"Seeded the demo clinic: {created}.", login_lines=login_lines)


def seed_outcomes(organization: Organization) -> str:
    """What the worker's jobs would compute at once: the outcome rows and their report,
    and the engine's replay of the last 12 months, so /outcomes/ has figures from the
    start."""
    episodes = refresh_outcomes(organization.pk)
    warm_report_cache(organization.pk)
    performance = refresh_alert_performance(organization.pk, timezone.now())
    return (
        f"{episodes} intervals of relief for the outcome report, "
        f"{performance.relapses} relapses in the replay of the last 12 months"
    )


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
        # The last pass (weeks_ago == 0) is today's: its assessments drive the proposals.
        today = assess_many(active, now - timedelta(weeks=weeks_ago), refit_prior=weeks_ago == 0)
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
        if patient.pk in today and propose_booster(patient, today[patient.pk], now) is not None:
            proposals += 1
    return (
        f"{RISK_HISTORY_WEEKS + 1} weekly risk sweeps ({reviewed} engine alerts reviewed), "
        f"{proposals} open booster proposals"
    )


def portal_patient(organization: Organization) -> Patient | None:
    """A patient in maintenance who may sign in to the portal, to show the patient's view."""
    return (
        Patient.objects.filter(organization=organization, portal_access=True)
        .exclude(email="")
        .annotate(phase=current_phase())
        .filter(phase=CoursePhase.MAINTENANCE)
        .order_by("pk")
        .first()
    )


def count_patients(organization: Organization) -> int:
    return Patient.objects.filter(organization=organization).count()


@transaction.atomic
def delete_demo(organization: Organization) -> None:
    """Remove the demo organisation and everything in it (the audit trail stays)."""
    for model in (
        EvaluationRequest,
        BoosterProposal,
        MaintenancePlan,
        RiskAssessment,
        ClinicPrior,
        Alert,
        Response,
        CheckIn,
        VitalSign,
        MonitoringForm,
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


def demo_app_key(user: User) -> str:
    """The demo account's authenticator key, printed with its password (a demo only: a
    real account enrols its own app at its first sign-in)."""
    return secret_for_typing(TOTPDevice.objects.get(user=user, confirmed=True)).replace(" ", "")


def demo_code(username: str) -> str | None:
    """The six digits a demo account's app would show now; None for any account outside
    the demo clinic."""
    device = TOTPDevice.objects.filter(
        user__username=username,
        user__memberships__organization__slug=DEMO_SLUG,
        confirmed=True,
    ).first()
    return None if device is None else next_app_code(device)


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
        TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=True)
        memberships.append(
            Membership.objects.create(user=user, organization=organization, role=role, title=title)
        )
        passwords[username] = password
    return organization, memberships, passwords
