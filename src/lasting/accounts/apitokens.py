"""Personal API tokens: how an integration signs in to /api/v1/ and /fhir/.

A member creates a token in their own settings (`/accounts/tokens/`); it acts as that
membership — the same role in the same organisation, no more — until it is revoked or the
membership is deactivated. The token is shown once; only its SHA-256 is kept. Creating
and revoking are audited as privilege changes; each call made with a token is audited
by the interface that serves it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone

from lasting.accounts.models import ApiToken, Membership
from lasting.accounts.tenancy import enter_organization
from lasting.accounts.tokens import hash_token
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event

TOKEN_START = "lst_"
# The last use is written at most this often, so a busy integration does not write a row
# per call (the audit trail has every call).
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_ACTIVE_TOKENS = 10


def create_api_token(
    actor: Actor, membership: Membership | None, name: str, *, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the member's own membership; return it with the secret, which is
    never available again."""
    if membership is None or not membership.is_active:
        raise PermissionDenied("Only a member of an organisation can create an API token.")
    name = name.strip()
    if not name:
        raise ValidationError("Name the token after what will use it, e.g. 'EHR bridge'.")
    if len(name) > 64:
        raise ValidationError("The name is at most 64 characters.")
    if membership.api_tokens.filter(revoked_at=None).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one you no longer use first."
        )
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        membership=membership,
        name=name,
        prefix=prefix,
        token_hash=hash_token(secret),
        created_at=now or timezone.now(),
    )
    record_event(
        actor,
        Action.PRIVILEGE_CHANGE,
        organization_id=membership.organization_id,
        object_ref=("api_token_created", token.pk),
    )
    return token, secret


def list_api_tokens(membership: Membership) -> list[ApiToken]:
    """The member's own tokens in this organisation, newest first."""
    return list(membership.api_tokens.all())


def revoke_api_token(
    actor: Actor, membership: Membership | None, token_id: int, *, now: datetime | None = None
) -> ApiToken:
    """Revoke one of the member's own tokens (revoking twice changes nothing)."""
    if membership is None:
        raise PermissionDenied("Only a member of an organisation has API tokens.")
    token = membership.api_tokens.filter(pk=token_id).first()
    if token is None:
        raise PermissionDenied("That token is not yours.")
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            actor,
            Action.PRIVILEGE_CHANGE,
            organization_id=membership.organization_id,
            object_ref=("api_token_revoked", token.pk),
        )
    return token


def find_api_token(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The active token this secret opens, with its membership, user and organisation;
    None for anything else (unknown, revoked, a deactivated member or account)."""
    if not secret.startswith(TOKEN_START) or len(secret) > 128:
        return None
    token = (
        ApiToken.objects.select_related("membership__user", "membership__organization")
        .filter(token_hash=hash_token(secret), revoked_at=None)
        .first()
    )
    if token is None or not token.membership.is_active or not token.membership.user.is_active:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])
    return token


def bearer_secret(request: HttpRequest) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, if there is one."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def sign_in_with_token(request: HttpRequest, secret: str) -> Membership | None:
    """Make a token's membership the request's caller, as a signed-in member's session
    does: `request.user`, `request.membership`, the clinic's time zone, and the second
    wall (row-level security) for the rest of the request, cleared by the middleware."""
    token = find_api_token(secret)
    if token is None:
        return None
    membership = token.membership
    request.user = membership.user
    request.membership = membership  # type: ignore[attr-defined]
    request.api_token = token  # type: ignore[attr-defined]
    timezone.activate(ZoneInfo(membership.organization.time_zone))
    enter_organization(membership.organization_id)
    request.walled_in = True  # type: ignore[attr-defined]
    return membership
