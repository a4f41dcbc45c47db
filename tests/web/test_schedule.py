"""Appointments: booked against the location's chairs and the patient's other bookings,
moved and cancelled, and followed through the day on each location's board, with what is
due next in each chair. Personas: tests/personas.py. Times are on Clinic A's clock."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.audit.models import Action, AuditEvent
from lasting.plans.models import BoosterProposal, ProposalStatus
from lasting.treatment.models import Appointment, AppointmentStatus
from tests.factories import make_location, make_patient
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor(personas):
    """Clinic A's two-chair location and a second patient; bookings tomorrow."""
    zone = ZoneInfo(personas.clinic.time_zone)
    tomorrow = today_in(personas.clinic.time_zone) + timedelta(days=1)
    return {
        "location": make_location(personas.clinic, name="Boulder", chairs=2),
        "rosa": make_patient(personas.clinic, given_name="Rosa", family_name="Diaz"),
        "at": lambda hour, minute=0: datetime.combine(tomorrow, time(hour, minute), tzinfo=zone),
        "day": tomorrow,
    }


def book(persona, patient, floor, hour, minute=0, **extra):
    data = {
        "kind": "booster",
        "route": "iv",
        "starts_at": floor["at"](hour, minute).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "120",
        "location": floor["location"].pk,
        **extra,
    }
    return client_for(persona).post(reverse("schedule:new_appointment", args=[patient.pk]), data)


def test_the_front_desk_books_and_the_board_shows_it_in_a_chair(personas, floor):
    response = book("sam_front", personas.paul, floor, 10)

    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=personas.paul)
    assert appointment.starts_at == floor["at"](10)
    assert appointment.clinician == personas.dr_ana.user  # the patient's own clinician
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="Appointment", patient_id=personas.paul.pk
    ).exists()
    board = client_for("sam_front").get(response["Location"])
    chairs = dict(board.context["board"].chairs)
    assert [entry.appointment for entry in chairs[1]] == [appointment]


def test_a_third_overlapping_booking_does_not_fit_two_chairs(personas, floor):
    third = make_patient(personas.clinic, given_name="Tom", family_name="Hale")
    assert book("sam_front", personas.paul, floor, 10).status_code == 302
    assert book("sam_front", floor["rosa"], floor, 11).status_code == 302

    refused = book("sam_front", third, floor, 11, 30)

    assert refused.status_code == 422
    assert "All 2 chairs at Boulder are taken" in refused.content.decode()
    assert book("sam_front", third, floor, 12).status_code == 302  # Paul has left by then


def test_a_patient_cannot_be_in_two_places_at_once(personas, floor):
    other = make_location(personas.clinic, name="Denver", chairs=4)
    book("sam_front", personas.paul, floor, 10)

    refused = book("sam_front", personas.paul, floor, 11, location=other.pk)

    assert refused.status_code == 422
    assert "another appointment at that time" in refused.content.decode()


def test_a_time_in_the_past_is_refused(personas, floor):
    past = timezone.localtime(timezone.now() - timedelta(hours=2))

    response = client_for("sam_front").post(
        reverse("schedule:new_appointment", args=[personas.paul.pk]),
        {
            "kind": "booster",
            "starts_at": past.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "location": floor["location"].pk,
        },
    )

    assert response.status_code == 422
    assert "This time has passed" in response.content.decode()


def test_a_booster_booked_by_hand_answers_the_open_proposal(personas, floor):
    today = today_in(personas.clinic.time_zone)
    proposal = BoosterProposal.objects.create(
        organization=personas.clinic,
        patient=personas.paul,
        policy="forecast",
        created_at=timezone.now(),
        earliest_on=today,
        latest_on=today + timedelta(days=7),
        reason="Forecast crosses the relapse level",
    )

    book("dr_ana", personas.paul, floor, 10)

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert proposal.appointment == Appointment.objects.get(patient=personas.paul)
    assert proposal.decision_note == "booked by hand"


def test_moving_keeps_the_checks_and_cancelling_frees_the_chair(personas, floor):
    third = make_patient(personas.clinic, given_name="Tom", family_name="Hale")
    book("sam_front", personas.paul, floor, 10)
    book("sam_front", floor["rosa"], floor, 10)
    tom = book("sam_front", third, floor, 13)
    assert tom.status_code == 302
    toms = Appointment.objects.get(patient=third)
    client = client_for("sam_front")
    move_url = reverse("schedule:move", args=[toms.pk])
    into_full = {
        "starts_at": floor["at"](10, 30).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "location": floor["location"].pk,
    }

    assert client.post(move_url, into_full).status_code == 422
    paul = Appointment.objects.get(patient=personas.paul)
    client.post(reverse("schedule:cancel", args=[paul.pk]), {"reason": "Patient unwell"})
    assert client.post(move_url, into_full).status_code == 302

    toms.refresh_from_db()
    paul.refresh_from_db()
    assert toms.starts_at == floor["at"](10, 30)
    assert (paul.status, paul.cancel_reason) == (AppointmentStatus.CANCELLED, "Patient unwell")


