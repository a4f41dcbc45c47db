"""The alert page an e-mail links to, the patient's alert history, and who may use them.

Personas:
- dr_ana: clinician in Clinic A, treats Paul.
- dr_ben: clinician in Clinic A, not treating Paul (same clinical team).
- rn_cara: nurse (staff role) in Clinic A: handles safety alerts, not the engine's.
- admin_dora: admin of Clinic A: runs the clinic, handles no alerts.
- dr_olga: clinician in Clinic B: sees nothing of Clinic A (404).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lasting.accounts import rules
from lasting.accounts.models import Membership, Role
from lasting.alerts.models import Alert, AlertKind, AlertStatus, ContactAttempt, Priority
from lasting.audit.models import AuditEvent, Outcome
from tests.factories import make_phq9
from tests.personas import client_for

pytestmark = pytest.mark.django_db

# Monday 16 March 2026, 15:00 UTC: 09:00 on the clinic's clock (Denver, MDT).
OPENED_AT = datetime(2026, 3, 16, 15, 0, tzinfo=UTC)


@pytest.fixture
def world(personas):
    """The personas, with Clinic A in Denver and two open alerts for Paul."""
    clinic_a, paul = personas.clinic, personas.paul
    clinic_a.time_zone = "America/Denver"
    clinic_a.save()
    paul.phone = "+1 303 555 0142"
    paul.save()
    make_phq9(paul, 18, item9=3, submitted_at=OPENED_AT)
    safety = Alert.objects.get(patient=paul, kind=AlertKind.SAFETY)
    engine = Alert.objects.create(
        organization=clinic_a,
        patient=paul,
        kind=AlertKind.EARLY_WARNING,
        priority=Priority.REVIEW,
        reason="PHQ-9 rising.",
        opened_at=OPENED_AT,
        episode_day=1,
    )
    people = {name: personas.member(name) for name in PERSONAS}
    return {"people": people, "paul": paul, "safety": safety, "engine": engine}


PERSONAS = ["dr_ana", "dr_ben", "rn_cara", "admin_dora", "dr_olga"]
DETAIL = {
    "safety": {"dr_ana": 200, "dr_ben": 200, "rn_cara": 200, "admin_dora": 403, "dr_olga": 404},
    "engine": {"dr_ana": 200, "dr_ben": 200, "rn_cara": 403, "admin_dora": 403, "dr_olga": 404},
}


@pytest.mark.parametrize("kind", list(DETAIL))
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_alert_page_answers_each_persona_as_the_rules_say(world, kind, persona):
    response = client_for(persona).get(reverse("alerts:detail", args=[world[kind].pk]))
    assert response.status_code == DETAIL[kind][persona]
    if response.status_code != 200:
        assert b"Moreno" not in response.content
        event = AuditEvent.objects.get(outcome=Outcome.DENIED)
        assert (event.object_type, event.object_id) == ("Alert", str(world[kind].pk))


CONTACT = {"dr_ana": 302, "dr_ben": 302, "rn_cara": 302, "admin_dora": 403, "dr_olga": 404}


@pytest.mark.parametrize("persona", PERSONAS)
def test_recording_contact_answers_each_persona_as_the_rules_say(world, persona):
    alert = world["safety"]
    response = client_for(persona).post(
        reverse("alerts:contact", args=[alert.pk]),
        {"outcome": "unable_to_reach", "note": "No answer; voicemail."},
    )
    assert response.status_code == CONTACT[persona]
    recorded = ContactAttempt.objects.filter(alert=alert).count()
    assert recorded == (1 if CONTACT[persona] == 302 else 0)


@pytest.mark.parametrize("persona", PERSONAS)
def test_acknowledging_answers_each_persona_as_the_rules_say(world, persona):
    alert = world["safety"]
    response = client_for(persona).post(reverse("alerts:acknowledge", args=[alert.pk]))
    assert response.status_code == CONTACT[persona]
    alert.refresh_from_db()
    expected = AlertStatus.ACKNOWLEDGED if CONTACT[persona] == 302 else AlertStatus.OPEN
    assert alert.status == expected


@pytest.mark.parametrize("name", ["detail", "contact", "acknowledge"])
def test_anonymous_visitors_are_sent_to_login(world, name):
    url = reverse(f"alerts:{name}", args=[world["safety"].pk])
    response = Client().post(url) if name != "detail" else Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_nurse_sees_safety_alerts_but_not_the_engines_in_the_list(world):
    page = client_for("rn_cara").get(reverse("alerts:list")).content.decode()
    assert "PHQ-9 item 9" in page
    assert "PHQ-9 rising" not in page
    clinician = client_for("dr_ana").get(reverse("alerts:list")).content.decode()
    assert "PHQ-9 rising" in clinician


def membership(role: Role, *, active: bool = True) -> Membership:
    return Membership(role=role, is_active=active)


@pytest.mark.parametrize(
    ("role", "active", "handles", "reviews"),
    [
        (Role.CLINICIAN, True, True, True),
        (Role.STAFF, True, True, False),
        (Role.ADMIN, True, False, False),
        (Role.CLINICIAN, False, False, False),
        (Role.STAFF, False, False, False),
    ],
)
def test_clinicians_and_nurses_handle_safety_alerts_and_only_clinicians_the_engines(
    role, active, handles, reviews
):
    member = membership(role, active=active)
    assert rules.can_handle_safety_alerts(member) is handles
    assert rules.can_review_alerts(member) is reviews


def test_nobody_without_a_membership_handles_alerts():
    assert not rules.can_handle_safety_alerts(None)


def test_the_alert_page_gives_the_phone_the_crisis_line_and_the_clinic_clock(world):
    page = client_for("dr_ana").get(reverse("alerts:detail", args=[world["safety"].pk]))
    text = page.content.decode()
    assert 'href="tel:+1 303 555 0142"' in text
    assert "988 Suicide &amp; Crisis Lifeline" in text
    assert "answered 3 of 3" in text
    assert "Opened Mon Mar 16, 09:00 MDT" in text
    assert "Escalates Mon Mar 16, 13:00 MDT unless acknowledged" in text
    assert 'id="acknowledge"' in text
    assert "no-store" in page["Cache-Control"]


def test_reading_the_alert_page_is_audited_against_the_patient(world):
    client_for("rn_cara").get(reverse("alerts:detail", args=[world["safety"].pk]))
    event = AuditEvent.objects.get(action="read", object_type="Alert")
    assert event.patient_id == world["paul"].pk
    assert event.username == "rn_cara"


def history_page(username: str, world) -> str:
    return (
        client_for(username)
        .get(reverse("clinic:patient", args=[world["paul"].pk]))
        .content.decode()
    )


def test_the_patient_page_shows_every_alert_with_who_acknowledged_and_contacted(world):
    alert = world["safety"]
    # Signed in at each pinned instant: a session from the real clock would have expired.
    with time_machine.travel(OPENED_AT + timedelta(minutes=20), tick=False):
        client_for("rn_cara").post(reverse("alerts:acknowledge", args=[alert.pk]))
    with time_machine.travel(OPENED_AT + timedelta(minutes=40), tick=False):
        client_for("rn_cara").post(
            reverse("alerts:contact", args=[alert.pk]),
            {"outcome": "unable_to_reach", "note": "No answer."},
        )
    with time_machine.travel(OPENED_AT + timedelta(hours=1), tick=False):
        client_for("dr_ana").post(
            reverse("alerts:contact", args=[alert.pk]),
            {"outcome": "reached", "note": "Spoke with Paul; safe; seen tomorrow."},
        )
    page = history_page("dr_ana", world)
    history = page[page.index('id="alert-history"') :]
    assert "times in America/Denver" in history
    assert "Mar 16, 2026 09:00 MDT" in history  # opened
    assert "Cara Tester" in history
    assert "Mar 16, 09:20 MDT" in history
    assert "Unable to reach" in history
    assert "Mar 16, 09:40 MDT" in history
    assert "Reached the patient" in history
    assert "Spoke with Paul" in history
    assert "Ana Tester" in history
    assert "Mar 16, 10:00 MDT" in history
    assert "Early warning" in history  # the engine's alerts too, for a clinician


def test_a_nurse_sees_the_safety_alert_history_without_the_engines_alerts(world):
    page = history_page("rn_cara", world)
    history = page[page.index('id="alert-history"') :]
    assert "PHQ-9 item 9" in history
    assert "Early warning" not in history


def test_the_patient_page_query_count_does_not_grow_with_alerts_and_attempts(world):
    client = client_for("dr_ana")
    url = reverse("clinic:patient", args=[world["paul"].pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    client.post(
        reverse("alerts:contact", args=[world["safety"].pk]),
        {"outcome": "unable_to_reach", "note": "No answer."},
    )
    few = queries()
    for hours in (1, 2, 3):
        make_phq9(world["paul"], 18, item9=2, submitted_at=OPENED_AT + timedelta(hours=hours))
    for alert in Alert.objects.filter(kind=AlertKind.SAFETY):
        client.post(
            reverse("alerts:contact", args=[alert.pk]),
            {"outcome": "unable_to_reach", "note": "No answer."},
        )
    assert queries() == few
