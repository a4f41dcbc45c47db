"""The second step of every workforce sign-in: an authenticator app or a recovery code.

Everyone who holds a membership (admin, clinician, nurse, scheduler) passes two steps:
the password (accounts/views.py LoginView), then a six-digit code from an authenticator
app (django-otp's TOTP device) or one of ten single-use recovery codes. Until the second
step is passed, SecondStepMiddleware lets the session reach only the pages of that step
and sign-out; the first sign-in of a new account enrols an app (QR code) instead.
Patients sign in to the portal with e-mailed links and hold no membership, so this
does not apply to them.

An admin re-enrols a member who lost their phone: the member's devices and codes are
deleted, their sessions end, and their next sign-in enrols again. Enrolment, every
second step passed or refused, new recovery codes and re-enrolment are audited.
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from lasting.accounts.models import Membership, RecoveryCode, RecoveryCodes, User
from lasting.accounts.services import end_sessions
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_GROUP, RECOVERY_GROUPS = 4, 3  # "k7dq-2mxa-9rtw": 60 bits of chance
APP_DEVICE_NAME = "Authenticator app"

# The only pages a signed-in member reaches before passing the second step.
SECOND_STEP_PAGES = frozenset(
    {
        "accounts:login",
        "accounts:logout",
        "accounts:second_step",
        "accounts:enrol_second_step",
    }
)


def needs_second_step(user: User) -> bool:
    """Workforce accounts (any active membership) pass the second step; patients do not."""
    return Membership.objects.filter(user=user, is_active=True).exists()


def app_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def next_app_code(device: TOTPDevice) -> str:
    """The six digits `device`'s app shows now, or for the next time step when this one's
    code was used already (a device accepts one step ahead). For the demo accounts and
    tests, which hold the key an app would."""
    # The device counts steps with its learned drift (a code accepted one step off moves
    # it), and `last_t` is in that count; the code is the one of that absolute step.
    step = max(
        TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t(),
        device.last_t + 1,
    )
    code = TOTP(device.bin_key, device.step, device.t0, device.digits)
    code.time = device.t0 + step * device.step
    return f"{code.token():0{device.digits}d}"


def recovery_code_hash(code: str) -> str:
    """Keyed hash of a recovery code as typed (case, spaces and dashes do not matter)."""
    normalized = "".join(char for char in code.lower() if char.isalnum())
    return salted_hmac("lasting.recovery-code", normalized, algorithm="sha256").hexdigest()


def new_recovery_code() -> str:
    groups = (
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP))
        for _ in range(RECOVERY_GROUPS)
    )
    return "-".join(groups)


@transaction.atomic
def replace_recovery_codes(actor: Actor, user: User) -> list[str]:
    """Ten new codes for `user`, replacing any earlier ones; returned once, stored hashed."""
    RecoveryCodes.objects.filter(user=user).delete()
    device = RecoveryCodes.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, code_hash=recovery_code_hash(code)) for code in codes
    )
    record_event(actor, Action.PRIVILEGE_CHANGE, obj=device)
    return codes


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed app device being enrolled (one per user, kept across reloads so the
    QR code scanned a minute ago still matches)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_for_typing(device: TOTPDevice) -> str:
    """The key as an authenticator app takes it by hand: base32 in groups of four."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (nothing leaves the
    server: no image service sees the secret)."""
    code = segno.make(device.config_url, error="m")
    svg: str = code.svg_inline(scale=5, border=2, dark="#1f2933", light="#ffffff")
    return svg


@dataclass(frozen=True)
class Enrolment:
    device: TOTPDevice
    recovery_codes: list[str]


def confirm_enrolment(actor: Actor, user: User, token: str) -> Enrolment | None:
    """Confirm the app being enrolled with its first code; None if the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None or not device.verify_token(token.strip()):
            record_event(
                actor,
                Action.LOGIN_FAILED,
                object_ref=("TOTPDevice", device.pk if device else ""),
                outcome=Outcome.DENIED,
            )
            return None
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_event(actor, Action.PRIVILEGE_CHANGE, obj=device)
    return Enrolment(device, replace_recovery_codes(actor, user))


def pass_second_step(actor: Actor, user: User, code: str) -> TOTPDevice | RecoveryCodes | None:
    """The device that accepts `code` (the app's six digits, else a recovery code), or
    None; audited either way."""
    code = code.strip()
    device: TOTPDevice | RecoveryCodes | None
    if code.isdigit():
        device = app_device(user)
    else:
        device = RecoveryCodes.objects.filter(user=user, confirmed=True).first()
    if device is not None and device.verify_token(code):
        record_event(actor, Action.LOGIN, obj=device)
        return device
    record_event(
        actor,
        Action.LOGIN_FAILED,
        object_ref=(type(device).__name__ if device else "SecondStep", device.pk if device else ""),
        outcome=Outcome.DENIED,
    )
    return None


def mark_session(request: HttpRequest, device: TOTPDevice | RecoveryCodes) -> None:
    """The session has passed the second step: remember the device and give the session
    a new id, so an id seen before this step is worth nothing after it."""
    django_otp.login(request, device)
    request.session.cycle_key()


@transaction.atomic
def reset_second_step(actor: Actor, member: Membership) -> None:
    """Re-enrolment by an admin: the member's app and recovery codes are deleted and their
    sessions end; their next sign-in enrols a new app."""
    TOTPDevice.objects.filter(user=member.user).delete()
    RecoveryCodes.objects.filter(user=member.user).delete()
    end_sessions(member.user_id)
    record_event(
        actor,
        Action.PRIVILEGE_CHANGE,
        organization_id=member.organization_id,
        object_ref=("SecondStepReset", member.pk),
    )


def unused_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(device__user=user, used_at__isnull=True).count()


class SecondStepMiddleware:
    """Until a member's session has passed the second step, every page but the step's own
    and sign-out sends them to it (enrolment if they have no app yet), and no view sees
    their membership. Runs after MembershipMiddleware and django-otp's OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], *args: object
    ) -> HttpResponse | None:
        if getattr(request, "membership", None) is None or request.user.is_verified():  # type: ignore[union-attr]
            return None
        request.membership = None  # type: ignore[attr-defined]
        match = request.resolver_match
        if match is not None and match.view_name in SECOND_STEP_PAGES:
            return None
        name = "accounts:second_step"
        if app_device(request.user) is None:  # type: ignore[arg-type]
            name = "accounts:enrol_second_step"
        target = f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


def safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)
