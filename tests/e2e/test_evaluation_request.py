"""A prospective patient asks for an evaluation on a phone, answers item 9 with 1 and sees
the clinic's crisis line at once; a nurse finds the request in the inbox and books the
evaluation. In a real browser; screenshots in the artifacts directory."""

from __future__ import annotations

import pytest

from lasting.accounts.models import Role
from lasting.alerts.models import Alert, AlertKind
from lasting.checkins.models import CheckIn
from lasting.evaluations import services
from lasting.evaluations.models import EvaluationRequest, RequestStatus
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import (
    PASSWORD,
    make_crisis_resource,
    make_location,
    make_member,
    make_organization,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, username)
    page.wait_for_url("**/caseload/")


def fill_request(visitor) -> None:
    """Rosa Quintero's request: contact details, reason, PHQ-9 with item 9 = 1, GAD-7 and
    the screening questions."""
    visitor.fill("#id_given_name", "Rosa")
    visitor.fill("#id_family_name", "Quintero")
    visitor.fill("#id_date_of_birth", "1988-03-14")
    visitor.fill("#id_phone", "303 555 0142")
    visitor.select_option("#id_location", label="Pearl Street")
    visitor.fill("#id_reason", "Depression that has not lifted with two medicines.")
    visitor.check("input[name=known_diagnoses][value=trd_mdd]")
    visitor.fill("#id_current_treatment", "Sertraline")
    for item in range(1, 9):
        visitor.check(f"input[name=phq9__q{item}][value='2']")
    visitor.check("input[name=phq9__q9][value='1']")
    for item in range(1, 8):
        visitor.check(f"input[name=gad7__q{item}][value='1']")
    for key in ("high_blood_pressure", "psychosis_or_mania", "pregnancy", "substance_use"):
        visitor.check(f"input[name=screening__{key}][value=no]")
    visitor.check("input[name=screening__previous_ketamine][value=unsure]")


def test_a_request_with_item9_shows_crisis_help_and_is_booked_from_the_inbox(
    live_server, browser, artifacts, monkeypatch
):
    # A browser fills the form in about a second; a person takes minutes.
    monkeypatch.setattr(services, "MIN_FORM_SECONDS", 0)
    clinic = make_organization(name="Clearwater Test Clinic", slug="clearwater")
    make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    make_member(clinic, Role.STAFF, "rn_cara", first_name="Cara", last_name="Lee")
    make_member(clinic, Role.SCHEDULER, "sam_front", first_name="Sam", last_name="Front")
    make_location(clinic, name="Pearl Street")
    make_crisis_resource(
        clinic,
        name="Clearwater crisis line",
        phone="303-555-0100",
        instructions="Call 303-555-0100, any time.",
        emergency_phone="911",
    )

    visitor = browser.new_context(viewport=PHONE).new_page()
    visitor.goto(f"{live_server.url}/request/clearwater/", wait_until="load")
    assert no_sideways_scroll(visitor)
    save(visitor, artifacts / "evaluation-request-top.png")
    fill_request(visitor)
    save(visitor, artifacts / "evaluation-request-form.png", full_page=True)
    save(visitor.locator("#screening"), artifacts / "evaluation-screening.png")
    visitor.click("#send-request")
    crisis = visitor.wait_for_selector("#crisis-now")
    visitor.wait_for_load_state("load")
    assert "Clearwater crisis line" in crisis.inner_text()
    assert "Call 303-555-0100" in crisis.inner_text()
    assert "your request was sent" in visitor.inner_text("#request-sent")
    assert no_sideways_scroll(visitor)
    save(visitor, artifacts / "evaluation-request-crisis.png", full_page=True)

    request = EvaluationRequest.objects.get(organization=clinic)
    assert request.patient is not None
    assert Alert.objects.filter(patient=request.patient, kind=AlertKind.SAFETY).count() == 1

    spanish = browser.new_context(viewport=PHONE, locale="es-ES").new_page()
    spanish.goto(f"{live_server.url}/request/clearwater/", wait_until="load")  # the browser's
    assert "Solicite una evaluación confidencial" in spanish.inner_text("h1")
    assert no_sideways_scroll(spanish)
    save(spanish, artifacts / "evaluation-request-top-es.png")
    save(spanish.locator("#instrument-phq9"), artifacts / "evaluation-request-phq9-es.png")

    expect = browser.new_context(viewport=PHONE).new_page()
    expect.goto(f"{live_server.url}/request/clearwater/what-to-expect/?lang=es", wait_until="load")
    assert "Inducción" in expect.inner_text("main")
    assert no_sideways_scroll(expect)
    save(expect, artifacts / "evaluation-what-to-expect-es.png", full_page=True)

    # The front desk, on a phone: who asked and how to reach them, never the answers.
    desk = browser.new_context(viewport=PHONE).new_page()
    sign_in(desk, live_server, "sam_front")
    desk.goto(f"{live_server.url}/requests/", wait_until="load")
    assert no_sideways_scroll(desk)
    save(desk, artifacts / "evaluation-inbox-phone.png", full_page=True)
    desk.click("text=Quintero, Rosa")
    desk.wait_for_selector("#answers-hidden")
    assert "+13035550142" in desk.inner_text("#contact")
    assert "PHQ" not in desk.inner_text("main")
    assert desk.locator("#book-evaluation").count() == 0
    assert no_sideways_scroll(desk)
    save(desk, artifacts / "evaluation-detail-scheduler-phone.png", full_page=True)

    nurse = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(nurse, live_server, "rn_cara")
    nurse.click("text=Requests")
    nurse.wait_for_selector("#requests")
    save(nurse, artifacts / "evaluation-inbox.png", full_page=True)
    nurse.click("text=Quintero, Rosa")
    nurse.wait_for_selector("#item9-warning")
    save(nurse, artifacts / "evaluation-request-detail.png", full_page=True)
    nurse.click("#book-evaluation")
    nurse.wait_for_selector("#patient-link")
    assert "Evaluation booked" in nurse.inner_text("#request-status")
    save(nurse, artifacts / "evaluation-booked.png", full_page=True)

    request.refresh_from_db()
    assert request.status == RequestStatus.BOOKED
    assert CheckIn.objects.filter(patient=request.patient).count() == 1
