"""Paul with one row of every kind Lasting can hold about a patient, and Quentin, another
patient of the same clinic whose rows must never reach Paul's record."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from lasting.alerts.models import Alert, ContactAttempt
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.checkins.models import CheckInLink, ScheduledCheckIn
from lasting.costs.models import CostForecast
from lasting.evaluations.models import EvaluationRequest, StatusChange
from lasting.outcomes.models import CourseOutcome, OutcomeEpisode
from lasting.outreach.models import (
    ContactPreference,
    DeliveryAttempt,
    OutreachAttempt,
    Reminder,
)
from lasting.plans.models import BoosterProposal, MaintenancePlan, MaintenancePlanChange
from lasting.portal.models import SignInRequest
from lasting.prevention.models import AnswerType, Direction, PersonalItemAnswer
from lasting.prevention.services import ItemDraft, save_plan_version
from lasting.risk.models import RiskAssessment
from lasting.schedule.models import CalendarFeed
from lasting.treatment.models import (
    Appointment,
    ClinicalEvent,
    LifeEvent,
    MedicationChange,
    Route,
    SessionKind,
    TherapyEvent,
)
from tests.factories import make_patient, make_phq9, make_session
from tests.personas import Personas

# Values that must never leave Lasting in an export.
SECRETS = {
    "link": "a1" * 32,
    "feed": "b2" * 32,
    "sign_in": "c3" * 32,
    "digest": "d4" * 32,
    "idempotency": "e5" * 16,
}


def make_record_world(personas: Personas) -> dict[str, Any]:
    clinic, paul, dr_ana = personas.clinic, personas.paul, personas.dr_ana
    paul.email, paul.phone, paul.record_number = "paul@ex.org", "+15555550142", "PAUL-REC-4242"
    paul.portal_access = True
    paul.save()
    own = {"organization": clinic, "patient": paul}
    now = timezone.now()
    today = now.date()
    actor = Actor(dr_ana.user.pk, dr_ana.user.get_username(), clinic.pk, None, "")

    checkin = make_phq9(paul, 20, item9=2)
    alert = Alert.objects.get(response__checkin=checkin)
    make_session(paul, route=Route.INTRANASAL_ESKETAMINE, started_at=now - timedelta(days=2))
    appointment = Appointment.objects.create(
        **own, kind=SessionKind.BOOSTER, starts_at=now + timedelta(days=5)
    )
    BoosterProposal.objects.create(
        **own,
        policy="forecast",
        created_at=now,
        earliest_on=today,
        latest_on=today + timedelta(days=7),
        reason="forecast",
        appointment=appointment,
    )
    version = save_plan_version(
        actor,
        dr_ana,
        paul,
        sections={"coping_strategies": "Walk the dog"},
        items=[
            ItemDraft(
                warning_sign="Sleeping under 6 hours",
                question="How many hours did you sleep last night?",
                answer_type=AnswerType.HOURS,
                threshold=6,
                direction=Direction.AT_OR_BELOW,
            )
        ],
        reason="first plan",
    )
    PersonalItemAnswer.objects.create(
        **own,
        checkin=checkin,
        item=version.patient.personal_items.get(),
        value=5,
        answered_on=today,
    )
    ContactPreference.objects.create(**own)
    ClinicalEvent.objects.create(**own, kind="hospitalisation", occurred_on=today)
    link = CheckInLink.objects.create(
        **own, token_hash=SECRETS["link"], instruments=["phq9"], expires_at=now
    )
    scheduled = ScheduledCheckIn.objects.create(
        **own,
        key="weekly-1",
        reason="maintenance",
        instruments=["phq9"],
        due_on=today,
        opens_at=now,
        expires_at=now + timedelta(days=2),
        link=link,
    )
    LifeEvent.objects.create(**own, kind="move", occurred_on=today, weight=2, source="patient")
    MedicationChange.objects.create(
        **own, changed_on=today, change="start", drug_name="Sertraline", drug_class="antidepressant"
    )
    TherapyEvent.objects.create(**own, occurred_on=today, kind="start")
    ContactAttempt.objects.create(
        **own, alert=alert, outcome="reached", note="Safe", recorded_at=now, recorded_by=dr_ana.user
    )
    MaintenancePlan.objects.create(**own)
    MaintenancePlanChange.objects.create(
        **own,
        changed_at=now,
        author_name="Ana",
        reason="start",
        policy="forecast",
        probability_threshold=0.5,
        min_spacing_days=21,
        symptom_threshold=10,
        fixed_interval_days=28,
        daily_check=False,
    )
    reminder = Reminder.objects.create(**own, scheduled=scheduled, channel="email", send_after=now)
    DeliveryAttempt.objects.create(organization=clinic, reminder=reminder, at=now, outcome="sent")
    OutreachAttempt.objects.create(
        **own, channel="phone", outcome="reached", recorded_at=now, recorded_by=dr_ana.user
    )
    SignInRequest.objects.create(
        **own, email_digest=SECRETS["digest"], requested_at=now, token_hash=SECRETS["sign_in"]
    )
    RiskAssessment.objects.create(**own, assessed_on=today, computed_at=now, p_relapse_28d=0.4)
    CostForecast.objects.create(
        **own, computed_at=now, fingerprint="f", years=1, median_relief_days=30
    )
    episode = {"started_by": "induction", "ended_by": "censored", "diagnosis": "trd_mdd"}
    OutcomeEpisode.objects.create(
        **own,
        **episode,
        start_on=today,
        end_on=today,
        days=1,
        relapsed=False,
        severity="moderate",
        induction_sessions=1,
        induction_group="fewer_than_6",
        end_of_induction="not_assessed",
        in_therapy=False,
        antidepressant=False,
        life_stress=False,
    )
    CourseOutcome.objects.create(
        **own,
        course=paul.courses.get(),
        started_on=today,
        diagnosis="trd_mdd",
        started_induction=True,
        induction_sessions=1,
        completed_six=False,
        assessed=False,
        responded=False,
        remitted=False,
    )
    CalendarFeed.objects.create(**own, scope="patient", token_hash=SECRETS["feed"], created_at=now)
    request = EvaluationRequest.objects.create(
        **own,
        given_name="Paul",
        family_name="Moreno",
        date_of_birth=date(1980, 5, 17),
        email="paul@ex.org",
        reason="Low mood",
        idempotency_key=SECRETS["idempotency"],
        received_at=now,
    )
    StatusChange.objects.create(request=request, status="booked", changed_at=now)
    record_event(actor, Action.READ, patient_id=paul.pk, organization_id=clinic.pk, obj=paul)

    quentin = make_patient(clinic, given_name="Quentin", family_name="Otherpatient")
    make_phq9(quentin, 15)
    make_session(quentin, lot_number="LOT-QUENTIN")
    return {"personas": personas, "quentin": quentin}
