"""A clinician books a proposed booster from the needs-review queue, in a real browser."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.plans.models import BoosterProposal, ProposalStatus
from lasting.treatment.models import Appointment
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step
from tests.factories import PASSWORD, make_location, make_member, make_organization, make_patient

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_accepting_a_proposal_books_the_booster(live_server, browser, artifacts):
    clinic = make_organization(name="Clearwater Test Clinic")
    make_location(clinic, name="Downtown")
    dr_ana = make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    paul = make_patient(
        clinic, given_name="Paul", family_name="Moreno", assigned_clinician=dr_ana.user
    )
    today = today_in(clinic.time_zone)
    proposal = BoosterProposal.objects.create(
        organization=clinic,
        patient=paul,
        policy="forecast",
        created_at=timezone.now(),
        earliest_on=today,
        latest_on=today + timedelta(days=7),
        reason="forecast: 61% chance of relapse within 3 weeks (threshold 50%)",
    )

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "dr_ana")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    pass_second_step(page, "dr_ana")
    page.wait_for_url("**/caseload/")
    page.goto(f"{live_server.url}/review/")
    card = page.locator(f"#proposal-{proposal.pk}")
    assert "61% chance of relapse" in card.inner_text()
    when = (today + timedelta(days=3)).isoformat() + "T10:30"
    card.locator("input[name=starts_at]").fill(when)
    card.locator("text=Accept and book").click()
    page.wait_for_url("**/review/")
    save(page, artifacts / "review-after-booking.png", full_page=True)

    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    appointment = Appointment.objects.get(patient=paul)
    assert appointment.location is not None
    assert appointment.location.name == "Downtown"
    assert f"proposal-{proposal.pk}" not in page.content()
