"""From a stranger's request to the engine naming her own warning sign, in one browser
session: a prospective patient asks for an evaluation with item 9 = 1 and sees crisis help
(the safety alert opens); the clinician books the evaluation from the inbox, writes a
relapse-prevention plan with one warning sign tracked daily and turns the daily check on;
the patient reads the plan on her phone and answers the new question; two days at her
threshold show as a driver in the engine's sentence on the clinician's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.alerts.models import Alert, AlertKind
from lasting.checkins.models import CheckIn, Source
from lasting.checkins.services import issue_link
from lasting.evaluations import services as evaluations
from lasting.evaluations.models import EvaluationRequest
from lasting.intake import services as door
from lasting.prevention.models import PersonalItem, PersonalItemAnswer
from lasting.risk.services import assess_one
from lasting_core.instruments import InstrumentCode, get_instrument
from tests.e2e.shots import save
from tests.e2e.test_evaluation_request import PHONE, fill_request, no_sideways_scroll, sign_in
from tests.e2e.test_prevention_plan import (
    IMMEDIATE,
    fill_plan,
    save_plan_and_turn_on_the_daily_check,
    sign_in_to_portal,
)
from tests.factories import (
    SYSTEM,
    make_crisis_resource,
    make_location,
    make_member,
    make_organization,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_request_becomes_a_patient_whose_own_warning_sign_the_engine_names(
    live_server, browser, artifacts, monkeypatch, settings
):
    monkeypatch.setattr(evaluations, "MIN_FORM_SECONDS", 0)  # a browser types fast
    settings.TASKS = IMMEDIATE  # the portal's sign-in e-mail goes out within the request
    settings.SITE_URL = live_server.url
    clinic = make_organization(name="Clearwater Test Clinic", slug="clearwater")
    make_member(clinic, username="dr_ana", first_name="Ana", last_name="Ruiz")
    make_location(clinic, name="Pearl Street")
    make_crisis_resource(clinic, name="Clearwater crisis line", phone="303-555-0100")

    # 1. The request, on a phone, with item 9 = 1: crisis help at once, an alert opened.
    visitor = browser.new_context(viewport=PHONE).new_page()
    visitor.goto(f"{live_server.url}/request/clearwater/", wait_until="load")
    fill_request(visitor)
    visitor.click("#send-request")
    crisis = visitor.wait_for_selector("#crisis-now")
    assert "Clearwater crisis line" in crisis.inner_text()
    assert no_sideways_scroll(visitor)
    request = EvaluationRequest.objects.get(organization=clinic)
    assert Alert.objects.filter(patient=request.patient, kind=AlertKind.SAFETY).count() == 1

    # 2. The clinician books the evaluation from the inbox.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(desk, live_server, "dr_ana")
    desk.goto(f"{live_server.url}/requests/", wait_until="load")
    desk.click("text=Quintero, Rosa")
    desk.wait_for_selector("#item9-warning")
    desk.click("#book-evaluation")
    desk.wait_for_selector("#patient-link")
    rosa = EvaluationRequest.objects.get(pk=request.pk).patient
    assert CheckIn.objects.filter(patient=rosa).count() == 1  # her answers, through the door

    # 3. With Rosa in the room: her plan, one warning sign tracked daily.
    with desk.expect_navigation(wait_until="load"):
        desk.click("#patient-link")
    fill_plan(desk, "First plan, written with Rosa at her evaluation")
    save_plan_and_turn_on_the_daily_check(desk, live_server, rosa)
    item = PersonalItem.objects.get(patient=rosa)
    # The front desk adds her e-mail and portal access, as the patient form allows.
    rosa.email, rosa.portal_access = "rosa@example.org", True
    rosa.save()

    # 4. Rosa reads her plan on her phone, then answers the new question that evening.
    phone = sign_in_to_portal(browser, live_server, "rosa@example.org")
    phone.click("#prevention-plan-link")
    phone.wait_for_url("**/me/plan/")
    assert "How many hours did you sleep last night?" in phone.inner_text("main")
    assert no_sideways_scroll(phone)
    issued = issue_link(SYSTEM, rosa, [InstrumentCode.DAILY])
    evening = browser.new_context(viewport=PHONE).new_page()
    evening.goto(issued.url.replace("http://testserver", live_server.url), wait_until="load")
    evening.check("input[name=daily__mood][value='6']")
    evening.check("input[name=daily__sleep][value='4']")
    evening.check("input[name=daily__stress][value='5']")
    evening.fill(f"input[name=personal__{item.pk}]", "5")
    with evening.expect_navigation(wait_until="load"):
        evening.click("button.primary.big")
    answer = PersonalItemAnswer.objects.get(item=item)
    assert answer.value == 5.0

    # 5. The evening before she had answered 6 hours (her threshold is a warning too).
    daily = get_instrument(InstrumentCode.DAILY).score({"mood": 6, "sleep": 4, "stress": 5})
    door.submit_checkin_with_personal_items(
        SYSTEM,
        rosa,
        [daily],
        {item.pk: 6.0},
        source=Source.LINK,
        submitted_at=answer.checkin.submitted_at - timedelta(days=1),
    )
    assess_one(rosa, timezone.now())
    desk.goto(f"{live_server.url}/patients/{rosa.pk}/", wait_until="load")
    sentence = desk.inner_text(".explanation")
    assert (
        'personal warning sign "Sleeping under 6 hours": 6 h or less on 2 days in a row' in sentence
    ), sentence
    save(desk, artifacts / "request-to-warning-sign.png", full_page=True)
