"""A Spanish-speaking patient tells her care team about a life event from her phone; her
clinician sees it on the chart, on the day she gave, with a tooltip, and in the list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Role
from lasting.treatment.models import EntrySource, LifeEvent
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import PASSWORD, make_member, make_organization, make_patient, make_phq9

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
ZONE = "America/Los_Angeles"


def sign_in_as_patient(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/me/sign-in/?lang=es")
    page.wait_for_load_state("load")
    page.fill("input[name=email]", email)
    page.click("button[type=submit]")
    page.wait_for_url("**/me/sign-in/sent/**")
    link = re.search(r"https?://\S+/me/sign-in/\S+/", mail.outbox[-1].body)
    assert link is not None
    page.goto(link.group())
    page.click("button[type=submit]")
    page.wait_for_url("**/me/")
    page.wait_for_load_state("load")


def test_a_patient_reports_a_life_event_in_spanish_and_the_clinician_sees_it(
    live_server, browser, artifacts, settings
):
    settings.TASKS = IMMEDIATE  # the sign-in e-mail goes out within the request
    settings.SITE_URL = live_server.url
    clinic = make_organization(name="Clínica de Prueba", time_zone=ZONE)
    ana = make_member(clinic, Role.CLINICIAN, "dr_ana", first_name="Ana", last_name="Ruiz")
    pia = make_patient(
        clinic,
        given_name="Pia",
        family_name="Sol",
        email="pia@example.org",
        preferred_language="es",
        portal_access=True,
        time_zone=ZONE,
        assigned_clinician=ana.user,
    )
    for weeks_ago, total in [(8, 19), (6, 12), (4, 8), (2, 6), (0, 7)]:
        make_phq9(pia, total, submitted_at=timezone.now() - timedelta(weeks=weeks_ago, hours=1))
    day = today_in(ZONE) - timedelta(days=10)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-ES")
    page = phone.new_page()
    sign_in_as_patient(page, live_server.url, "pia@example.org")
    save(page.locator("#life-event"), artifacts / "life-event-invitation-es.png")
    page.click("#report-life-event")
    page.wait_for_url("**/me/life-event/")
    page.wait_for_load_state("load")
    assert "Cuéntele a su equipo de atención" in page.inner_text("h1")
    page.check("input[name=kind][value=work]")
    page.fill("input[name=occurred_on]", day.isoformat())
    page.check("input[name=weight][value='3']")
    page.fill("textarea[name=note]", "Cerraron la empresa donde trabajaba.")
    save(page, artifacts / "life-event-form-es-390.png", full_page=True)
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_navigation():
        page.click("#life-event-form button[type=submit]")
    page.wait_for_load_state("load")
    save(page, artifacts / "life-event-done-es-390.png", full_page=True)
    page.wait_for_selector("#life-event-received")
    assert "Gracias, Pia" in page.inner_text("h1")
    save(page, artifacts / "life-event-done-es-390.png", full_page=True)
    phone.close()

    event = LifeEvent.objects.get(patient=pia)
    assert (event.kind, event.weight, event.occurred_on, event.source) == (
        "work",
        3,
        day,
        EntrySource.PATIENT,
    )

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo")
    page = desk.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dr_ana")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    pass_second_step(page, "dr_ana")
    page.goto(f"{live_server.url}/patients/{pia.pk}/")
    page.wait_for_load_state("load")
    page.wait_for_selector("#timeline-chart[data-rendered=true] svg", timeout=15000)
    marker = page.locator("#timeline-chart svg .life_context_marks path").first
    marker.hover()
    tooltip = page.wait_for_selector("#vg-tooltip-element.visible", timeout=5000).inner_text()
    assert f"{day:%b} {day.day}, {day.year}" in tooltip  # the patient's day, in any browser
    assert "Job change or job loss (severe, 3 of 3)" in tooltip
    assert "Reported by the patient" in tooltip
    save(page.locator("#timeline-chart"), artifacts / "life-event-chart.png")
    listing = page.inner_text("#life-events")
    assert "reported by the patient" in listing
    assert "Cerraron la empresa donde trabajaba." in listing
    save(page.locator("#life-context"), artifacts / "life-event-list.png")

    # The clinician adds the antidepressant started the same week.
    page.click("#record-medication")
    page.wait_for_load_state("load")
    page.fill("#id_changed_on", (day + timedelta(days=2)).isoformat())
    page.select_option("#id_change", "start")
    page.fill("#id_drug_name", "Sertraline")
    page.fill("#id_dose_text", "50 mg once a day")
    page.select_option("#id_drug_class", "antidepressant")
    save(page, artifacts / "medication-form.png", full_page=True)
    with page.expect_navigation():
        page.click("#life-context-form button[type=submit]")
    page.wait_for_load_state("load")
    page.wait_for_selector("#timeline-chart[data-rendered=true] svg", timeout=15000)
    assert page.locator("#timeline-chart svg .life_context_marks path").count() == 2
    assert "Sertraline" in page.inner_text("#medication-changes")
    save(page.locator("#timeline-chart"), artifacts / "life-context-chart.png")
    desk.close()
