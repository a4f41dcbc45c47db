"""Password guessing is throttled before hashing: 5 per user and address per 15 minutes,
100 per account per hour; locks lift on their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import User
from lasting.audit.models import AuditEvent, Outcome
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def attempt(password: str, address: str = "10.0.0.1") -> int:
    response = Client(REMOTE_ADDR=address).post(
        reverse("accounts:login"), {"username": "dr_ana", "password": password}
    )
    return response.status_code


def test_the_sixth_attempt_is_refused_without_checking_the_password(personas, monkeypatch):
    for _ in range(5):
        assert attempt("wrong guess 123") == 200
    checked = []
    monkeypatch.setattr(User, "check_password", lambda *args: checked.append(1) or True)
    assert attempt(PASSWORD) == 429
    assert checked == []
    assert AuditEvent.objects.filter(action="login_failed", outcome=Outcome.DENIED).count() == 1


def test_another_address_is_not_locked_out(personas):
    for _ in range(5):
        attempt("wrong guess 123")
    assert attempt(PASSWORD, address="10.0.0.2") == 302


def test_the_lock_lifts_after_15_minutes(personas):
    for _ in range(5):
        attempt("wrong guess 123")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(PASSWORD) == 302


def test_100_failures_an_hour_lock_the_account_from_everywhere(personas):
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                at=now - timedelta(minutes=30),
                username="dr_ana",
                action="login_failed",
                outcome="failure",
                address=f"10.1.{i // 250}.{i % 250}",
                previous_hash="x",
                hash=f"h{i}",
            )
            for i in range(100)
        ]
    )
    assert attempt(PASSWORD, address="192.168.5.5") == 429


def test_the_message_says_when_to_try_again(personas):
    for _ in range(5):
        attempt("wrong guess 123")
    response = Client(REMOTE_ADDR="10.0.0.1").post(
        reverse("accounts:login"), {"username": "dr_ana", "password": PASSWORD}
    )
    assert b"Too many failed sign-ins. Try again in 15 minutes" in response.content
    assert int(response["Retry-After"]) > 800


@pytest.mark.parametrize("variant", ["dr_ana ", " dr_ana", "\uff44r_ana"])
def test_username_variants_share_one_throttle_count(personas, variant):
    for _ in range(5):
        Client(REMOTE_ADDR="10.9.9.9").post(
            reverse("accounts:login"), {"username": "dr_ana", "password": "wrong guess 123"}
        )
    response = Client(REMOTE_ADDR="10.9.9.9").post(
        reverse("accounts:login"), {"username": variant, "password": PASSWORD}
    )
    assert response.status_code == 429
