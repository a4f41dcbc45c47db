"""The front desk pauses a patient's reminders while they are away, in a real browser.

Paul (Chicago) is in maintenance and has already missed one weekly check-in. He calls
to say he is travelling for ten days: the front desk pauses his reminders until then on
his check-ins page. The check-ins that fall due in the pause show as excused (no
disengagement alert will come of them); the one he missed before stays missed. On a
phone, the "Not checked in" list still shows him, with the pause beside his silence.
Dates are Paul's (America/Chicago) from the real clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Role
from lasting.checkins.models import Excuse, ScheduledCheckIn
from lasting.outreach.planning import plan_organization
from lasting.patients.models import Phase
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

ZONE = "America/Chicago"
PHONE = {"width": 390, "height": 844}


def test_the_front_desk_pauses_reminders_and_the_checkins_in_the_pause_are_excused(
    live_server, browser, artifacts
):
    clinic = make_organization(name="Lakeshore Test Clinic", time_zone=ZONE)
    make_member(clinic, Role.SCHEDULER, username="desk_dana", first_name="Dana", last_name="Cole")
    paul = make_patient(clinic, given_name="Paul", family_name="Moreno", time_zone=ZONE)
    now = timezone.now()
    for days_ago in (80, 78, 76, 73, 71, 69):
        make_session(paul, started_at=now - timedelta(days=days_ago))
    make_session(paul, kind=SessionKind.BOOSTER, started_at=now - timedelta(days=40))
    paul.courses.update(phase=Phase.MAINTENANCE)
    make_phq9(paul, 5, submitted_at=now - timedelta(days=20))
    plan_organization(clinic.pk, now=now - timedelta(days=12))  # the one he missed
    plan_organization(clinic.pk, now=now)
    today = today_in(ZONE, now)
    back_on = today + timedelta(days=10)
    in_pause = ScheduledCheckIn.objects.filter(
        patient=paul, due_on__gte=today, due_on__lte=back_on, answered_by=None
    ).count()
    assert in_pause >= 1  # weekly check-ins: at least one falls in ten days

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/patients/{paul.pk}/check-ins/")
    page.fill("#id_username", "desk_dana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, "desk_dana")
    page.wait_for_url(f"**/patients/{paul.pk}/check-ins/")
    page.fill("#id_paused_until", back_on.isoformat())
    page.click("form.grid-form button[type=submit]")
    page.wait_for_url(f"**/patients/{paul.pk}/check-ins/")

    excused = ScheduledCheckIn.objects.filter(patient=paul, excused=Excuse.PAUSE)
    assert excused.count() == in_pause
    assert all(today <= row.due_on <= back_on for row in excused)
    table = page.inner_text("#schedule")
    assert table.count("reminders paused") == in_pause
    assert "Missed" in table  # the check-in missed before the pause stays missed
    save(page, artifacts / "reminder-pause-1-schedule.png", full_page=True)

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.add_cookies(page.context.cookies())
    on_phone = phone.new_page()
    on_phone.goto(f"{live_server.url}/quiet/")
    row = on_phone.locator(f"tr[data-patient-id='{paul.pk}']")
    assert f"reminders paused until {back_on:%b} {back_on.day}" in row.inner_text()
    save(on_phone, artifacts / "reminder-pause-2-quiet-phone.png", full_page=True)
    assert on_phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
