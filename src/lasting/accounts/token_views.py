"""The member's own API tokens: list, create (shown once) and revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from lasting.accounts.apitokens import create_api_token, list_api_tokens, revoke_api_token
from lasting.accounts.middleware import ClinicRequest
from lasting.audit.services import Actor


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=64, help_text="What will use it, e.g. 'EHR bridge' or 'research export'."
    )


@login_required
def api_tokens(request: ClinicRequest) -> HttpResponse:
    """List the member's tokens; a POST creates one and shows its secret this once."""
    membership = request.membership
    if membership is None:
        raise PermissionDenied("API tokens belong to a membership of an organisation.")
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = create_api_token(
                Actor.from_request(request), membership, form.cleaned_data["name"]
            )
        except ValidationError as error:
            form.add_error("name", error)
        else:
            form = ApiTokenForm()
    status = 422 if form.errors else 200
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": list_api_tokens(membership), "secret": secret},
        status=status,
    )


@login_required
@require_POST
def revoke_token(request: ClinicRequest, token_id: int) -> HttpResponse:
    token = revoke_api_token(Actor.from_request(request), request.membership, token_id)
    messages.success(request, f"Token “{token.name}” is revoked; it opens nothing any more.")
    return redirect("accounts:api_tokens")
