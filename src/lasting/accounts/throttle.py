"""Slow down password guessing, before any password is hashed (NIST SP 800-63B).

The thresholds and why they come from the audit trail: docs/clinical.md#privacy-and-security
and docs/decisions/0001-login-throttling-from-the-audit-trail.md.

A sign-in is refused without checking the password when, for the username asked for,
there were 5 failures from the same address in the last 15 minutes, or 100 failures from
anywhere in the last hour. The count comes from the audit trail, which records every
failed sign-in with its username, address and time: one record, two uses. A lock is
never indefinite: it lifts as the failures age out of the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from lasting.audit.models import Action, AuditEvent, Outcome

PER_ADDRESS_FAILURES = 5
PER_ADDRESS_WINDOW = timedelta(minutes=15)
PER_ACCOUNT_FAILURES = 100
PER_ACCOUNT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Lockout:
    retry_after: timedelta

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))


def find_lockout(username: str, address: str | None, now: datetime | None = None) -> Lockout | None:
    """Return the lockout in force for this username and address, if any."""
    now = now or timezone.now()
    failures = AuditEvent.objects.filter(
        action=Action.LOGIN_FAILED, outcome=Outcome.FAILURE, username=username[:150]
    )
    recent_here = list(
        failures.filter(address=address, at__gt=now - PER_ADDRESS_WINDOW)
        .order_by("-at")
        .values_list("at", flat=True)[:PER_ADDRESS_FAILURES]
    )
    if len(recent_here) >= PER_ADDRESS_FAILURES:
        return Lockout(recent_here[-1] + PER_ADDRESS_WINDOW - now)
    recent_anywhere = list(
        failures.filter(at__gt=now - PER_ACCOUNT_WINDOW)
        .order_by("-at")
        .values_list("at", flat=True)[:PER_ACCOUNT_FAILURES]
    )
    if len(recent_anywhere) >= PER_ACCOUNT_FAILURES:
        return Lockout(recent_anywhere[-1] + PER_ACCOUNT_WINDOW - now)
    return None
