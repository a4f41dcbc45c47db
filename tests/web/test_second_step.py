"""The second step of a workforce sign-in (accounts/mfa.py): an authenticator app's code
or a single-use recovery code, required before any page with patient data."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from lasting.accounts.mfa import next_app_code, recovery_code_hash
from lasting.accounts.models import RecoveryCode, RecoveryCodes, Role
from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.cli import main
from tests.factories import PASSWORD, app_code, make_member, sign_in

pytestmark = pytest.mark.django_db

SECOND_STEP = reverse("accounts:second_step")
ENROL = reverse("accounts:enrol_second_step")
CASELOAD = reverse("clinic:caseload")


def password_only(username: str) -> Client:
    """A client past the first step only."""
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    return client


def session_id(client: Client) -> str:
    return client.cookies["sessionid"].value


def code_for_device(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def wrong_code(user) -> str:
    """Six digits the app shows for none of the steps the device would accept now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = totp.t()
    accepted = set()
    for step in (now - 1, now, now + 1):
        totp.time = device.t0 + step * device.step
        accepted.add(totp.token())
    return next(f"{n:06d}" for n in range(1000) if n not in accepted)


def test_after_the_password_every_clinic_page_sends_a_member_to_the_second_step(personas):
    client = password_only("dr_ana")
    response = client.get(CASELOAD)
    assert response.status_code == 302
    assert response["Location"] == f"{SECOND_STEP}?next=%2Fcaseload%2F"
    chart = client.get(reverse("clinic:patient", args=[personas.paul.pk]))
    assert chart.status_code == 302
    assert chart["Location"].startswith(SECOND_STEP)
    assert "Moreno" not in chart.content.decode()
    htmx = client.get(CASELOAD, headers={"HX-Request": "true"})
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"].startswith(SECOND_STEP)


def test_the_apps_code_passes_the_step_with_a_new_session_id_and_an_audit_event(personas):
    anonymous = Client()
    anonymous.get(reverse("accounts:login"))
    client = password_only("dr_ana")
    first_step_id = session_id(client)
    response = client.post(SECOND_STEP, {"code": app_code(personas.dr_ana.user), "next": CASELOAD})
    assert response.status_code == 302
    assert response["Location"] == CASELOAD
    assert session_id(client) != first_step_id
    assert client.get(CASELOAD).status_code == 200
    event = AuditEvent.objects.filter(action=Action.LOGIN, object_type="TOTPDevice").get()
    assert event.username == "dr_ana"
    assert event.outcome == Outcome.SUCCESS


def test_a_wrong_code_is_refused_audited_and_slows_the_next_try(personas):
    client = password_only("rn_cara")
    wrong = client.post(SECOND_STEP, {"code": wrong_code(personas.rn_cara.user)})
    assert wrong.status_code == 422
    assert "did not work" in wrong.content.decode()
    assert client.get(CASELOAD).status_code == 302
    assert AuditEvent.objects.filter(
        action=Action.LOGIN_FAILED, username="rn_cara", object_type="TOTPDevice"
    ).exists()
    # Within a second of the failure even the right code waits (django-otp's throttle).
    with time_machine.travel(timezone.now(), tick=False):
        assert (
            client.post(SECOND_STEP, {"code": app_code(personas.rn_cara.user)}).status_code == 422
        )
    with time_machine.travel(timezone.now() + timedelta(seconds=3), tick=False):
        passed = client.post(SECOND_STEP, {"code": app_code(personas.rn_cara.user)})
    assert passed.status_code == 302


def test_a_new_member_enrols_an_app_and_gets_ten_recovery_codes_stored_only_hashed(personas):
    member = make_member(personas.clinic, Role.SCHEDULER, "sam_new", authenticator_app=False)
    client = password_only("sam_new")
    assert client.get(CASELOAD)["Location"].startswith(ENROL)
    assert client.get(SECOND_STEP)["Location"] == ENROL
    page = client.get(ENROL)
    assert page.status_code == 200
    content = page.content.decode()
    assert "<svg" in content
    assert 'id="totp-secret"' in content
    device = TOTPDevice.objects.get(user=member.user, confirmed=False)
    assert client.get(ENROL).status_code == 200  # a reload keeps the code already scanned
    assert TOTPDevice.objects.filter(user=member.user).count() == 1

    assert client.post(ENROL, {"code": "12"}).status_code == 422
    with time_machine.travel(timezone.now() + timedelta(seconds=3), tick=False):
        done = client.post(ENROL, {"code": code_for_device(device), "next": CASELOAD})
    assert done.status_code == 200
    codes = [code.strip() for code in done.context["codes"]]
    assert len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(device__user=member.user))
    assert {row.code_hash for row in stored} == {recovery_code_hash(code) for code in codes}
    assert not any(code in row.code_hash for code in codes for row in stored)
    assert client.get(CASELOAD).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(
        action=Action.PRIVILEGE_CHANGE, username="sam_new", object_type="TOTPDevice"
    ).exists()


