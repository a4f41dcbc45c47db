"""A clinician writes a relapse-prevention plan with one warning sign tracked daily; the
patient reads the plan on a phone, answers the new question in the daily check, and both
print the plan cleanly. In a real browser."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lasting.checkins.models import CheckIn, Source
from lasting.checkins.services import issue_link
from lasting.intake import services as door
from lasting.prevention.models import PersonalItem, PersonalItemAnswer, PlanVersion
from lasting.risk.services import assess_one
from lasting.treatment.models import SessionKind
from lasting_core.instruments import InstrumentCode, get_instrument
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import (
    PASSWORD,
    SYSTEM,
    make_member,
    make_organization,
    make_patient,
    make_phq9,
    make_session,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PHONE = {"width": 390, "height": 844}


def fill_plan(desk, reason: str) -> None:
    """From the patient page: open the plan's form and write it with one warning sign
    tracked daily (sleeping under 6 hours, at or below 6)."""
    desk.click("#prevention-plan")
    desk.wait_for_load_state("load")
    desk.click("#edit-plan")
    desk.wait_for_load_state("load")
    desk.fill("#id_warning_signs", "Sleeping badly\nSkipping the gym\nPulling away from friends")
    desk.fill("#id_coping_strategies", "Walk the dog\nListen to music")
    desk.fill("#id_people_and_places", "The climbing gym; coffee with Marco")
    desk.fill("#id_help_contacts", "My sister Lena, 555-0188")
    desk.fill("#id_professional_contacts", "Clinic line 555-0100; 988 Lifeline")
    desk.fill("#id_safe_environment", "Keep only a week of medication at home")
    desk.fill("#id_practice", "CBT skills worksheet, three times a week")
    desk.fill("#id_items-0-warning_sign", "Sleeping under 6 hours")
    desk.fill("#id_items-0-question", "How many hours did you sleep last night?")
    desk.select_option("#id_items-0-answer_type", "hours")
    desk.fill("#id_items-0-threshold", "6")
    desk.select_option("#id_items-0-direction", "below")
    desk.fill("#id_reason", reason)


def sign_in_to_portal(browser, live_server, email: str):
    """The patient's phone, signed in to /me/ by the e-mailed link."""
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(f"{live_server.url}/me/sign-in/")
    phone.fill("input[name=email]", email)
    phone.click("button[type=submit]")
    phone.wait_for_url("**/me/sign-in/sent/**")
    link = re.search(r"https?://\S+/me/sign-in/\S+/", mail.outbox[-1].body)
    assert link is not None
    phone.goto(link.group())
    phone.click("button[type=submit]")
    phone.wait_for_url("**/me/")
    return phone


def save_plan_and_turn_on_the_daily_check(desk, live_server, patient) -> None:
    desk.click("#plan-form button[type=submit]")
    desk.wait_for_url(f"**/patients/{patient.pk}/prevention-plan/")
    desk.wait_for_load_state("load")
    desk.goto(f"{live_server.url}/patients/{patient.pk}/plan/")
    desk.check("#id_daily_check")
    desk.fill("#id_reason", "Daily check for the sleep warning sign")
    desk.click("form.grid-form button[type=submit]")
    desk.wait_for_url(f"**/patients/{patient.pk}/")


