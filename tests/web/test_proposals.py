"""Booster proposals: accept books an appointment, move reopens, decline needs a reason.

dr_ana (clinician) decides; rn_cara (staff) and dr_olga (other clinic) cannot.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.audit.models import AuditEvent
from lasting.plans.models import BoosterProposal, ProposalStatus
from lasting.plans.services import expire_proposals
from lasting.treatment.models import Appointment
from tests.factories import make_location, make_organization
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    """The personas, with an open booster proposal for Paul."""
    clinic, paul = personas.clinic, personas.paul
    today = today_in(clinic.time_zone)
    proposal = BoosterProposal.objects.create(
        organization=clinic,
        patient=paul,
        policy="forecast",
        created_at=timezone.now(),
        earliest_on=today,
        latest_on=today + timedelta(days=7),
        reason="forecast: 62% chance of relapse within 3 weeks (threshold 50%)",
    )
    return {"clinic": clinic, "paul": paul, "proposal": proposal, "today": today}


def test_the_review_queue_lists_the_open_proposal_with_its_reason(world):
    response = client_for("dr_ana").get(reverse("clinic:review"))
    assert response.status_code == 200
    assert b"62% chance of relapse within 3 weeks" in response.content


def test_accepting_books_a_booster_appointment(world):
    location = make_location(world["clinic"])
    starts = (world["today"] + timedelta(days=3)).isoformat() + "T10:00"
    response = client_for("dr_ana").post(
        reverse("plans:accept", args=[world["proposal"].pk]),
        {"starts_at": starts, "location": location.pk},
    )
    assert response.status_code == 302
    proposal = BoosterProposal.objects.get(pk=world["proposal"].pk)
    assert proposal.status == ProposalStatus.ACCEPTED
    appointment = Appointment.objects.get()
    assert proposal.appointment == appointment
    assert (appointment.kind, appointment.patient) == ("booster", world["paul"])
    assert AuditEvent.objects.filter(object_type="Appointment", action="create").exists()


def test_moving_records_the_decision_and_opens_the_new_window(world):
    new_start = world["today"] + timedelta(days=10)
    client_for("dr_ana").post(
        reverse("plans:move", args=[world["proposal"].pk]),
        {"earliest_on": new_start, "latest_on": new_start + timedelta(days=4), "note": "travel"},
    )
    old = BoosterProposal.objects.get(pk=world["proposal"].pk)
    new = BoosterProposal.objects.get(status=ProposalStatus.OPEN)
    assert old.status == ProposalStatus.MOVED
    assert old.decision_note == "travel"
    assert new.earliest_on == new_start


def test_declining_needs_a_reason_and_keeps_it(world):
    client = client_for("dr_ana")
    empty = client.post(reverse("plans:decline", args=[world["proposal"].pk]), {"reason": ""})
    assert empty.status_code == 422
    assert b"Say why the booster is declined." in empty.content
    assert BoosterProposal.objects.get().status == ProposalStatus.OPEN
    client.post(reverse("plans:decline", args=[world["proposal"].pk]), {"reason": "feels well"})
    proposal = BoosterProposal.objects.get()
    assert (proposal.status, proposal.decision_note) == (ProposalStatus.DECLINED, "feels well")


def test_a_decided_proposal_cannot_be_decided_again(world):
    client = client_for("dr_ana")
    client.post(reverse("plans:decline", args=[world["proposal"].pk]), {"reason": "feels well"})
    again = client.post(reverse("plans:decline", args=[world["proposal"].pk]), {"reason": "x"})
    assert again.status_code == 422
    assert b"already declined" in again.content


@pytest.mark.parametrize("persona", ["rn_cara", "dr_olga"])
def test_staff_and_foreign_clinicians_cannot_decide(world, persona):
    client = client_for(persona)
    for action, body in (
        ("plans:accept", {"starts_at": "2026-12-01T10:00"}),
        ("plans:decline", {"reason": "no"}),
        ("plans:move", {"earliest_on": "2026-12-01", "latest_on": "2026-12-02"}),
    ):
        response = client.post(reverse(action, args=[world["proposal"].pk]), body)
        assert response.status_code == 403
    assert BoosterProposal.objects.get().status == ProposalStatus.OPEN
    assert not Appointment.objects.exists()


def test_a_foreign_location_cannot_be_booked(world):
    foreign = make_location(make_organization())
    response = client_for("dr_ana").post(
        reverse("plans:accept", args=[world["proposal"].pk]),
        {"starts_at": "2026-12-01T10:00", "location": foreign.pk},
    )
    assert response.status_code == 422
    assert not Appointment.objects.exists()


def test_proposals_past_their_window_expire(world):
    clinic = world["clinic"]
    assert expire_proposals(clinic.pk, timezone.now() + timedelta(days=2)) == 0
    assert expire_proposals(clinic.pk, timezone.now() + timedelta(days=9)) == 1
    assert BoosterProposal.objects.get().status == ProposalStatus.EXPIRED


def test_only_clinicians_edit_the_maintenance_plan(world):
    paul = world["paul"]
    assert client_for("rn_cara").get(reverse("plans:edit_plan", args=[paul.pk])).status_code == 403
    assert client_for("dr_olga").get(reverse("plans:edit_plan", args=[paul.pk])).status_code == 404
    response = client_for("dr_ana").post(
        reverse("plans:edit_plan", args=[paul.pk]),
        {
            "policy": "fixed",
            "probability_threshold": "50",
            "min_spacing_days": "7",
            "symptom_threshold": "10",
            "fixed_interval_days": "35",
            "reason": "boosters every five weeks, as agreed with Paul",
        },
    )
    assert response.status_code == 302
    assert paul.plan.fixed_interval_days == 35
