"""Chairs and the floor's clock: capacity, chair assignment and what is due next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lasting_core.scheduling import Slot, assign_chairs, due_next, fits, most_in_use
from lasting_core.sessions import Route

NINE = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def slot(start_minutes: int, length_minutes: int = 120) -> Slot:
    start = NINE + timedelta(minutes=start_minutes)
    return Slot(start, start + timedelta(minutes=length_minutes))


def test_a_slot_must_end_after_it_starts():
    with pytest.raises(ValueError, match="end after it starts"):
        Slot(NINE, NINE)


def test_back_to_back_slots_share_a_chair():
    assert most_in_use([slot(0), slot(120)], slot(0, 240)) == 1
    assert fits([slot(0)], slot(120), chairs=1)


def test_a_third_overlapping_booking_does_not_fit_two_chairs():
    booked = [slot(0), slot(60)]

    assert most_in_use(booked, slot(90)) == 2
    assert not fits(booked, slot(90), chairs=2)
    assert fits(booked, slot(90), chairs=3)
    assert fits(booked, slot(180), chairs=2)  # the first has left by then


def test_chairs_go_to_the_earliest_first_and_are_reused():
    slots = [slot(60), slot(0), slot(120), slot(180)]

    assert assign_chairs(slots, chairs=2) == [2, 1, 1, 2]


def test_an_overbooked_slot_gets_no_chair():
    assert assign_chairs([slot(0), slot(10), slot(20)], chairs=2) == [1, 2, None]


def test_esketamine_blood_pressure_at_about_40_minutes_then_the_end_of_monitoring():
    items = due_next(Route.INTRANASAL_ESKETAMINE, NINE, NINE + timedelta(minutes=10))

    assert [(i.due_at - NINE, i.what.split(" (")[0]) for i in items] == [
        (timedelta(minutes=35), "blood pressure"),
        (timedelta(minutes=120), "end of 2-hour monitoring: blood pressure before leaving"),
    ]


def test_after_the_window_closes_only_the_end_of_monitoring_is_due():
    items = due_next(Route.INTRANASAL_ESKETAMINE, NINE, NINE + timedelta(minutes=61))

    assert [i.due_at - NINE for i in items] == [timedelta(minutes=120)]


@pytest.mark.parametrize(
    ("minutes_since_dose", "next_reading"),
    [(5, 15), (15, 15), (29, 15), (31, 30), (44, 30), (46, 45)],
)
def test_iv_vital_signs_every_15_minutes_the_overdue_one_first(minutes_since_dose, next_reading):
    items = due_next(Route.IV, NINE, NINE + timedelta(minutes=minutes_since_dose))

    assert items[0].due_at - NINE == timedelta(minutes=next_reading)
    assert items[-1].due_at - NINE == timedelta(minutes=60)


def test_iv_after_the_last_reading_only_discharge_is_due():
    items = due_next(Route.IV, NINE, NINE + timedelta(minutes=75))

    assert [(i.due_at - NINE, i.what) for i in items] == [
        (timedelta(minutes=60), "end of monitoring: vital signs at discharge")
    ]
