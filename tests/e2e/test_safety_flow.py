"""A clinician issues a check-in link; the patient reports thoughts of self-harm; the
clinician sees the safety alert at the top of the caseload. All in a real browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.alerts.models import Alert, Priority
from lasting.treatment.models import SessionKind
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import (
    PASSWORD,
    make_member,
    make_organization,
    make_patient,
    make_phq9,
    make_session,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_item9_through_a_link_reaches_the_top_of_the_caseload(live_server, browser, artifacts):
    clinic = make_organization(name="Clearwater Test Clinic")
    dr_ana = make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    now = timezone.now()
    # Someone severe but safe, so "top of the caseload" means the alert outranks severity.
    severe = make_patient(clinic, family_name="Severe", assigned_clinician=dr_ana.user)
    make_phq9(severe, 24, submitted_at=now - timedelta(days=1))
    paul = make_patient(
        clinic, given_name="Paul", family_name="Moreno", assigned_clinician=dr_ana.user
    )
    make_phq9(paul, 19, submitted_at=now - timedelta(days=30))
    make_session(paul, kind=SessionKind.INDUCTION, started_at=now - timedelta(days=28))
    make_phq9(paul, 9, submitted_at=now - timedelta(days=7))

    clinician = browser.new_context(viewport={"width": 1280, "height": 900})
    page = clinician.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dr_ana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, "dr_ana")
    page.wait_for_url("**/caseload/")

    page.click("text=Moreno, Paul")
    page.wait_for_selector("#timeline-chart[data-rendered=true] svg", timeout=15000)
    page.click("#issue-link")
    link = page.wait_for_selector("#checkin-link-url").input_value()
    assert "/c/" in link

    patient_page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    patient_page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    for item in range(1, 9):
        patient_page.check(f"input[name=phq9__q{item}][value='2']")
    patient_page.check("input[name=phq9__q9][value='2']")
    for item in range(1, 8):
        patient_page.check(f"input[name=gad7__q{item}][value='1']")
    patient_page.click("button[type=submit]")
    crisis = patient_page.wait_for_selector("#crisis-now")
    assert "988" in crisis.inner_text()
    save(patient_page, artifacts / "checkin-crisis.png", full_page=True)

    alert = Alert.objects.get(patient=paul, kind="safety")
    assert alert.priority == Priority.URGENT

    page.goto(f"{live_server.url}/caseload/")
    first_row = page.locator("#caseload tbody tr").first
    assert first_row.get_attribute("data-patient-id") == str(paul.pk)
    assert "Safety · urgent" in first_row.inner_text()
    save(page, artifacts / "caseload-after-alert.png", full_page=True)
