"""Every staff page at 390 px, a phone's width, in Chromium: nothing scrolls sideways
(tables become cards). The pages hold real rows: sessions, check-ins, alerts, bookings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.accounts.models import Role
from lasting.treatment.models import Appointment, SessionKind
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import (
    PASSWORD,
    make_location,
    make_member,
    make_organization,
    make_patient,
    make_phq9,
    make_session,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def pages(paul, session) -> dict[str, list[str]]:
    """The pages each persona opens on a phone."""
    return {
        "dr_ana": [
            "/caseload/",
            "/quiet/",
            f"/patients/{paul.pk}/",
            f"/patients/{paul.pk}/edit/",
            f"/patients/{paul.pk}/sessions/new/",
            f"/patients/{paul.pk}/plan/",
            f"/patients/{paul.pk}/appointments/new/",
            f"/patients/{paul.pk}/life-events/new/",
            f"/patients/{paul.pk}/medication/new/",
            f"/patients/{paul.pk}/therapy/new/",
            "/patients/search/?q=moreno",
            "/patients/new/",
            "/alerts/",
            "/review/",
            "/rems-forms/",
            "/schedule/",
            "/schedule/feeds/",
        ],
        "admin_dora": [
            "/accounts/organization/",
            "/accounts/organization/prices/",
            "/accounts/organization/people/invite/",
            "/accounts/organization/locations/new/",
        ],
    }


def test_no_staff_page_scrolls_sideways_on_a_phone(live_server, browser, artifacts):
    clinic = make_organization(name="Clinic A", time_zone="America/Denver")
    location = make_location(clinic, name="Boulder", chairs=3)
    dr_ana = make_member(clinic, Role.CLINICIAN, "dr_ana", first_name="Ana", last_name="Ruiz")
    make_member(clinic, Role.ADMIN, "admin_dora", first_name="Dora")
    paul = make_patient(
        clinic,
        given_name="Paul",
        family_name="Moreno",
        assigned_clinician=dr_ana.user,
        location=location,
        phone="+13035550142",
        email="paul.moreno@example.org",
    )
    now = timezone.now()
    make_phq9(paul, 19, submitted_at=now - timedelta(days=40))
    session = make_session(paul, started_at=now - timedelta(days=35))
    make_phq9(paul, 6, submitted_at=now - timedelta(days=28))
    make_phq9(paul, 14, item9=2, submitted_at=now - timedelta(days=1))
    Appointment.objects.create(
        organization=clinic,
        patient=paul,
        location=location,
        clinician=dr_ana.user,
        kind=SessionKind.BOOSTER,
        starts_at=now + timedelta(days=2),
    )

    too_wide = []
    for username, paths in pages(paul, session).items():
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("button.primary")
        pass_second_step(page, username)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response is not None
            assert response.status == 200, (path, response.status)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                name = path.strip("/").replace("/", "-").replace("?", "-") or "home"
                save(page, artifacts / f"phone-{name}.png", full_page=True)
                too_wide.append((path, width))
        context.close()

    assert too_wide == []
