"""A new clinic starts without the demo, in a real browser: `lasting setup`, then the admin
adds a second location and invites a clinician, a nurse and a scheduler by e-mail; each
accepts and signs in; the clinician registers two patients, the nurse logs a session and
the front desk books a booster."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Location, Membership, Organization, Role
from lasting.audit.models import AuditEvent
from lasting.cli import main
from lasting.patients.models import Patient
from lasting.treatment.models import Appointment, SessionKind, TreatmentSession
from tests.e2e.shots import save
from tests.e2e.signin import pass_second_step

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow(seconds=20),
    pytest.mark.django_db(transaction=True),
]

ADMIN_PASSWORD = "front range set-up day"
STAFF = [
    ("nina.clinician@frontrange.example", Role.CLINICIAN, "dr_nina", "Nina", "Park"),
    ("omar.nurse@frontrange.example", Role.STAFF, "rn_omar", "Omar", "Diaz"),
    ("pia.desk@frontrange.example", Role.SCHEDULER, "pia", "Pia", "Walsh"),
]
LINK = re.compile(r"https?://\S+(/accounts/invitations/\S+/)")


def sign_in(page, url: str, username: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    pass_second_step(page, username)


FORM_TIME = "%Y-%m-%dT%H:%M"


def test_a_clinic_is_set_up_staffed_and_registers_patients_without_the_demo(
    live_server, browser, artifacts, tmp_path
):
    password_file = tmp_path / "password.txt"
    password_file.write_text(ADMIN_PASSWORD)
    assert (
        main(
            [
                "setup",
                "--no-input",
                "--organization",
                "Front Range Ketamine",
                "--time-zone",
                "America/Denver",
                "--location",
                "Boulder;1800 Pearl St, Boulder CO;4",
                "--admin-email",
                "dora@frontrange.example",
                "--admin-first-name",
                "Dora",
                "--admin-password-file",
                str(password_file),
            ]
        )
        == 0
    )

    # The admin adds the second location and invites three people.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, "dora", ADMIN_PASSWORD)
    page.wait_for_url("**/organization/")  # an admin starts on the Organisation page
    page.click("text=Add a location")
    page.fill("#id_name", "Denver")
    page.fill("#id_address", "1600 Champa St, Denver CO")
    page.fill("#id_chairs", "6")
    with page.expect_navigation(wait_until="load"):
        page.click("text=Save location")
    assert "Location Denver saved." in page.inner_text("body")
    for email, role, *_ in STAFF:
        page.click("text=Invite someone")
        page.fill("#id_email", email)
        page.select_option("#id_role", role.value)
        with page.expect_navigation(wait_until="load"):
            page.click("text=Send invitation")
        assert f"Invitation sent to {email}." in page.inner_text("body")
    # The clinic expects fewer disengagement alerts than the default budget of 1.0.
    page.fill("#id_disengagement_budget_per_year", "0.5")
    with page.expect_navigation(wait_until="load"):
        page.click("text=Save alert policy")
    assert "Alert policy saved." in page.inner_text("body")
    assert "0.5 disengagement alerts a patient-year" in page.inner_text("#alert-budgets")
    save(page, artifacts / "setup-organisation.png", full_page=True)
    context.close()

    # Each invitee opens the e-mailed link on their own device and chooses a password.
    links = {message.to[0]: LINK.search(message.body) for message in mail.outbox}
    for email, _role, username, first, last in STAFF:
        match = links[email]
        assert match is not None
        invitee = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        invitee.goto(live_server.url + match.group(1))
        invitee.fill("#id_first_name", first)
        invitee.fill("#id_last_name", last)
        invitee.fill("#id_username", username)
        invitee.fill("#id_password", f"{first} starts at Front Range")
        invitee.fill("#id_password_again", f"{first} starts at Front Range")
        if username == "rn_omar":
            save(invitee, artifacts / "setup-accept-phone.png", full_page=True)
        invitee.click("text=Create my account")
        assert "Your account is ready" in invitee.inner_text("body")
        sign_in(invitee, live_server.url, username, f"{first} starts at Front Range")
        invitee.wait_for_url("**/caseload/")
        invitee.context.close()

    # The clinician registers two patients, one at each location.
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, "dr_nina", "Nina starts at Front Range")
    for record, given, family, location in (
        ("FR-0001", "Lena", "Ortiz", "Boulder"),
        ("FR-0002", "Marco", "Bell", "Denver"),
    ):
        page.click("text=New patient")
        assert page.input_value("#id_time_zone") == "America/Denver"
        page.fill("#id_record_number", record)
        page.fill("#id_given_name", given)
        page.fill("#id_family_name", family)
        page.fill("#id_date_of_birth", "1985-04-12")
        page.select_option("#id_location", label=location)
        page.check("input[name=diagnoses][value='trd_mdd']")
        with page.expect_navigation():
            page.click("text=Register patient")
        assert f"{family}, {given}" in page.inner_text("body") or family in page.title()
    save(page, artifacts / "setup-first-patient.png", full_page=True)
    page.context.close()
    lena = Patient.objects.get(record_number="FR-0001")

    # The nurse logs this morning's IV induction session for Lena.
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, live_server.url, "rn_omar", "Omar starts at Front Range")
    page.goto(f"{live_server.url}/patients/{lena.pk}/")
    with page.expect_navigation(wait_until="load"):  # the form's script runs deferred
        page.click("text=Log session")
    # The form reads times on the clinic's clock (America/Denver).
    denver = ZoneInfo("America/Denver")
    dosed = (timezone.now() - timedelta(hours=2)).astimezone(denver).replace(tzinfo=None)
    page.select_option("#id_kind", "induction")
    page.select_option("#id_route", "iv")
    page.fill("#id_started_at", dosed.strftime(FORM_TIME))
    page.fill("#id_ended_at", (dosed + timedelta(minutes=60)).strftime(FORM_TIME))
    page.fill("#id_dose_mg", "35")
    page.fill("#id_dose_mg_per_kg", "0.5")
    page.check("input[name=sedation][value='4']")
    page.select_option("#id_dissociation", "1")
    for row, (phase, minutes) in enumerate((("before", -5), ("during", 20), ("after", 50))):
        page.select_option(f"#id_vitals-{row}-phase", phase)
        page.fill(
            f"#id_vitals-{row}-measured_at",
            (dosed + timedelta(minutes=minutes)).strftime(FORM_TIME),
        )
        page.fill(f"#id_vitals-{row}-systolic_mmhg", "128")
        page.fill(f"#id_vitals-{row}-diastolic_mmhg", "80")
        page.fill(f"#id_vitals-{row}-heart_rate_bpm", "72")
        page.fill(f"#id_vitals-{row}-spo2_percent", "98")
    with page.expect_navigation():
        page.click("text=Sign and save session")
    errors = page.locator(".error").all_inner_texts()
    assert TreatmentSession.objects.filter(patient=lena).count() == 1, errors
    page.context.close()

    # The front desk books Lena's booster at Boulder for tomorrow at 10:00.
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(page, live_server.url, "pia", "Pia starts at Front Range")
    page.fill("input[name=q]", "Ortiz")
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    page.click("text=Ortiz, Lena")
    page.click("#book-appointment")
    tomorrow = today_in(str(denver)) + timedelta(days=1)
    page.select_option("#id_kind", "booster")
    page.fill("#id_starts_at", f"{tomorrow.isoformat()}T10:00")
    page.select_option("#id_location", label="Boulder")
    with page.expect_navigation():
        page.click("#appointment-form button[type=submit]")
    assert "Booked: Lena Ortiz" in page.inner_text("body")
    save(page, artifacts / "setup-booked-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    booster = Appointment.objects.get(patient=lena)
    assert booster.kind == SessionKind.BOOSTER
    assert booster.starts_at == datetime.combine(tomorrow, time(10, 0), tzinfo=denver)
    assert booster.location.name == "Boulder"

    organization = Organization.objects.get(name="Front Range Ketamine")
    assert organization.disengagement_budget_per_year == 0.5
    assert sorted(
        Location.objects.filter(organization=organization).values_list("name", "chairs")
    ) == [
        ("Boulder", 4),
        ("Denver", 6),
    ]
    roles = dict(
        Membership.objects.filter(organization=organization).values_list("user__username", "role")
    )
    assert roles == {
        "dora": Role.ADMIN,
        "dr_nina": Role.CLINICIAN,
        "rn_omar": Role.STAFF,
        "pia": Role.SCHEDULER,
    }
    patients = Patient.objects.filter(organization=organization)
    assert sorted(p.location.name for p in patients) == ["Boulder", "Denver"]
    assert (
        AuditEvent.objects.filter(
            organization_id=organization.pk, action="privilege_change"
        ).count()
        >= 7
    )
