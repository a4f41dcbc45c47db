"""Chairs and the clock on the treatment floor: whether a booking fits a location's chairs,
which chair each appointment takes, and what is due next for a dosed patient.

Plain values in and out; the app reads appointments from the database and calls these.
The monitoring times come from the session-safety rules (``lasting_core.sessions``,
docs/clinical.md#session-safety).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lasting_core.sessions import EsketamineRules, Route


@dataclass(frozen=True)
class Slot:
    """A time a chair is taken: from `starts_at` until `ends_at` (exclusive)."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise ValueError("a slot must end after it starts")

    def overlaps(self, other: Slot) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


def most_in_use(slots: Sequence[Slot], during: Slot) -> int:
    """Return the largest number of `slots` taken at the same moment within `during`."""
    events: list[tuple[datetime, int]] = []
    for slot in slots:
        if slot.overlaps(during):
            events.append((max(slot.starts_at, during.starts_at), 1))
            events.append((min(slot.ends_at, during.ends_at), -1))
    # At the same instant an ending frees the chair before a start takes it.
    events.sort(key=lambda event: (event[0], event[1]))
    busiest = in_use = 0
    for _, change in events:
        in_use += change
        busiest = max(busiest, in_use)
    return busiest


def fits(booked: Sequence[Slot], new: Slot, chairs: int) -> bool:
    """True when `new` can be added without ever needing more than `chairs` chairs."""
    return most_in_use(booked, new) < chairs


def assign_chairs(slots: Sequence[Slot], chairs: int) -> list[int | None]:
    """Give each slot a chair number 1..chairs, earliest start first, each the lowest free
    one; None for a slot that finds every chair taken (an overbooking to show, not hide)."""
    order = sorted(range(len(slots)), key=lambda i: (slots[i].starts_at, i))
    free_at: list[datetime | None] = [None] * chairs
    result: list[int | None] = [None] * len(slots)
    for i in order:
        slot = slots[i]
        for chair in range(chairs):
            busy_until = free_at[chair]
            if busy_until is None or busy_until <= slot.starts_at:
                free_at[chair] = slot.ends_at
                result[i] = chair + 1
                break
    return result


@dataclass(frozen=True)
class DueItem:
    """One thing the nurse in the chair must do, and when."""

    due_at: datetime
    what: str


# Choices, not published rules: Sanacora 2017 asks for vital signs before, during and
# after an IV or IM dose without a set interval or length; Lasting reminds every 15
# minutes and until 60 minutes after the dose. A clinic with its own protocol follows it.
KETAMINE_READING_EVERY = timedelta(minutes=15)
KETAMINE_MONITORING = timedelta(minutes=60)


def due_next(
    route: Route,
    dosed_at: datetime,
    now: datetime,
    *,
    esketamine: EsketamineRules | None = None,
) -> list[DueItem]:
    """What is due from `now` on for a patient dosed at `dosed_at`, soonest first.

    1. Esketamine: the blood pressure about 40 minutes after the dose (its window's
       opening is the due time, its closing the deadline), then the end of the 2 hours
       of monitoring (the label's minimum), after which a blood pressure before leaving.
    2. IV and IM: a set of vital signs every 15 minutes until monitoring ends 60 minutes
       after the dose, then the readings at discharge.
    Items already past stay in the list while they are overdue, so nothing is missed.
    """
    if route == Route.INTRANASAL_ESKETAMINE:
        rules = esketamine or EsketamineRules()
        window_opens = dosed_at + timedelta(minutes=rules.post_dose_bp_earliest_minutes)
        window_closes = dosed_at + timedelta(minutes=rules.post_dose_bp_latest_minutes)
        ends = dosed_at + timedelta(minutes=rules.min_monitoring_minutes)
        items = [
            DueItem(window_opens, f"blood pressure (~40 min; by {window_closes:%H:%M})"),
            DueItem(ends, "end of 2-hour monitoring: blood pressure before leaving"),
        ]
        if now > window_closes:
            items = items[1:]  # the window has closed: the form records what was taken
        return items
    ends = dosed_at + KETAMINE_MONITORING
    reading = dosed_at + KETAMINE_READING_EVERY
    while reading < ends and reading + KETAMINE_READING_EVERY <= now:
        reading += KETAMINE_READING_EVERY
    items = [DueItem(reading, "vital signs")] if reading < ends else []
    return [*items, DueItem(ends, "end of monitoring: vital signs at discharge")]
