"""Who calls the API: a personal API token, nothing else (no session cookie, so no CSRF).

The token acts as its membership (`accounts.apitokens.sign_in_with_token`): the same role
in the same organisation, the clinic's time zone, and the second wall of row-level
security for the rest of the request.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security.http import HttpBearer

from lasting.accounts.apitokens import bearer_secret, sign_in_with_token
from lasting.accounts.models import Membership
from lasting.audit.services import Actor


class PersonalToken(HttpBearer):
    """`Authorization: Bearer lst_…`; anything else is 401 (a problem document)."""

    def __call__(self, request: HttpRequest) -> Membership | None:
        secret = bearer_secret(request)
        if secret is None:
            return None
        return sign_in_with_token(request, secret)

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return sign_in_with_token(request, token)


def caller(request: HttpRequest) -> tuple[Membership, Actor]:
    """The membership a token signed in, and the actor its audit events name."""
    membership: Membership = request.auth  # type: ignore[attr-defined]
    return membership, Actor.from_request(request)
