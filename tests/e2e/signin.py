"""The second sign-in step in the browser, as a member with their phone would take it."""

from __future__ import annotations

import re
from base64 import b32decode

from django_otp.oath import TOTP

from lasting.accounts.models import User
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.shots import save
from tests.factories import app_code

SECOND_STEP_URL = re.compile(r"/accounts/two-step/")


def code_from_secret(secret: str) -> str:
    """What an authenticator app shows for the key typed from the enrolment page."""
    text = secret.replace(" ", "")
    key = b32decode(text + "=" * (-len(text) % 8))
    return f"{TOTP(key).token():06d}"


def pass_second_step(page, username: str) -> None:
    """After the password: type the app's code, or on a first sign-in set up the app from
    the key the page shows and keep the recovery codes."""
    page.wait_for_url(SECOND_STEP_URL)
    if "/set-up/" in page.url:
        ARTIFACTS.mkdir(exist_ok=True)
        save(page, ARTIFACTS / "second-step-set-up.png", full_page=True)
        page.fill("#id_code", code_from_secret(page.inner_text("#totp-secret")))
        page.click("#enrol-form button[type=submit]")
        page.wait_for_selector("#recovery-codes")
        save(page, ARTIFACTS / "second-step-recovery-codes.png", full_page=True)
        page.click("#continue")
    else:
        page.fill("#id_code", app_code(User.objects.get(username=username)))
        page.click("#second-step-form button[type=submit]")
    page.wait_for_load_state("load")
