"""Behind a trusted proxy, the client's address comes from the entry the proxy appended."""

from __future__ import annotations

import pytest
from django.test import Client

from lasting.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def failed_sign_in_address(**headers: str) -> str | None:
    Client(**headers).post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    event = AuditEvent.objects.order_by("-pk").first()
    assert event is not None
    return event.address


def test_without_trust_the_header_is_ignored(settings):
    settings.TRUST_FORWARDED_FOR = False
    assert failed_sign_in_address(HTTP_X_FORWARDED_FOR="203.0.113.9") == "127.0.0.1"


def test_with_trust_the_last_entry_is_the_client(settings):
    settings.TRUST_FORWARDED_FOR = True
    # The client claimed 198.51.100.1; the proxy appended the address it saw.
    header = "198.51.100.1, 203.0.113.9"
    assert failed_sign_in_address(HTTP_X_FORWARDED_FOR=header) == "203.0.113.9"


def test_with_trust_a_malformed_entry_keeps_the_peer_address(settings):
    settings.TRUST_FORWARDED_FOR = True
    assert failed_sign_in_address(HTTP_X_FORWARDED_FOR="not-an-address") == "127.0.0.1"


def test_the_portal_throttle_counts_each_client_behind_the_proxy(settings, mailoutbox):
    settings.TRUST_FORWARDED_FOR = True
    for n in range(20):
        Client(HTTP_X_FORWARDED_FOR="203.0.113.9").post(
            "/me/sign-in/", {"email": f"nobody{n}@example.org"}
        )
    blocked = Client(HTTP_X_FORWARDED_FOR="203.0.113.9").post(
        "/me/sign-in/", {"email": "again@example.org"}
    )
    other = Client(HTTP_X_FORWARDED_FOR="203.0.113.77").post(
        "/me/sign-in/", {"email": "someone@example.org"}
    )
    assert blocked.status_code == 429
    assert other.status_code == 302
