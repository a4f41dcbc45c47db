"""API clients for the tests: a persona's token and a client that sends it."""

from __future__ import annotations

from django.test import Client

from lasting.accounts.apitokens import create_api_token
from lasting.audit.services import Actor
from tests.personas import Personas

TOKEN_HOLDERS = ("admin_dora", "dr_ana", "rn_cara", "sam_front", "dr_olga")


def token_for(people: Personas, username: str) -> str:
    """A new API token of the persona's membership (the secret, shown once)."""
    membership = people.member(username)
    actor = Actor(membership.user.pk, username, membership.organization_id, None, "")
    _token, secret = create_api_token(actor, membership, "tests")
    return secret


def api_client(secret: str | None) -> Client:
    """A client that sends `Authorization: Bearer <secret>` with every request."""
    if secret is None:
        return Client()
    return Client(headers={"Authorization": f"Bearer {secret}"})
