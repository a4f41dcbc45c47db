"""Audit every log-in, failed log-in and log-out."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from lasting.accounts.middleware import SESSION_LAST_SEEN, SESSION_LOGGED_IN_AT
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event


def actor_for(request: HttpRequest | None, user: Any) -> Actor:
    return Actor(
        user_id=getattr(user, "pk", None),
        username=user.get_username() if user is not None else "",
        organization_id=None,
        address=request.META.get("REMOTE_ADDR") if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
    )


@receiver(user_logged_in)
def audit_login(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        signed_in_at = time.time()
        request.session[SESSION_LOGGED_IN_AT] = signed_in_at
        request.session[SESSION_LAST_SEEN] = signed_in_at
    record_event(actor_for(request, user), Action.LOGIN)


@receiver(user_logged_out)
def audit_logout(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(actor_for(request, user), Action.LOGOUT)


@receiver(user_login_failed)
def audit_login_failed(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The attempted username is kept (it is needed to spot attacks); the password never is.
    actor = Actor(
        user_id=None,
        username=str(credentials.get("username", ""))[:150],
        organization_id=None,
        address=request.META.get("REMOTE_ADDR") if request is not None else None,
        request_id=getattr(request, "request_id", "") if request is not None else "",
    )
    record_event(actor, Action.LOGIN_FAILED, outcome=Outcome.FAILURE)
