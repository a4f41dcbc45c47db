"""A nurse enters the PHQ-9 a patient filled in on paper at the clinic; item 9 = 2 opens
an urgent safety alert as the patient's own check-in would. In a real browser."""

from __future__ import annotations

import pytest

from lasting.accounts.models import Role
from lasting.alerts.models import Alert, Priority
from lasting.checkins.models import CheckIn, Source
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import PASSWORD, make_member, make_organization, make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_nurse_enters_a_paper_phq9_and_item9_opens_an_urgent_alert(
    live_server, browser, artifacts
):
    clinic = make_organization(name="Clearwater Test Clinic")
    dr_ana = make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    make_member(clinic, Role.STAFF, "rn_cara", first_name="Cara", last_name="Lee")
    paul = make_patient(
        clinic, given_name="Paul", family_name="Moreno", assigned_clinician=dr_ana.user
    )

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "rn_cara")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, "rn_cara")
    page.wait_for_url("**/caseload/")
    page.click("text=Moreno, Paul")
    page.click("#enter-phq9")
    page.wait_for_selector("#instrument-phq9")
    assert page.input_value("#id_taken_at")  # now, on the clinic's clock
    for item in range(1, 9):
        page.check(f"input[name=phq9__q{item}][value='2']")
    page.check("input[name=phq9__q9][value='2']")
    save(page, artifacts / "clinic-phq9-form.png", full_page=True)
    page.click("#save-phq9")
    page.wait_for_url(f"**/patients/{paul.pk}/")
    assert "entered in clinic" in page.inner_text("body")
    save(page, artifacts / "clinic-phq9-saved.png", full_page=True)

    checkin = CheckIn.objects.get(patient=paul)
    assert checkin.source == Source.CLINIC
    assert checkin.responses.get().total == 18
    assert Alert.objects.get(patient=paul, kind="safety").priority == Priority.URGENT
