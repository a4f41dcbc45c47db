"""A patient writes a note that matches the screening list, on a phone (390 px wide), in
English and in Spanish: the form warns beforehand that notes are not read in real time,
and the confirmation shows the crisis line in the patient's language at once."""

from __future__ import annotations

import re

import pytest

from lasting.alerts.models import Alert, Priority
from lasting.checkins.services import issue_link
from lasting_core.instruments import InstrumentCode
from tests.e2e.shots import save
from tests.factories import SYSTEM, make_member, make_organization, make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

CASES = [
    pytest.param(
        "en",
        "I can't take it anymore, I want to die. I have the pills saved up.",
        "Notes are not read in real time.",
        "What you wrote tells us",
        "Call or text 988, any time, day or night.",
        "Emergency services",
        Priority.URGENT,
        id="english",
    ),
    pytest.param(
        "es",
        "No aguanto más, quiero morir. Tengo las pastillas guardadas.",
        "Las notas no se leen en tiempo real.",
        "Lo que escribió nos dice",
        "Llame al 988 y oprima 2, o envíe un mensaje de texto con la palabra AYUDA al 988",
        "Servicios de emergencia",
        Priority.URGENT,
        id="spanish",
    ),
]


def page_width(page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize(
    ("language", "note", "warning", "reason", "line", "emergency", "priority"), CASES
)
def test_a_matching_note_shows_crisis_help_at_once_on_a_phone(
    live_server, browser, artifacts, language, note, warning, reason, line, emergency, priority
):
    clinic = make_organization(name="Clearwater Test Clinic")
    dr_ana = make_member(clinic, username="dr_ana")
    patient = make_patient(
        clinic, given_name="Pia", preferred_language=language, assigned_clinician=dr_ana.user
    )
    url = issue_link(SYSTEM, patient, [InstrumentCode.DAILY]).url
    path = re.sub(r"^https?://[^/]+", "", url)

    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{live_server.url}{path}")
    warning_box = page.wait_for_selector("#note-not-monitored")
    assert warning in warning_box.inner_text()
    assert warning_box.is_visible()
    assert page_width(page) <= PHONE["width"]  # no sideways scrolling
    for item, value in (("mood", "0"), ("sleep", "2"), ("stress", "9")):
        page.check(f"input[name=daily__{item}][value='{value}']")
    page.fill("textarea[name=note]", note)
    warning_box.scroll_into_view_if_needed()
    save(page, artifacts / f"note-form-{language}.png", full_page=True)

    page.click("button[type=submit]")
    crisis = page.wait_for_selector("#crisis-now")
    text = crisis.inner_text()
    assert reason in text
    assert line in text
    assert emergency in text
    # The crisis box is the first thing on the page, above the thank-you.
    assert crisis.bounding_box()["y"] < page.locator("h1").bounding_box()["y"]
    assert page.locator("#crisis-now a[href='tel:988']").is_visible()
    assert page_width(page) <= PHONE["width"]
    save(page, artifacts / f"note-crisis-{language}.png", full_page=True)

    alert = Alert.objects.get(patient=patient, kind="safety")
    assert alert.priority == priority
    assert alert.drivers["source"] == "note"
    assert "means" in alert.drivers["categories"]
