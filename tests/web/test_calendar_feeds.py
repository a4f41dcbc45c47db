"""Calendar feeds: secret, revocable iCalendar addresses of a clinician's, a location's or
a patient's appointments; every event says only "Lasting appointment". Each feed is
parsed with the icalendar library. Personas: tests/personas.py."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.schedule.models import CalendarFeed, FeedScope
from lasting.treatment.models import Appointment, AppointmentStatus, SessionKind
from tests.factories import make_location, make_patient
from tests.personas import client_for

pytestmark = pytest.mark.django_db

FEED_PATH = re.compile(r"https?://[^/\s<]+(/calendar/[^\s<]+\.ics)")


@pytest.fixture
def bookings(personas):
    """Paul (dr_ana's) at Boulder tomorrow, Rosa (dr_ben's) at Denver, one cancelled."""
    boulder = make_location(personas.clinic, name="Boulder", chairs=2)
    denver = make_location(personas.clinic, name="Denver", chairs=2)
    rosa = make_patient(personas.clinic, given_name="Rosa", family_name="Diaz")
    soon = timezone.now().replace(microsecond=0) + timedelta(days=1)

    def appointment(patient, location, clinician, at, **extra):
        return Appointment.objects.create(
            organization=personas.clinic,
            patient=patient,
            location=location,
            clinician=clinician,
            kind=SessionKind.BOOSTER,
            starts_at=at,
            **extra,
        )

    return {
        "boulder": boulder,
        "paul": appointment(personas.paul, boulder, personas.dr_ana.user, soon),
        "rosa": appointment(rosa, denver, personas.dr_ben.user, soon + timedelta(hours=3)),
        "cancelled": appointment(
            personas.paul,
            boulder,
            personas.dr_ana.user,
            soon + timedelta(days=2),
            status=AppointmentStatus.CANCELLED,
        ),
    }


def create(persona: str, **post: object) -> str:
    response = client_for(persona).post(reverse("schedule:feeds"), post)
    match = FEED_PATH.search(response.content.decode())
    assert match is not None, response.content.decode()[:500]
    return match.group(1)


def events(path: str) -> list[icalendar.Event]:
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar"
    calendar = icalendar.Calendar.from_ical(response.content)
    return list(calendar.walk("VEVENT"))


def test_a_clinicians_feed_holds_their_appointments_and_nothing_else(personas, bookings):
    found = events(create("dr_ana", scope="clinician"))

    assert [e.decoded("dtstart") for e in found] == [bookings["paul"].starts_at]
    assert found[0].decoded("dtend") == bookings["paul"].ends_at


def test_no_event_names_the_patient_or_the_treatment(personas, bookings):
    path = create("sam_front", scope="location", location=bookings["boulder"].pk)

    text = Client().get(path).content.decode()
    assert {str(e["summary"]) for e in events(path)} == {"Lasting appointment"}
    for word in ("Moreno", "Paul", "booster", "ketamine", "Boulder", "Clinic A"):
        assert word not in text
    assert "DESCRIPTION" not in text
    assert "LOCATION" not in text


def test_a_location_feed_and_a_patient_feed(personas, bookings):
    location = events(create("sam_front", scope="location", location=bookings["boulder"].pk))
    patient = events(create("rn_cara", scope="patient", patient=personas.paul.pk))

    assert [e.decoded("dtstart") for e in location] == [bookings["paul"].starts_at]
    assert [e.decoded("dtstart") for e in patient] == [bookings["paul"].starts_at]


def test_a_revoked_feed_answers_404_at_once(personas, bookings):
    path = create("dr_ana", scope="clinician")
    feed = CalendarFeed.objects.get(scope=FeedScope.CLINICIAN)

    client_for("dr_ana").post(reverse("schedule:feeds"), {"scope": "revoke", "feed": feed.pk})

    assert Client().get(path).status_code == 404


def test_a_made_up_address_answers_404(db):
    assert Client().get(reverse("schedule:feed", args=["x" * 43])).status_code == 404


def test_only_the_hash_of_the_address_is_stored(personas, bookings):
    path = create("dr_ana", scope="clinician")

    token = path.removeprefix("/calendar/").removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_hash=token).exists()


def test_nobody_makes_a_feed_of_another_clinic(personas, bookings):
    foreign = make_location(personas.other_clinic, name="Elsewhere")

    refused = client_for("dr_olga").post(
        reverse("schedule:feeds"), {"scope": "location", "location": bookings["boulder"].pk}
    )
    refused_patient = client_for("dr_olga").post(
        reverse("schedule:feeds"), {"scope": "patient", "patient": personas.paul.pk}
    )

    assert (refused.status_code, refused_patient.status_code) == (404, 404)
    assert foreign.pk  # Clinic B's own location exists; Clinic A's was not reachable
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("persona", ["admin_dora"])
def test_admins_have_no_feeds_page(personas, persona):
    assert client_for(persona).get(reverse("schedule:feeds")).status_code == 403
