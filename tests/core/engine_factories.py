"""Typed builders of engine inputs for the core tests (inert unless a test asks)."""

from __future__ import annotations

import dataclasses

import numpy as np

from lasting_core.engine import (
    LifeEvent,
    LifeEventKind,
    PatientHistory,
    PersonalItem,
    PersonalReading,
    WarningSide,
)

INDUCTION_DAYS = (10.0, 13.0, 16.0, 19.0, 22.0, 24.0)


def make_responder(
    *,
    weekly: list[float] | None = None,
    first_checkin: float = 31.0,
    boosters: tuple[float, ...] = (),
    daily: tuple[tuple[float, float | None, float | None, float | None], ...] = (),
    baseline: float = 20.0,
) -> PatientHistory:
    """Return a patient with baseline 20, induction on days 10-24 and weekly PHQ-9 after."""
    scores = weekly if weekly is not None else [4.0, 5.0, 4.0, 3.0]
    weekly_checkins = tuple((first_checkin + 7.0 * i, s) for i, s in enumerate(scores))
    phq9 = ((5.0, baseline), *weekly_checkins)
    sessions = tuple((day, "induction") for day in INDUCTION_DAYS)
    sessions += tuple((day, "booster") for day in boosters)
    return PatientHistory(phq9=phq9, sessions=sessions, daily=daily)


def make_random_history(rng: np.random.Generator, days: float = 200.0) -> PatientHistory:
    """Return a random, irregular history: check-ins, sessions, daily items with gaps."""
    start = float(rng.uniform(0.0, 30.0))
    baseline = float(rng.integers(10, 27))
    first = start + float(rng.uniform(5.0, 15.0))
    sessions = [(first + 3.0 * i + float(rng.uniform(0, 1)), "induction") for i in range(6)]
    t = first + 20.0
    while t < days:
        t += float(rng.uniform(10.0, 60.0))
        if t < days:
            sessions.append((t, str(rng.choice(["booster", "maintenance"]))))
    phq9 = [(start, baseline)]
    level = float(rng.uniform(2.0, baseline))
    t = first + 18.0
    while t < days:
        t += float(rng.choice([1.0, 3.5, 7.0, 7.0, 7.0, 14.0, 21.0])) + float(rng.uniform(0, 0.5))
        level = float(np.clip(level + rng.normal(0.4, 1.5), 0.0, 27.0))
        phq9.append((t, float(np.clip(round(level + rng.normal(0, 2.2)), 0, 27))))
    daily: list[tuple[float, float | None, float | None, float | None]] = []
    if rng.random() < 0.6:
        for d in np.arange(first, days, 1.0):
            if rng.random() < 0.7:
                items = [float(np.clip(round(v), 0, 10)) for v in rng.normal([7, 6, 3], 1.2)]
                maybe = [None if rng.random() < 0.05 else v for v in items]
                daily.append((float(d) + float(rng.uniform(0, 0.9)), maybe[0], maybe[1], maybe[2]))
                if rng.random() < 0.1:  # a second entry the same day
                    daily.append((float(d) + 0.95, items[0], items[1], items[2]))
    events = [(float(rng.uniform(first, days)), "hospitalisation")] if rng.random() < 0.1 else []
    return PatientHistory(
        phq9=tuple(phq9),
        sessions=tuple(sessions),
        daily=tuple(daily),
        events=tuple(events),
    )


PLAN_ITEMS = (
    PersonalItem("sleep", "Sleep", WarningSide.BELOW, 5.0, 0.0, 12.0, "h"),
    PersonalItem("craving", "Craving", WarningSide.ABOVE, 6.0),
    PersonalItem.yes_no_item("friends", "Withdrew from friends"),
)


def add_plan(rng: np.random.Generator, history: PatientHistory) -> PatientHistory:
    """Return the history with random personal items, their answers and life events.

    Some patients get no items (the batch then mixes 3- and 4-item daily cells), some one
    to three; answers come most evenings, drift towards the warning side at times, and
    sometimes twice a day; up to three life events of random kind and weight.
    """
    first = history.first_day() or 0.0
    last = history.last_day() or first
    count = int(rng.integers(0, len(PLAN_ITEMS) + 1))
    items = PLAN_ITEMS[:count]
    readings: list[PersonalReading] = []
    drift = 0.0
    for day in np.arange(first, last, 1.0):
        drift = float(np.clip(drift + rng.normal(0.0, 0.3), -1.0, 3.0))
        for item in items:
            if rng.random() < 0.2:
                continue
            if item.yes_no:
                value = float(rng.random() < 0.1 + 0.2 * max(drift, 0.0))
            elif item.side == WarningSide.BELOW:
                value = float(np.clip(round(8.0 - drift + rng.normal(0, 1.0), 1), 0.0, 12.0))
            else:
                value = float(np.clip(round(3.0 + drift + rng.normal(0, 1.5)), 0.0, 10.0))
            readings.append(
                PersonalReading(float(day) + float(rng.uniform(0, 0.9)), item.key, value)
            )
            if rng.random() < 0.05:
                readings.append(PersonalReading(float(day) + 0.95, item.key, value))
    events = tuple(
        LifeEvent(
            float(rng.uniform(first, last)),
            LifeEventKind(str(rng.choice([kind.value for kind in LifeEventKind]))),
            float(rng.choice([0.33, 0.67, 1.0])),
        )
        for _ in range(int(rng.integers(0, 4)))
    )
    return dataclasses.replace(
        history, personal_items=items, personal=tuple(readings), life_events=events
    )
