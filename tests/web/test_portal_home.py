"""The patient's own page: their check-ins, appointments and plan, in plain words.

Personas (tests/web/portal_support.py): patient_paul (Los Angeles time) and
patient_pia in Clinic A, patient_bruno in Clinic B, dr_ana a clinician in Clinic A.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from lasting.alerts.models import Alert
from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import CheckIn, ScheduledCheckIn
from lasting.plans.models import BoosterProposal, MaintenancePlan, PolicyChoice, ProposalStatus
from lasting.risk.models import RiskAssessment
from lasting.treatment.models import Appointment, AppointmentStatus, SessionKind
from tests.factories import make_location, make_phq9, make_session
from tests.web.portal_support import PAUL_EMAIL, World, make_world, signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

# 10:00 on Thursday 3 December 2026 in Los Angeles (UTC-8).
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
BOOSTER_AT = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)


@pytest.fixture
def world(personas) -> World:
    with time_machine.travel(NOW, tick=False):
        yield make_world(personas)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def appointment(world: World, patient, starts_at: datetime, **overrides) -> Appointment:
    fields = {"kind": SessionKind.BOOSTER, "status": AppointmentStatus.SCHEDULED}
    fields.update(overrides)
    return Appointment.objects.create(
        organization_id=patient.organization_id, patient=patient, starts_at=starts_at, **fields
    )


def chart_points(content: bytes) -> list[dict[str, object]]:
    match = re.search(rb'<script id="phq9-spec" type="application/json">(.*?)</script>', content)
    assert match, "the page carries the chart's spec"
    spec = json.loads(match.group(1))
    values: list[dict[str, object]] = spec["datasets"][spec["data"]["name"]]
    return values


def test_home_needs_a_signed_in_patient(world, frozen, client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/me/sign-in/")


def test_upcoming_appointments_show_in_the_patients_time_zone(world, frozen, mailoutbox):
    office = make_location(world.clinic_a, name="Elm Street office")
    appointment(world, world.paul, BOOSTER_AT, location=office)
    appointment(world, world.paul, NOW - timedelta(days=2), kind=SessionKind.INDUCTION)
    appointment(world, world.paul, NOW + timedelta(days=5), status=AppointmentStatus.CANCELLED)
    appointment(world, world.pia, NOW + timedelta(days=6), kind=SessionKind.MAINTENANCE)
    content = signed_in_client(PAUL_EMAIL).get("/me/").content.decode()
    assert "Thursday 3 December, 10:00 AM" in content
    assert "Booster session, Elm Street office" in content
    assert "America/Los_Angeles" in content
    assert "6:00 PM" not in content
    assert "18:00" not in content
    assert "Treatment session" not in content  # the past one
    assert content.count("<li>") == 1  # not the cancelled one, not Pia's


def test_no_appointments_is_said_plainly(world, frozen, mailoutbox):
    content = signed_in_client(PAUL_EMAIL).get("/me/").content
    assert b"You have no upcoming appointments booked." in content


def test_the_last_checkin_is_one_plain_sentence_and_the_chart_has_only_paul(
    world, frozen, mailoutbox
):
    make_phq9(world.paul, 16, submitted_at=NOW - timedelta(days=20))
    make_phq9(world.paul, 7, submitted_at=datetime(2026, 11, 13, 6, 0, tzinfo=UTC))
    make_phq9(world.pia, 23, submitted_at=NOW - timedelta(days=1))
    make_phq9(world.bruno, 22, submitted_at=NOW - timedelta(days=1))
    content = signed_in_client(PAUL_EMAIL).get("/me/").content
    # 06:00 UTC on 13 November is still the 12th in Los Angeles.
    assert b"Your last check-in on 12 November: mild symptoms." in content
    assert b"Lower is better." in content
    points = chart_points(content)
    assert points == [{"date": "2026-10-31", "score": 16.0}, {"date": "2026-11-12", "score": 7.0}]


def test_without_checkins_the_page_says_so_and_draws_no_chart(world, frozen, mailoutbox):
    content = signed_in_client(PAUL_EMAIL).get("/me/").content
    assert b"You have not sent a check-in yet." in content
    assert b"phq9-spec" not in content


def test_the_plan_is_explained_in_plain_words(world, frozen, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    assert b"has not set up a plan" in client.get("/me/").content
    plan = MaintenancePlan.objects.create(
        organization_id=world.paul.organization_id,
        patient=world.paul,
        policy=PolicyChoice.FIXED,
        fixed_interval_days=28,
    )
    assert b"You have a booster session every 4 weeks." in client.get("/me/").content
    plan.policy = PolicyChoice.FORECAST
    plan.save()
    content = client.get("/me/").content
    assert b"they may offer you a booster session early" in content
    assert b"Forecast" not in content
    assert b"probability" not in content


def test_an_accepted_booster_is_shown_with_its_date(world, frozen, mailoutbox):
    booked = appointment(world, world.paul, BOOSTER_AT)
    BoosterProposal.objects.create(
        organization_id=world.paul.organization_id,
        patient=world.paul,
        policy=PolicyChoice.FORECAST,
        created_at=NOW - timedelta(days=1),
        earliest_on=date(2026, 12, 1),
        latest_on=date(2026, 12, 8),
        reason="P(relapse within 21 days) 0.64; forecast crossing 2026-12-06",
        status=ProposalStatus.ACCEPTED,
        decided_at=NOW,
        decision_note="Private: discussed with the family",
        appointment=booked,
    )
    content = signed_in_client(PAUL_EMAIL).get("/me/").content
    assert (
        b"Your care team suggested a booster session, and it is booked for Thursday 3 December."
        in content
    )
    assert b"the booster your care team suggested" in content
    assert b"0.64" not in content
    assert b"Private" not in content


def test_risk_alerts_and_clinician_notes_never_show(world, frozen, mailoutbox):
    make_phq9(world.paul, 19, item9=2, submitted_at=NOW - timedelta(days=1))
    alert = Alert.objects.get(patient=world.paul)
    alert.resolution_note = "Clinician note: called the patient"
    alert.save()
    RiskAssessment.objects.create(
        organization_id=world.paul.organization_id,
        patient=world.paul,
        assessed_on=NOW.date(),
        computed_at=NOW,
        level=18.2,
        p_relapse_28d=0.73,
        explanation="Drift detected by CUSUM",
    )
    make_session(
        world.paul,
        started_at=NOW - timedelta(days=3),
        discharge_note="Discharge note: mild dissociation",
        adverse_events="Nausea",
    )
    content = signed_in_client(PAUL_EMAIL).get("/me/").content
    for hidden in (
        alert.reason.encode(),
        b"73%",
        b"73 %",
        b"0.73",
        b"18.2",
        b"CUSUM",
        b"Clinician note",
        b"Discharge note",
        b"Nausea",
        b"alert",
        b"Alert",
        b"risk",
        b"relapse",
    ):
        assert hidden not in content, hidden
    assert b"moderately severe symptoms" in content


def test_each_read_of_the_page_is_audited(world, frozen, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    client.get("/me/")
    client.get("/me/")
    reads = AuditEvent.objects.filter(action=Action.READ, patient_id=world.paul.pk)
    assert reads.count() == 2
    assert {event.username for event in reads} == {f"patient:{world.paul.pk}"}
    assert {event.organization_id for event in reads} == {world.clinic_a.pk}


def scheduled(patient, key: str, opens_at: datetime) -> ScheduledCheckIn:
    return ScheduledCheckIn.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        key=key,
        reason="maintenance",
        instruments=["phq9", "gad7"],
        due_on=opens_at.date(),
        opens_at=opens_at,
        expires_at=opens_at + timedelta(days=3),
    )


def test_an_open_checkin_has_a_button_and_the_next_one_its_day(world, frozen, mailoutbox):
    scheduled(world.paul, "maintenance:open", NOW - timedelta(hours=2))
    scheduled(world.paul, "maintenance:next", NOW + timedelta(days=7))
    scheduled(world.paul, "maintenance:after", NOW + timedelta(days=14))
    page = signed_in_client(PAUL_EMAIL).get("/me/").content.decode()
    section = page.split('id="next-checkins"', 1)[1].split("</section>", 1)[0]
    link = re.search(r'href="(http://[^"]+/c/[^"]+/)"', section)
    assert link is not None
    assert "Answer your check-in now" in section
    # 09:00 in Los Angeles on Friday 27 November, seven days after NOW (UTC-8).
    assert "Your next check-in opens on Friday 27 November." in section
    assert "4 December" not in section  # only the next one, not every planned one
    response = Client().get(re.sub(r"^https?://[^/]+", "", link.group(1)))
    assert response.status_code == 200


def test_no_planned_checkins_says_so(world, frozen, mailoutbox):
    page = signed_in_client(PAUL_EMAIL).get("/me/").content.decode()
    assert "No check-ins are planned for you right now." in page


def test_another_patients_checkins_are_not_shown(world, frozen, mailoutbox):
    scheduled(world.pia, "maintenance:pia", NOW - timedelta(hours=2))
    page = signed_in_client(PAUL_EMAIL).get("/me/").content.decode()
    assert "Answer your check-in now" not in page


def test_the_page_is_not_cached_and_shows_crisis_resources(world, frozen, mailoutbox):
    response = signed_in_client(PAUL_EMAIL).get("/me/")
    assert "no-store" in response["Cache-Control"]
    assert b'id="crisis-footer"' in response.content
    assert b"988" in response.content


def test_the_home_page_reads_a_bounded_number_of_queries(
    world, frozen, mailoutbox, django_assert_max_num_queries
):
    for days in range(1, 30, 3):
        make_phq9(world.paul, days % 20, submitted_at=NOW - timedelta(days=days))
        appointment(world, world.paul, NOW + timedelta(days=days))
    client = signed_in_client(PAUL_EMAIL)
    # 14 before the crisis resource had its own table, 15 before the cost forecast, 16
    # before the relapse-prevention plan.
    with django_assert_max_num_queries(17):
        client.get("/me/")


def test_a_checkin_sent_later_shows_up(world, frozen, mailoutbox):
    client = signed_in_client(PAUL_EMAIL)
    make_phq9(world.paul, 3, submitted_at=timezone.now() - timedelta(hours=1))
    assert CheckIn.objects.filter(patient=world.paul).count() == 1
    content = client.get("/me/").content
    assert b"few or no symptoms" in content