def test_a_recovery_code_signs_in_once(personas):
    codes = enrolled_codes(personas)
    first = password_only("dr_ben")
    response = first.post(SECOND_STEP, {"code": codes[0].upper().replace("-", " ")})
    assert response.status_code == 302
    assert first.get(CASELOAD).status_code == 200
    again = password_only("dr_ben")
    with time_machine.travel(timezone.now() + timedelta(seconds=3), tick=False):
        assert again.post(SECOND_STEP, {"code": codes[0]}).status_code == 422
        assert again.get(CASELOAD).status_code == 302
    assert RecoveryCode.objects.filter(used_at__isnull=False).count() == 1


def enrolled_codes(personas) -> list[str]:
    """dr_ben's recovery codes, made on the password page's button."""
    client = Client()
    assert sign_in(client, "dr_ben")
    response = client.post(reverse("accounts:new_recovery_codes"))
    assert response.status_code == 200
    return list(response.context["codes"])


def test_new_recovery_codes_replace_the_old_ones(personas):
    old = enrolled_codes(personas)
    new = enrolled_codes(personas)
    assert set(old).isdisjoint(new)
    client = password_only("dr_ben")
    assert client.post(SECOND_STEP, {"code": old[1]}).status_code == 422
    assert RecoveryCodes.objects.filter(user=personas.dr_ben.user).count() == 1


def test_an_admin_re_enrols_a_member_who_lost_their_phone(personas):
    nurse = Client()
    assert sign_in(nurse, "rn_cara")
    admin = Client()
    assert sign_in(admin, "admin_dora")
    url = reverse("accounts:reset_member_second_step", args=[personas.rn_cara.pk])
    response = admin.post(url)
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=personas.rn_cara.user).exists()
    # The nurse's open session ended; her next sign-in sets up a new app.
    assert nurse.get(CASELOAD)["Location"].startswith(reverse("accounts:login"))
    assert password_only("rn_cara").get(CASELOAD)["Location"].startswith(ENROL)
    event = AuditEvent.objects.get(action=Action.PRIVILEGE_CHANGE, object_type="SecondStepReset")
    assert event.username == "admin_dora"
    assert event.object_id == str(personas.rn_cara.pk)


def test_only_an_admin_of_the_members_own_clinic_re_enrols_them(personas):
    url = reverse("accounts:reset_member_second_step", args=[personas.rn_cara.pk])
    clinician = Client()
    assert sign_in(clinician, "dr_ana")
    assert clinician.post(url).status_code == 403
    foreign_admin = make_member(personas.other_clinic, Role.ADMIN, "admin_olaf")
    other = Client()
    assert sign_in(other, foreign_admin.user.username)
    assert other.post(url).status_code == 404
    assert TOTPDevice.objects.filter(user=personas.rn_cara.user, confirmed=True).exists()


def test_the_second_step_pages_refuse_an_address_elsewhere_as_next(personas):
    client = password_only("dr_ana")
    response = client.post(
        SECOND_STEP, {"code": app_code(personas.dr_ana.user), "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_the_command_line_re_enrols_a_locked_out_admin(personas, capsys):
    assert main(["reset-second-step", "admin_dora"]) == 0
    assert "sets up a new app" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=personas.admin_dora.user).exists()
    event = AuditEvent.objects.get(object_type="SecondStepReset")
    assert event.username == "lasting reset-second-step"
    assert main(["reset-second-step", "nobody"]) == 2
    assert "no active staff account" in capsys.readouterr().err


@pytest.mark.parametrize("drift", [-1, 0, 1])
def test_the_next_app_code_is_accepted_whatever_drift_the_device_has_learned(personas, drift):
    """A code accepted one step early or late moves the device's drift (django-otp syncs
    it); the demo's and the browser tests' code for the next sign-in in the same 30 s
    must be the next step in the device's own count, or it is refused as a replay."""
    device = TOTPDevice.objects.create(user=personas.dr_ana.user, name="App", confirmed=True)
    with time_machine.travel(timezone.now(), tick=False):
        now_step = TOTP(device.bin_key, device.step, device.t0, device.digits, drift).t()
        device.drift, device.last_t = drift, now_step  # this step's code was just used
        device.save()
        assert device.verify_token(next_app_code(device))
