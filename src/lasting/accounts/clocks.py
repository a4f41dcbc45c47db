"""Whose "today": every date Lasting derives from the wall clock names the clock it reads.

A clinic's day is its own time zone's day, a patient's day is the patient's, and the
server's UTC date is nobody's. Between UTC midnight and a US clinic's midnight the two
disagree, so code and tests that want "today" say whose, through these two functions.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone


def now_in(time_zone: str, now: datetime | None = None) -> datetime:
    """Return the wall-clock time in `time_zone` (an IANA name) at `now` (default: now)."""
    return (now or timezone.now()).astimezone(ZoneInfo(time_zone))


def today_in(time_zone: str, now: datetime | None = None) -> date:
    """Return the calendar date in `time_zone` at `now`: the organisation's or the patient's.

    Pass `organization.time_zone` for the clinic's day (form dates, proposal windows) and
    `patient.time_zone` for the patient's (check-in windows, their own page).
    """
    return now_in(time_zone, now).date()
