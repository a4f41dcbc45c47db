"""When a safety alert escalates, and whether an instant falls in a clinic's business hours.

A safety alert must be acknowledged within the organisation's service level or it
escalates to the next contact; acknowledging means "I have it", and the alert
stays open and escalating until a contact outcome is recorded. Business hours decide who
is told, not whether: outside them escalations go to the after-hours contact. The rules
and their reasons: docs/clinical.md#safety-alerts.

All instants are aware datetimes; service-level arithmetic is on absolute time (UTC), so
a daylight-saving change neither shortens nor stretches it, and business hours are read
on the organisation's own clock (its IANA zone), so 08:00 means 08:00 there in summer
and in winter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class EscalationSettings:
    """Defaults of an organisation's safety-alert policy, each with its source or reason.

    Rules the defaults serve (see `next_escalation_at`):

    - Choice: the service level runs day and night, in wall-clock minutes, never in
      business minutes: a patient who reported thoughts of self-harm on Friday evening
      cannot wait for Monday. Business hours choose *who* is told.
    - Choice: after an acknowledgement the alert gets one more service level to record a
      contact outcome; without one it escalates just as an unacknowledged alert would
      ("I have it" is not contact).
    - Choice: an "unable to reach" attempt is recorded and does not move the next
      escalation: a patient nobody can reach is exactly when more people must know.
    """

    # Choice: escalate after 4 hours without acknowledgement, so a report is in someone's
    # hands well within the day it was made.
    ack_sla_minutes: int = 240
    # Choice: a weekday outpatient clinic's hours (ISO weekdays, Monday = 1).
    business_weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)
    business_opens: time = time(8, 0)
    business_closes: time = time(18, 0)


DEFAULTS = EscalationSettings()


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours on the organisation's clock: the same times on each listed weekday."""

    time_zone: str
    weekdays: frozenset[int]
    opens: time
    closes: time

    def __post_init__(self) -> None:
        if not self.weekdays <= set(range(1, 8)):
            raise ValueError("weekdays are ISO weekday numbers, Monday = 1 to Sunday = 7")
        if not self.opens < self.closes:
            raise ValueError("business hours must open before they close on the same day")

    def contains(self, moment: datetime) -> bool:
        """Whether the instant falls within business hours on the organisation's clock."""
        if moment.tzinfo is None:
            raise ValueError("business hours are checked for aware instants only")
        local = moment.astimezone(ZoneInfo(self.time_zone))
        return local.isoweekday() in self.weekdays and self.opens <= local.time() < self.closes


def parse_weekdays(text: str) -> frozenset[int]:
    """ISO weekday numbers from their digits as stored ("12345" is Monday to Friday; an
    empty text is a clinic with no business hours, where every hour is after hours)."""
    if text and not text.isdigit():
        raise ValueError("weekdays are written as digits 1 (Monday) to 7 (Sunday)")
    days = frozenset(int(digit) for digit in text)
    if not days <= set(range(1, 8)):
        raise ValueError("weekdays are written as digits 1 (Monday) to 7 (Sunday)")
    return days


def next_escalation_at(
    *,
    opened_at: datetime,
    sla: timedelta,
    acknowledged_at: datetime | None = None,
    escalated_at: datetime | None = None,
) -> datetime:
    """The instant an alert without a contact outcome escalates next.

    One service level after the latest of: its opening, its acknowledgement and its last
    escalation. So an unacknowledged alert escalates `sla` after it opened and again every
    `sla` after that; an acknowledgement gives the person who took it one service level to
    record a contact outcome; and contact attempts that did not reach the patient do not
    enter (see `EscalationSettings`).
    """
    latest = max(moment for moment in (opened_at, acknowledged_at, escalated_at) if moment)
    return latest + sla
