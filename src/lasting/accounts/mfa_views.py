"""Pages of the second sign-in step: enrol an authenticator app, pass the step, replace
recovery codes, and an admin's re-enrolment of a member (accounts/mfa.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lasting.accounts import mfa
from lasting.accounts.middleware import ClinicRequest
from lasting.accounts.models import RecoveryCodes
from lasting.accounts.queries import get_member_for
from lasting.accounts.views import admin_membership
from lasting.audit.services import Actor


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


def member_or_home(request: HttpRequest) -> HttpResponse | None:
    """Only members take the second step, and only once a session."""
    if not mfa.needs_second_step(request.user):  # type: ignore[arg-type]
        return redirect("home")
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(mfa.safe_next(request))
    return None


@login_required
def second_step(request: HttpRequest) -> HttpResponse:
    """The six digits of the member's app, or one of their recovery codes."""
    if (elsewhere := member_or_home(request)) is not None:
        return elsewhere
    if mfa.app_device(request.user) is None:  # type: ignore[arg-type]
        return redirect("accounts:enrol_second_step")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = mfa.pass_second_step(
            Actor.from_request(request),
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["code"],
        )
        if device is not None:
            mfa.mark_session(request, device)
            left = mfa.unused_recovery_codes(request.user)  # type: ignore[arg-type]
            if isinstance(device, RecoveryCodes):
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Replace them under "
                    "Password and sign-in if your phone is lost.",
                )
            return redirect(mfa.safe_next(request))
        form.add_error(
            "code",
            "That code did not work. Type the six digits your app shows now (a code is "
            "good for 30 seconds), or one of your recovery codes. Each wrong try makes "
            "the next one wait a little longer.",
        )
    return render(
        request,
        "accounts/second_step.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def enrol_second_step(request: HttpRequest) -> HttpResponse:
    """First sign-in (or after an admin's re-enrolment): scan the QR code, type the first
    code, then keep the ten recovery codes shown once."""
    if (elsewhere := member_or_home(request)) is not None:
        return elsewhere
    if mfa.app_device(request.user) is not None:  # type: ignore[arg-type]
        return redirect("accounts:second_step")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enrolment = mfa.confirm_enrolment(
            Actor.from_request(request),
            request.user,  # type: ignore[arg-type]
            form.cleaned_data["code"],
        )
        if enrolment is not None:
            mfa.mark_session(request, enrolment.device)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": enrolment.recovery_codes, "next": mfa.safe_next(request)},
            )
        form.add_error(
            "code",
            "That code did not match. Check that the app shows an entry for Lasting and "
            "type its current six digits.",
        )
    device = mfa.enrolment_device(request.user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/enrol_second_step.html",
        {
            "form": form,
            "qr_code": mfa.qr_code_svg(device),
            "secret": mfa.secret_for_typing(device),
            "next": request.GET.get("next", ""),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def new_recovery_codes(request: ClinicRequest) -> HttpResponse:
    """Replace a member's recovery codes (the old ones stop working), shown once."""
    if request.membership is None:
        return redirect("home")
    codes = mfa.replace_recovery_codes(Actor.from_request(request), request.user)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/recovery_codes.html",
        {"codes": codes, "next": mfa.safe_next(request), "replaced": True},
    )


@login_required
@require_POST
def reset_member_second_step(request: ClinicRequest, membership_id: int) -> HttpResponse:
    """An admin's re-enrolment of a member who lost their phone."""
    membership = admin_membership(request)
    target = get_member_for(membership, membership_id)
    mfa.reset_second_step(Actor.from_request(request), target)
    messages.success(
        request,
        f"{target.user.display_name} is signed out and sets up a new authenticator app at "
        "their next sign-in.",
    )
    return redirect("accounts:edit_member", membership_id=target.pk)
