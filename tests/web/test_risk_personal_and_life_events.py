"""The engine reads the relapse-prevention plan's tracked warning signs and the life events
on record: a run of days at or beyond a personal threshold is a driver in its sentence,
and a recent stressful event raises the 28-day risk (docs/engine.md). Personas:
tests/personas.py (dr_ana treats Paul)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.audit.services import Actor
from lasting.checkins.models import Source
from lasting.intake import services as door
from lasting.prevention.models import AnswerType, Direction
from lasting.prevention.services import ItemDraft, save_plan_version
from lasting.risk.history import list_history_rows
from lasting.risk.services import assess_one
from lasting.treatment.models import EntrySource, LifeEventKind, SessionKind
from lasting_core.instruments import InstrumentCode, get_instrument
from tests.factories import make_patient, make_phq9, make_session

pytestmark = pytest.mark.django_db

SLEEP = ItemDraft(
    warning_sign="Short sleep",
    question="How many hours did you sleep last night?",
    answer_type=AnswerType.HOURS,
    threshold=6,
    direction=Direction.AT_OR_BELOW,
)


def actor_of(membership) -> Actor:
    return Actor(membership.user_id, membership.user.username, membership.organization_id, None, "")


def responder(personas, family_name: str):
    """A patient who responded to induction and has been stable for weeks since."""
    now = timezone.now()
    patient = make_patient(
        personas.clinic, family_name=family_name, assigned_clinician=personas.dr_ana.user
    )
    make_phq9(patient, 21, submitted_at=now - timedelta(days=80))
    for day in (78, 76, 74, 71, 69, 67):
        make_session(patient, kind=SessionKind.INDUCTION, started_at=now - timedelta(days=day))
    for day in range(63, 0, -7):
        make_phq9(patient, 5, submitted_at=now - timedelta(days=day))
    return patient


def test_a_personal_warning_sign_two_days_running_is_a_driver_of_the_sentence(personas):
    paul = responder(personas, "Sleeper")
    save_plan_version(
        actor_of(personas.dr_ana),
        personas.dr_ana,
        paul,
        sections={"warning_signs": "Short sleep"},
        items=[SLEEP],
        reason="written with the patient",
    )
    (item,) = paul.personal_items.all()
    daily = get_instrument(InstrumentCode.DAILY).score({"mood": 5, "sleep": 5, "stress": 4})
    now = timezone.now()
    for days_ago, hours in ((3, 8.0), (2, 5.5), (1, 6.0)):
        door.submit_checkin_with_personal_items(
            actor_of(personas.dr_ana),
            paul,
            [daily],
            {item.pk: hours},
            source=Source.CLINIC,
            submitted_at=now - timedelta(days=days_ago),
        )

    (rows,) = list_history_rows([paul], now).values()
    assessment = assess_one(paul, now)

    assert [reading.value for reading in rows.personal] == [8.0, 5.5, 6.0]
    assert rows.personal_items[0].label == "Short sleep"
    # 6 hours is at the threshold: the plan's form says "at or below", so it counts.
    assert (
        'personal warning sign "Short sleep": 6 h or less on 2 days in a row'
        in assessment.explanation
    )


def test_a_recent_stressful_event_raises_the_28_day_risk(personas):
    calm = responder(personas, "Calm")
    bereaved = responder(personas, "Bereaved")
    now = timezone.now()
    door.record_life_event(
        actor_of(personas.dr_ana),
        bereaved,
        {
            "kind": LifeEventKind.BEREAVEMENT,
            "occurred_on": today_in(bereaved.time_zone, now) - timedelta(days=1),
            "weight": 3,
            "note": "",
        },
        source=EntrySource.CLINIC,
        membership=personas.dr_ana,
    )

    (rows,) = list_history_rows([bereaved], now).values()
    without = assess_one(calm, now)
    with_event = assess_one(bereaved, now)

    assert [(event.kind.value, event.weight) for event in rows.life_events] == [("loss", 1.0)]
    assert with_event.p_relapse_28d > without.p_relapse_28d + 0.02
