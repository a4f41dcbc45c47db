"""A staff sign-in never inherits a patient's session."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from lasting.portal.sessions import drop_patient_keys


@receiver(user_logged_in)
def drop_patient_session(
    sender: object, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    # Django's login() keeps the session's data when nobody was signed in before, so a
    # patient's keys would otherwise ride along into the staff session.
    if request is not None and hasattr(request, "session"):
        drop_patient_keys(request)
