"""The patient chart's dates are the patient's calendar dates in every browser: the axis
names months with their year, and a point's tooltip shows the day the patient answered,
whether the clinician's browser runs west or east of UTC."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from lasting.accounts.clocks import today_in
from tests.e2e.signin import pass_second_step
from tests.factories import PASSWORD, make_member, make_organization, make_patient, make_phq9

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLINIC_ZONE = "America/Denver"
# Browsers far west and far east of UTC: a date read in the browser's zone moves a day.
BROWSER_ZONES = ("Pacific/Honolulu", "Asia/Tokyo")


def axis_and_first_tooltip(browser, base_url: str, patient_id: int, zone: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id=zone)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", "dr_ana")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    pass_second_step(page, "dr_ana")
    page.goto(f"{base_url}/patients/{patient_id}/")
    page.wait_for_selector("#timeline-chart[data-rendered=true] svg", timeout=15000)
    labels = page.locator("#timeline-chart svg .role-axis-label text").all_text_contents()
    # The score line's points, oldest first; hovering one opens its tooltip.
    page.locator("#timeline-chart svg .mark-symbol path").first.hover()
    tooltip = page.wait_for_selector("#vg-tooltip-element.visible", timeout=5000).inner_text()
    context.close()
    return labels, tooltip


def test_chart_dates_do_not_move_with_the_browsers_time_zone(live_server, browser):
    clinic = make_organization(name="Clearwater Test Clinic", time_zone=CLINIC_ZONE)
    make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    paul = make_patient(clinic, given_name="Paul", family_name="Moreno", time_zone=CLINIC_ZONE)
    # Answered late in the evening on the clinic's clock: already the next day in UTC.
    first_day = today_in(CLINIC_ZONE) - timedelta(days=75)
    evening = datetime.combine(first_day, time(21, 30), tzinfo=ZoneInfo(CLINIC_ZONE))
    make_phq9(paul, 18, submitted_at=evening)
    make_phq9(paul, 9, submitted_at=evening + timedelta(days=40))

    seen = {
        zone: axis_and_first_tooltip(browser, live_server.url, paul.pk, zone)
        for zone in BROWSER_ZONES
    }

    expected_day = f"{first_day:%b} {first_day.day}, {first_day.year}"
    for zone, (labels, tooltip) in seen.items():
        months = [label for label in labels if re.fullmatch(r"[A-Z][a-z]{2} \d{4}", label)]
        assert len(months) >= 2, (zone, labels)  # month ticks, named with their year
        assert expected_day in tooltip, (zone, tooltip)
    assert len({tuple(labels) for labels, _ in seen.values()}) == 1, seen
