"""A patient signs in with the e-mailed link and sees their own page, in Spanish, with
the chart drawn in a real browser and crisis help on the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.e2e.shots import save
from tests.factories import make_organization, make_patient, make_phq9

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_spanish_speaking_patient_signs_in_and_sees_her_chart(
    live_server, browser, artifacts, settings
):
    settings.TASKS = IMMEDIATE  # the sign-in e-mail goes out within the request
    settings.SITE_URL = live_server.url
    clinic = make_organization(name="Clínica de Prueba")
    pia = make_patient(
        clinic,
        given_name="Pia",
        email="pia@example.org",
        preferred_language="es",
        portal_access=True,
        time_zone="America/Los_Angeles",
    )
    for weeks_ago, total in [(8, 19), (6, 12), (4, 8), (2, 6), (0, 5)]:
        make_phq9(pia, total, submitted_at=timezone.now() - timedelta(weeks=weeks_ago, hours=1))

    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{live_server.url}/me/sign-in/?lang=es")
    page.fill("input[name=email]", "pia@example.org")
    page.click("button[type=submit]")
    page.wait_for_url("**/me/sign-in/sent/**")
    link = re.search(r"https?://\S+/me/sign-in/\S+/", mail.outbox[-1].body)
    assert link is not None
    page.goto(link.group())
    page.click("button[type=submit]")
    page.wait_for_url("**/me/")
    page.wait_for_selector("#phq9-chart[data-rendered=true] svg", timeout=15000)
    text = page.inner_text("body")
    assert "Hola, Pia" in text
    assert "988" in page.inner_text("#crisis-footer")
    save(page, artifacts / "patient-home-es.png", full_page=True)
