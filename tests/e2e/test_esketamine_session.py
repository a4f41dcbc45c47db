"""A nurse signs an esketamine session in a real browser: 45 minutes of monitoring is
refused with the 2-hour rule, 2 h 5 min is stored, and its REMS patient-monitoring form
appears on the to-do list and is recorded as submitted. Also at 390 px wide."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lasting.accounts.clocks import now_in, today_in
from lasting.accounts.models import Role
from lasting.treatment.models import MonitoringForm, TreatmentSession
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import PASSWORD, make_location, make_member, make_organization, make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FORM_TIME = "%Y-%m-%dT%H:%M"
REMS_ANSWERS = {
    "rems_patient_enrolled": "True",
    "rems_first_treatment": "True",
    "takes_benzodiazepines": "False",
    "takes_non_benzodiazepine_sedative_hypnotics": "False",
    "takes_psychostimulants": "False",
    "takes_maois": "False",
    "vitals_acceptable_before_dose": "True",
    "vitals_acceptable_before_leaving": "True",
    "effects_resolved_at_end": "True",
}


def sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", "rn_cara")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, "rn_cara")
    page.wait_for_url("**/caseload/")


def fill_reading(page, row: int, phase: str, when, systolic: str = "132") -> None:
    page.select_option(f"#id_vitals-{row}-phase", phase)
    page.fill(f"#id_vitals-{row}-measured_at", when.strftime(FORM_TIME))
    page.fill(f"#id_vitals-{row}-systolic_mmhg", systolic)
    page.fill(f"#id_vitals-{row}-diastolic_mmhg", "82")
    page.fill(f"#id_vitals-{row}-heart_rate_bpm", "74")
    page.fill(f"#id_vitals-{row}-spo2_percent", "98")


def shoot(page, artifacts, name: str) -> None:
    """Save a full-page screenshot, then scroll back to the top: headless Chromium leaves
    the page scrolled past its end after one, so the next click would land beside its
    target."""
    save(page, artifacts / f"{name}.png", full_page=True)
    page.evaluate("window.scrollTo(0, 0)")


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_a_nurse_signs_an_esketamine_session_and_files_its_rems_form(
    live_server, browser, artifacts
):
    clinic = make_organization(name="Clearwater Test Clinic", time_zone="America/Denver")
    make_location(clinic, name="Downtown", address="120 Main Street")
    make_member(clinic, Role.STAFF, "rn_cara", first_name="Cara", last_name="Marsh")
    paul = make_patient(clinic, given_name="Paul", family_name="Moreno")
    # The form reads times on the clinic's clock; the dose was 3 hours ago there.
    dose_at = (now_in(clinic.time_zone) - timedelta(hours=3)).replace(second=0, microsecond=0)

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url)
    page.goto(f"{live_server.url}/patients/{paul.pk}/")
    # Wait for the page's load event: the form's script, which shows and hides fields by
    # route, runs deferred, and a change made before it runs has no listener to see it.
    with page.expect_navigation(wait_until="load"):
        page.click("text=Log session")
    page.select_option("#id_kind", "induction")
    page.select_option("#id_route", "intranasal_esketamine")
    assert page.is_visible("#rems-fields")
    assert not page.is_visible("#id_dose_mg_per_kg")
    page.fill("#id_started_at", dose_at.strftime(FORM_TIME))
    page.select_option("#id_esketamine_dose", "other")
    assert page.is_visible("#id_dose_reason")
    page.select_option("#id_esketamine_dose", "84")
    assert not page.is_visible("#id_dose_mg")
    page.fill("#id_lot_number", "EK2291")
    page.fill("#id_ended_at", (dose_at + timedelta(minutes=45)).strftime(FORM_TIME))
    page.fill("#id_ready_to_leave_minutes", "40")
    page.check("input[name=sedation][value='4']")
    page.select_option("#id_dissociation", "1")
    for name, value in REMS_ANSWERS.items():
        page.check(f"input[name={name}][value='{value}']")
    fill_reading(page, 0, "before", dose_at - timedelta(minutes=10))
    fill_reading(page, 2, "after", dose_at + timedelta(minutes=40), systolic="138")
    fill_reading(page, 3, "discharge", dose_at + timedelta(minutes=44))
    shoot(page, artifacts, "esketamine-form-filled")
    with page.expect_navigation():
        page.click("text=Sign and save session")
    page.wait_for_selector("#field-ended_at .error")
    refusal = page.inner_text("#field-ended_at .error")
    assert "monitoring lasted 45 minutes" in refusal
    assert "at least 2 hours (120 minutes)" in refusal
    assert not TreatmentSession.objects.exists()
    page.locator("#field-ended_at").scroll_into_view_if_needed()
    shoot(page, artifacts, "esketamine-45-minutes-refused")

    page.fill("#id_ended_at", (dose_at + timedelta(minutes=125)).strftime(FORM_TIME))
    page.fill("#id_ready_to_leave_minutes", "95")
    fill_reading(page, 3, "discharge", dose_at + timedelta(minutes=120))
    page.click("text=Sign and save session")
    page.wait_for_url(f"**/patients/{paul.pk}/")
    assert "REMS patient-monitoring form is due on" in page.inner_text(".message")
    shoot(page, artifacts, "esketamine-stored")

    session = TreatmentSession.objects.get(patient=paul)
    assert session.monitored_minutes == 125
    form = MonitoringForm.objects.get(session=session)
    assert form.due_on == today_in(clinic.time_zone, session.started_at) + timedelta(days=7)

    page.click("text=REMS forms")
    row = page.locator(f"#due-forms tr[data-session-id='{session.pk}']")
    assert "Moreno, Paul" in row.inner_text()
    shoot(page, artifacts, "rems-forms-due")
    row.locator("text=Open form").click()
    page.wait_for_selector("#rems-form")
    assert page.inner_text("#rems-total-minutes") == "125 minutes"
    assert page.inner_text("#rems-bp-leaving") == "132/82 mmHg"
    shoot(page, artifacts, "rems-form")
    page.emulate_media(media="print")
    assert not page.is_visible("#submission-form")
    assert not page.is_visible(".topbar")
    shoot(page, artifacts, "rems-form-print")
    page.emulate_media(media="screen")

    page.fill("#id_submission_reference", "R-20417")
    page.click("text=Record submission")
    page.wait_for_url("**/rems-forms/")
    assert page.locator(f"#due-forms tr[data-session-id='{session.pk}']").count() == 0
    submitted = page.inner_text(f"#submitted-forms tr[data-session-id='{session.pk}']")
    assert "Cara Marsh" in submitted
    assert "R-20417" in submitted
    form.refresh_from_db()
    assert form.submitted_on == today_in(clinic.time_zone)
    assert form.submitted_by is not None
    assert form.submitted_by.username == "rn_cara"

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(phone, live_server.url)
    phone.goto(f"{live_server.url}/patients/{paul.pk}/sessions/new/")
    phone.select_option("#id_route", "intranasal_esketamine")
    shoot(phone, artifacts, "esketamine-form-390")
    assert no_sideways_scroll(phone)
    phone.goto(f"{live_server.url}/sessions/{session.pk}/rems-form/")
    shoot(phone, artifacts, "rems-form-390")
    assert no_sideways_scroll(phone)