def test_the_day_on_the_floor_with_what_is_due_next(personas, floor):
    book("sam_front", personas.paul, floor, 10, route="intranasal_esketamine")
    appointment = Appointment.objects.get(patient=personas.paul)
    status_url = reverse("schedule:status", args=[appointment.pk])
    client_for("sam_front").post(status_url, {"status": "arrived"})

    refused = client_for("sam_front").post(status_url, {"status": "dosed"})
    assert refused.status_code == 403  # the front desk records no dose
    client_for("rn_cara").post(status_url, {"status": "dosed"})

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.DOSED
    nurse_board = client_for("rn_cara").get(
        reverse("schedule:day"), {"location": floor["location"].pk, "day": floor["day"]}
    )
    page = nurse_board.content.decode()
    assert "blood pressure (~40 min" in page
    assert "end of 2-hour monitoring" in page
    desk_board = client_for("sam_front").get(
        reverse("schedule:day"), {"location": floor["location"].pk, "day": floor["day"]}
    )
    assert "blood pressure" not in desk_board.content.decode()
    client_for("rn_cara").post(status_url, {"status": "completed"})
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.discharged_at is not None


def test_an_out_of_order_step_is_refused(personas, floor):
    book("sam_front", personas.paul, floor, 10)
    appointment = Appointment.objects.get(patient=personas.paul)

    client_for("rn_cara").post(
        reverse("schedule:status", args=[appointment.pk]), {"status": "completed"}
    )

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


def test_the_board_refreshes_itself_as_a_fragment(personas, floor):
    response = client_for("rn_cara").get(
        reverse("schedule:day"),
        {"location": floor["location"].pk},
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert "<html" not in page
    assert "refreshes every 30 seconds" in page


@pytest.mark.parametrize(("persona", "status"), [("admin_dora", 403), ("sam_front", 200)])
def test_who_sees_the_schedule(personas, floor, persona, status):
    assert client_for(persona).get(reverse("schedule:day")).status_code == status


def test_another_clinic_sees_nothing_of_it(personas, floor):
    book("sam_front", personas.paul, floor, 10)
    appointment = Appointment.objects.get(patient=personas.paul)
    olga = client_for("dr_olga")

    assert olga.get(reverse("schedule:move", args=[appointment.pk])).status_code == 404
    assert (
        olga.post(
            reverse("schedule:status", args=[appointment.pk]), {"status": "arrived"}
        ).status_code
        == 404
    )
    board = olga.get(reverse("schedule:day"), {"location": floor["location"].pk})
    assert "Moreno" not in board.content.decode()


def test_one_clinicians_day_across_locations(personas, floor):
    denver = make_location(personas.clinic, name="Denver", chairs=2)
    book("sam_front", personas.paul, floor, 10)  # with dr_ana, Paul's clinician
    book(
        "sam_front", floor["rosa"], floor, 13, location=denver.pk, clinician=personas.dr_ben.user_id
    )

    response = client_for("rn_cara").get(
        reverse("schedule:day"),
        {"day": floor["day"], "clinician": personas.dr_ben.user_id},
    )

    entries = response.context["clinician_day"].entries
    assert [entry.appointment.patient for entry in entries] == [floor["rosa"]]
    assert "Denver" in response.content.decode()


def test_a_location_in_another_time_zone_books_on_its_own_clock(personas, floor):
    phoenix = make_location(personas.clinic, name="Phoenix", chairs=2, time_zone="America/Phoenix")
    day = floor["day"]

    response = client_for("sam_front").post(
        reverse("schedule:new_appointment", args=[personas.paul.pk]),
        {
            "kind": "booster",
            "starts_at": f"{day.isoformat()}T10:00",
            "duration_minutes": "120",
            "location": phoenix.pk,
        },
    )

    assert response.status_code == 302
    booked = Appointment.objects.get(patient=personas.paul)
    assert booked.starts_at == datetime.combine(
        day, time(10, 0), tzinfo=ZoneInfo("America/Phoenix")
    )
    board = client_for("sam_front").get(response["Location"]).content.decode()
    assert "10:00–12:00" in board
