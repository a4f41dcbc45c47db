"""Business hours are read on the organisation's clock; the service level on absolute time.

The instants are pinned on both sides of opening time and across the 2026 US
daylight-saving changes (clocks forward on Sunday 8 March, back on Sunday 1 November),
so a version that compared UTC hours, or added the service level on the local clock,
fails here.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from lasting_core.escalation import (
    DEFAULTS,
    BusinessHours,
    next_escalation_at,
    parse_weekdays,
)

NEW_YORK = BusinessHours(
    time_zone="America/New_York",
    weekdays=frozenset({1, 2, 3, 4, 5}),
    opens=time(8, 0),
    closes=time(18, 0),
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "open_"),
    [
        # Friday 6 March 2026, still on EST (UTC-5): 08:00 local is 13:00 UTC.
        ("2026-03-06T12:59:00", False),
        ("2026-03-06T13:00:00", True),
        ("2026-03-06T22:59:00", True),
        ("2026-03-06T23:00:00", False),
        # Monday 9 March 2026, the first weekday on EDT (UTC-4): 08:00 local is 12:00 UTC.
        ("2026-03-09T11:59:00", False),
        ("2026-03-09T12:00:00", True),
        ("2026-03-09T12:30:00", True),
        ("2026-03-09T21:59:00", True),
        ("2026-03-09T22:00:00", False),
        # Friday 30 October (EDT) and Monday 2 November (EST again).
        ("2026-10-30T12:30:00", True),
        ("2026-11-02T12:30:00", False),
        ("2026-11-02T13:30:00", True),
    ],
)
def test_business_hours_follow_the_clinic_clock_across_daylight_saving(instant, open_):
    assert NEW_YORK.contains(utc(instant)) is open_


def test_a_weekend_is_after_hours_at_midday():
    saturday_noon = utc("2026-03-07T17:00:00")  # 12:00 EST
    sunday_noon = utc("2026-03-08T16:00:00")  # 12:00 EDT, the day the clocks go forward
    assert not NEW_YORK.contains(saturday_noon)
    assert not NEW_YORK.contains(sunday_noon)


def test_the_local_weekday_decides_not_the_utc_one():
    # 19:30 on Friday in New York is already Saturday 00:30 in UTC; 02:30 UTC on a
    # Monday is still Sunday evening in New York.
    hours = BusinessHours("America/New_York", frozenset({5}), time(19, 0), time(20, 0))
    assert hours.contains(utc("2026-03-07T00:30:00"))
    sunday_hours = BusinessHours("America/New_York", frozenset({7}), time(21, 0), time(23, 0))
    assert sunday_hours.contains(utc("2026-03-09T02:30:00"))


def test_a_clinic_without_business_days_is_always_after_hours():
    never = BusinessHours("America/New_York", frozenset(), time(8, 0), time(18, 0))
    assert not never.contains(utc("2026-03-09T15:00:00"))


def test_a_naive_instant_is_refused():
    with pytest.raises(ValueError, match="aware"):
        NEW_YORK.contains(datetime(2026, 3, 9, 12, 0))  # noqa: DTZ001 (the case under test)


def test_hours_that_close_before_they_open_are_refused():
    with pytest.raises(ValueError, match="open before they close"):
        BusinessHours("America/New_York", frozenset({1}), time(18, 0), time(8, 0))


@pytest.mark.parametrize(
    ("text", "days"), [("12345", {1, 2, 3, 4, 5}), ("67", {6, 7}), ("", set())]
)
def test_weekdays_are_read_from_their_digits(text, days):
    assert parse_weekdays(text) == frozenset(days)


@pytest.mark.parametrize("text", ["8", "1a", "0", " 1"])
def test_weekdays_that_are_not_iso_weekday_digits_are_refused(text):
    with pytest.raises(ValueError, match="digits 1"):
        parse_weekdays(text)


SLA = timedelta(minutes=DEFAULTS.ack_sla_minutes)


def test_an_unacknowledged_alert_escalates_one_service_level_after_it_opened():
    opened = utc("2026-03-09T15:00:00")
    assert next_escalation_at(opened_at=opened, sla=SLA) == opened + timedelta(hours=4)


def test_the_service_level_is_four_real_hours_across_the_spring_change():
    # Opened 00:30 EST on the night the clocks go forward: four hours later the local
    # clock reads 05:30 EDT, five wall-clock hours on, and that is right.
    opened = utc("2026-03-08T05:30:00")
    due = next_escalation_at(opened_at=opened, sla=SLA)
    assert due == utc("2026-03-08T09:30:00")
    assert (due - opened).total_seconds() == 4 * 3600


def test_an_acknowledgement_gives_one_more_service_level_to_record_contact():
    opened = utc("2026-03-09T15:00:00")
    acknowledged = opened + timedelta(hours=1)
    due = next_escalation_at(opened_at=opened, sla=SLA, acknowledged_at=acknowledged)
    assert due == acknowledged + SLA


def test_after_an_escalation_the_next_one_is_a_service_level_later():
    opened = utc("2026-03-09T15:00:00")
    acknowledged = opened + timedelta(hours=1)
    escalated = acknowledged + SLA
    due = next_escalation_at(
        opened_at=opened, sla=SLA, acknowledged_at=acknowledged, escalated_at=escalated
    )
    assert due == escalated + SLA


def test_the_defaults_are_those_of_the_design():
    assert DEFAULTS.ack_sla_minutes == 240
    assert DEFAULTS.business_weekdays == (1, 2, 3, 4, 5)