def test_a_plan_written_in_clinic_reaches_the_patients_phone_and_daily_check(
    live_server, browser, artifacts, settings
):
    settings.TASKS = IMMEDIATE  # the sign-in e-mail goes out within the request
    settings.SITE_URL = live_server.url
    clinic = make_organization(name="Clearwater Test Clinic")
    dr_ana = make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    paul = make_patient(
        clinic,
        given_name="Paul",
        family_name="Moreno",
        assigned_clinician=dr_ana.user,
        email="paul@example.org",
        portal_access=True,
    )
    # Responded to induction and stable since, so the engine has a picture of him.
    now = timezone.now()
    make_phq9(paul, 21, submitted_at=now - timedelta(days=80))
    for day in (78, 76, 74, 71, 69, 67):
        make_session(paul, kind=SessionKind.INDUCTION, started_at=now - timedelta(days=day))
    for day in range(63, 0, -7):
        make_phq9(paul, 5, submitted_at=now - timedelta(days=day))

    # The clinician writes the plan with Paul.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    desk.goto(f"{live_server.url}/accounts/login/")
    desk.fill("#id_username", "dr_ana")
    desk.fill("#id_password", PASSWORD)
    desk.click("button[type=submit]")
    pass_second_step(desk, "dr_ana")
    desk.wait_for_url("**/caseload/")
    desk.goto(f"{live_server.url}/patients/{paul.pk}/")
    fill_plan(desk, "First plan, written with Paul")
    save(desk, artifacts / "prevention-plan-form.png", full_page=True)
    desk.click("#plan-form button[type=submit]")
    desk.wait_for_url(f"**/patients/{paul.pk}/prevention-plan/")
    desk.wait_for_load_state("load")
    assert "First plan, written with Paul" in desk.inner_text("#history")
    assert "Sleeping under 6 hours" in desk.inner_text("#tracked-items")
    save(desk, artifacts / "prevention-plan-clinic.png", full_page=True)
    desk.emulate_media(media="print")
    assert not desk.locator("#history").is_visible()  # history stays on screen, off paper
    assert not desk.locator(".topbar").is_visible()
    save(desk, artifacts / "prevention-plan-clinic-print.png", full_page=True)
    desk.emulate_media(media="screen")

    # The daily check that carries the item is switched on in the maintenance plan, with
    # a reason the plan's history keeps.
    desk.goto(f"{live_server.url}/patients/{paul.pk}/plan/")
    desk.check("#id_daily_check")
    desk.fill("#id_reason", "Daily check for the sleep warning sign")
    desk.click("form.grid-form button[type=submit]")
    desk.wait_for_url(f"**/patients/{paul.pk}/")
    desk.goto(f"{live_server.url}/patients/{paul.pk}/plan/")
    assert "Daily check for the sleep warning sign" in desk.inner_text("#plan-history")
    save(desk, artifacts / "maintenance-plan-history.png", full_page=True)
    version = PlanVersion.objects.get(patient=paul)
    assert version.created_by == dr_ana.user
    item = PersonalItem.objects.get(patient=paul)

    # Paul signs in on his phone and reads the plan.
    phone = sign_in_to_portal(browser, live_server, "paul@example.org")
    phone.click("#prevention-plan-link")
    phone.wait_for_url("**/me/plan/")
    phone.wait_for_load_state("load")
    text = phone.inner_text("main")
    assert "Walk the dog" in text
    assert "How many hours did you sleep last night?" in text
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    save(phone, artifacts / "prevention-plan-patient.png", full_page=True)
    phone.emulate_media(media="print")
    save(phone, artifacts / "prevention-plan-patient-print.png", full_page=True)
    phone.emulate_media(media="screen")

    # The evening's daily check asks his warning sign after the standard items.
    issued = issue_link(SYSTEM, paul, [InstrumentCode.DAILY])
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(issued.url.replace("http://testserver", live_server.url))
    phone.wait_for_load_state("load")
    phone.check("input[name=daily__mood][value='6']")
    phone.check("input[name=daily__sleep][value='4']")
    phone.check("input[name=daily__stress][value='5']")
    phone.fill(f"input[name=personal__{item.pk}]", "5.5")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    save(phone.locator("#personal-items"), artifacts / "prevention-daily-check-item.png")
    save(phone, artifacts / "prevention-daily-check.png", full_page=True)
    # After a full-page screenshot Chromium swallows the next click on this page (seen
    # every time here); pressing Enter on the focused button sends the form the same way.
    phone.focus("button.primary.big")
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    phone.wait_for_load_state("load")
    save(phone, artifacts / "prevention-daily-check-done.png", full_page=True)
    checkin = CheckIn.objects.filter(patient=paul).latest("submitted_at")
    answer = PersonalItemAnswer.objects.get(checkin=checkin)
    assert (answer.item_id, answer.value) == (item.pk, 5.5)

    # Yesterday evening's check had said 6 hours (his threshold is a warning too): two
    # days in a row, which the engine names as a driver on the clinician's page.
    daily = get_instrument(InstrumentCode.DAILY).score({"mood": 6, "sleep": 4, "stress": 5})
    door.submit_checkin_with_personal_items(
        SYSTEM,
        paul,
        [daily],
        {item.pk: 6.0},
        source=Source.LINK,
        submitted_at=checkin.submitted_at - timedelta(days=1),
    )
    assess_one(paul)
    desk.goto(f"{live_server.url}/patients/{paul.pk}/")
    desk.wait_for_load_state("load")
    sentence = desk.inner_text(".explanation")
    assert (
        'personal warning sign "Sleeping under 6 hours": 6 h or less on 2 days in a row' in sentence
    ), sentence
    save(desk.locator(".explanation"), artifacts / "prevention-engine-driver.png")
