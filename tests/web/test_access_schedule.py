"""Who may open the schedule, the booking pages, calendar feeds and patient search: every
role and a clinician of another organisation (personas: tests/personas.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.treatment.models import Appointment, SessionKind
from tests.factories import make_location
from tests.personas import client_for

pytestmark = pytest.mark.django_db

PERSONAS = ("dr_ana", "dr_ben", "rn_cara", "sam_front", "admin_dora", "dr_olga")


@pytest.fixture
def booked(personas):
    location = make_location(personas.clinic, name="Boulder", chairs=2)
    return Appointment.objects.create(
        organization=personas.clinic,
        patient=personas.paul,
        location=location,
        kind=SessionKind.BOOSTER,
        starts_at=timezone.now() + timedelta(days=2),
    )


PAGES = {
    "schedule": (lambda a: reverse("schedule:day"), (200, 200, 200, 200, 403, 200)),
    "feeds": (lambda a: reverse("schedule:feeds"), (200, 200, 200, 200, 403, 200)),
    "search": (
        lambda a: reverse("patients:search") + "?q=moreno",
        (200, 200, 200, 200, 403, 200),
    ),
    "book": (
        lambda a: reverse("schedule:new_appointment", args=[a.patient_id]),
        (200, 200, 200, 200, 403, 404),
    ),
    "move": (
        lambda a: reverse("schedule:move", args=[a.pk]),
        (200, 200, 200, 200, 403, 404),
    ),
}


@pytest.mark.parametrize(("page", "persona"), [(p, who) for p in PAGES for who in PERSONAS])
def test_each_schedule_page_answers_each_persona_as_the_rules_say(booked, page, persona):
    url, expected = PAGES[page]

    response = client_for(persona).get(url(booked))

    assert response.status_code == expected[PERSONAS.index(persona)]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_login(booked, page):
    response = Client().get(PAGES[page][0](booked))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_foreign_clinician_finds_nothing_of_clinic_a(booked):
    page = client_for("dr_olga").get(reverse("patients:search"), {"q": "moreno"})

    assert page.context["results"] == []
