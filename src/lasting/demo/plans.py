"""The demo clinic's relapse-prevention plans, life events and evaluation requests, so the
inbox, the plans and the chart's life lane have something in them on the first visit.

Everything goes through the services a clinic's staff use (plans through
`prevention.services`, life events through the one door, requests through the public
page's service), so the demo shows what those services store. Names are fictional.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Membership, Organization, Role
from lasting.audit.services import Actor
from lasting.evaluations.services import receive_request, sign_form_start
from lasting.intake.services import record_life_event
from lasting.patients.models import Patient, Phase
from lasting.patients.queries import current_phase
from lasting.plans.services import plan_or_default, save_plan
from lasting.prevention.models import AnswerType, Direction
from lasting.prevention.services import ItemDraft, save_plan_version
from lasting.treatment.models import EntrySource, LifeEventKind

PLANS = 8
LIFE_EVENTS = 12
WARNING_SIGNS = [
    ItemDraft(
        warning_sign="Sleeping under 6 hours",
        question="How many hours did you sleep last night?",
        question_es="¿Cuántas horas durmió anoche?",
        answer_type=AnswerType.HOURS,
        threshold=6,
        direction=Direction.AT_OR_BELOW,
    ),
    ItemDraft(
        warning_sign="Pulling away from friends",
        question="Did you avoid friends or family today?",
        question_es="¿Evitó hoy a sus amigos o familiares?",
        answer_type=AnswerType.YES_NO,
        threshold=1,
        direction=Direction.AT_OR_ABOVE,
    ),
]
SECTIONS = {
    "warning_signs": "Sleeping badly for a few nights\nCancelling plans with friends",
    "coping_strategies": "A walk after dinner\nMusic with headphones",
    "people_and_places": "The climbing gym; the library on Saturday mornings",
    "help_contacts": "A sister or a close friend, called first",
    "professional_contacts": "The clinic line; 988 Suicide & Crisis Lifeline",
    "safe_environment": "Only a week of medication at home",
    "practice": "CBT worksheet, three times a week",
}
REQUESTS = [
    ("Marisol", "Vega", "es", 14, "Llevo dos años con depresión y nada me ha funcionado."),
    ("Daniel", "Osei", "en", 11, "Depression that has not lifted after three medicines."),
    ("Hannah", "Brandt", "en", 9, "My psychiatrist suggested ketamine for PTSD."),
]


def actor_of(membership: Membership) -> Actor:
    user = membership.user
    return Actor(user.pk, user.get_username(), membership.organization_id, None, "")


def seed_plans_and_requests(
    organization: Organization, memberships: list[Membership], seed: int
) -> str:
    """Write a few plans with a tracked warning sign, record life events, and leave three
    evaluation requests in the inbox; return what was seeded, in words."""
    rng = random.Random(seed)
    clinicians = [m for m in memberships if m.role == Role.CLINICIAN]
    in_maintenance = list(
        Patient.objects.filter(organization=organization)
        .annotate(phase=current_phase())
        .filter(phase=Phase.MAINTENANCE)
        .order_by("pk")
    )
    planned = rng.sample(in_maintenance, min(PLANS, len(in_maintenance)))
    for patient in planned:
        clinician = rng.choice(clinicians)
        save_plan_version(
            actor_of(clinician),
            clinician,
            patient,
            sections=SECTIONS,
            items=[rng.choice(WARNING_SIGNS)],
            reason="Written with the patient at a maintenance visit",
        )
        # The tracked warning sign is asked in the daily check, so the check goes on.
        plan = plan_or_default(patient)
        if not plan.daily_check:
            plan.daily_check = True
            save_plan(actor_of(clinician), plan, reason="Daily check for the warning sign")
    kinds = list(LifeEventKind)
    for patient in rng.sample(in_maintenance, min(LIFE_EVENTS, len(in_maintenance))):
        clinician = rng.choice(clinicians)
        record_life_event(
            actor_of(clinician),
            patient,
            {
                "kind": rng.choice(kinds),
                "occurred_on": today_in(patient.time_zone) - timedelta(days=rng.randrange(3, 60)),
                "weight": rng.choice((1, 2, 2, 3)),
                "note": "",
            },
            source=EntrySource.CLINIC,
            membership=clinician,
        )
    now = timezone.now()
    for index, (given, family, language, phq9_total, reason) in enumerate(REQUESTS):
        phq9 = spread(phq9_total, 8, rng)
        received = now - timedelta(hours=3 * (index + 1))
        receive_request(
            Actor.system("lasting demo", organization.pk),
            organization,
            {
                "idempotency_key": f"demo-request-{index}",
                "language": language,
                "given_name": given,
                "family_name": family,
                "date_of_birth": now.date().replace(year=now.year - 30 - 7 * index),
                "email": f"{given.lower()}.{family.lower()}@example.org",
                "phone": "",
                "reason": reason,
                "known_diagnoses": ["trd_mdd"],
                "current_treatment": "",
                "answers": {
                    "phq9": {**{f"q{i + 1}": v for i, v in enumerate(phq9)}, "q9": 0},
                    "gad7": {f"q{i + 1}": v for i, v in enumerate(spread(8, 7, rng))},
                },
                "screening": {"high_blood_pressure": "no", "psychosis_or_mania": "no"},
            },
            honeypot="",
            started=sign_form_start(received - timedelta(minutes=12)),
            now=received,
        )
    return (
        f"{len(planned)} relapse-prevention plans, "
        f"{min(LIFE_EVENTS, len(in_maintenance))} life events, "
        f"{len(REQUESTS)} evaluation requests waiting"
    )


def spread(total: int, items: int, rng: random.Random) -> list[int]:
    """Item answers (0-3 each) that add up to `total`."""
    answers = [0] * items
    for _ in range(min(total, 3 * items)):
        answers[rng.choice([i for i in range(items) if answers[i] < 3])] += 1
    return answers
