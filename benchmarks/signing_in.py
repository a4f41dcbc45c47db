"""Both sign-in steps for a benchmark's test client: the password, then the code the
member's authenticator app would show (set up here when the member has none)."""

from __future__ import annotations

from typing import Any


def sign_in(client: Any, username: str, password: str) -> bool:
    from django.urls import reverse
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from lasting.accounts.mfa import APP_DEVICE_NAME, app_device, next_app_code
    from lasting.accounts.models import User

    if not client.login(username=username, password=password):
        return False
    user = User.objects.get(username=username)
    device = app_device(user) or TOTPDevice.objects.create(
        user=user, name=APP_DEVICE_NAME, confirmed=True
    )
    response = client.post(reverse("accounts:second_step"), {"code": next_app_code(device)})
    return bool(response.status_code == 302)
