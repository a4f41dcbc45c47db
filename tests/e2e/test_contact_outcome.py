"""A clinician acts on a safety alert from the e-mail, on a phone: acknowledge, a call that
does not reach the patient, then one that does. The alert closes only then. In a real
browser at 390 x 844, with no sideways scrolling at any step."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from lasting.alerts.escalation import escalate_overdue_alerts
from lasting.alerts.models import Alert, AlertStatus, ContactOutcome
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import PASSWORD, make_member, make_organization, make_patient, make_phq9

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def assert_fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width} px wide"


def test_a_safety_alert_is_closed_by_contact_from_a_phone(live_server, browser, artifacts):
    clinic = make_organization(name="Clearwater Test Clinic", time_zone="America/Denver")
    dr_ana = make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    make_member(clinic, username="dr_ben", first_name="Ben", last_name="Okafor")
    severe = make_patient(clinic, family_name="Severe", assigned_clinician=dr_ana.user)
    make_phq9(severe, 24, submitted_at=timezone.now() - timedelta(days=1))
    paul = make_patient(
        clinic,
        given_name="Paul",
        family_name="Moreno",
        phone="+1 303 555 0142",
        assigned_clinician=dr_ana.user,
    )
    make_phq9(paul, 15, item9=3, submitted_at=timezone.now() - timedelta(hours=5))
    alert = Alert.objects.get(patient=paul)

    # Nobody acknowledged within four hours: the escalation e-mail carries the link.
    escalate_overdue_alerts()
    (link,) = re.findall(r"https?://\S+/alerts/\d+/", mail.outbox[-1].body)
    link = link.replace(settings.SITE_URL, live_server.url)

    page = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(link)
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", "dr_ana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, "dr_ana")
    page.wait_for_url(f"**/alerts/{alert.pk}/")
    assert "answered 3 of 3" in page.inner_text("#alert-summary")
    assert page.get_attribute("#call-patient", "href") == "tel:+1 303 555 0142"
    assert "988" in page.inner_text("#patient-contact")
    assert_fits_the_phone(page)
    save(page, artifacts / "alert-phone-1-opened.png", full_page=True)

    # 1. "I have it": acknowledged, still open, still escalating.
    page.click("#acknowledge")
    page.wait_for_selector("#acknowledged-by")
    assert "Ana Ruiz" in page.inner_text("#acknowledged-by")
    assert "Escalates again" in page.inner_text("#next-escalation")  # escalated once
    assert_fits_the_phone(page)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED

    # 2. One click with an empty note closes nothing, even past the browser's own check.
    page.check("input[name=outcome][value=reached]")
    page.evaluate("document.querySelector('textarea[name=note]').removeAttribute('required')")
    page.click("#record-contact-button")
    page.wait_for_selector("text=Write a note")
    assert_fits_the_phone(page)
    save(page, artifacts / "alert-phone-2-empty-note.png", full_page=True)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED

    # 3. Unable to reach: recorded, and the alert stays open.
    page.check("input[name=outcome][value=unable_to_reach]")
    page.fill("textarea[name=note]", "No answer; left no message (shared phone).")
    page.click("#record-contact-button")
    page.wait_for_selector("#contact-attempts li")
    assert "Unable to reach" in page.inner_text("#contact-attempts")
    assert page.is_visible("#record-contact")
    assert_fits_the_phone(page)
    save(page, artifacts / "alert-phone-3-unable-to-reach.png", full_page=True)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED

    # The patient is still at the top of the caseload, above a more severe score.
    page.goto(f"{live_server.url}/caseload/")
    first_row = page.locator("#caseload tbody tr").first
    assert first_row.get_attribute("data-patient-id") == str(paul.pk)
    assert "awaiting contact" in first_row.inner_text()

    # 4. Reached: the alert closes with the note.
    page.goto(link)
    page.check("input[name=outcome][value=reached]")
    page.fill("textarea[name=note]", "Spoke with Paul: safe tonight; safety plan reviewed.")
    page.click("#record-contact-button")
    page.wait_for_selector("#closed")
    assert "Closed by Ana Ruiz" in page.inner_text("#closed")
    assert page.locator("#record-contact").count() == 0
    assert_fits_the_phone(page)
    save(page, artifacts / "alert-phone-4-closed.png", full_page=True)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    outcomes = [a.outcome for a in alert.contact_attempts.all()]
    assert outcomes == [ContactOutcome.UNABLE_TO_REACH, ContactOutcome.REACHED]

    # The patient page keeps the whole history; the caseload lets the patient down.
    page.goto(f"{live_server.url}/patients/{paul.pk}/")
    history = page.inner_text("#alert-history")
    assert "Unable to reach" in history
    assert "Reached the patient" in history
    assert "MDT" in history or "MST" in history
    save(page, artifacts / "alert-phone-5-history.png", full_page=True)
    page.goto(f"{live_server.url}/caseload/")
    first_row = page.locator("#caseload tbody tr").first
    assert first_row.get_attribute("data-patient-id") == str(severe.pk)
