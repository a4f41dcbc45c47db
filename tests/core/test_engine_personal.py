"""Personal warning signs: the plan's own items enter the daily layer (docs/engine.md 2.9)."""

from __future__ import annotations

import dataclasses

import pytest

from lasting_core.engine import (
    PatientHistory,
    PersonalItem,
    PersonalReading,
    SignalKind,
    WarningSide,
    assess_cohort,
    assess_patient,
)
from tests.core.engine_factories import make_responder

SLEEP = PersonalItem("sleep", "Sleep", WarningSide.BELOW, 5.0, 0.0, 12.0, "h")
CRAVING = PersonalItem("craving", "Craving", WarningSide.ABOVE, 7.0)
FRIENDS = PersonalItem.yes_no_item("friends", "Withdrew from friends")
GYM = PersonalItem.yes_no_item("gym", "Went to the gym", warning_answer=False)
CALM = [4.0, 5.0, 4.0, 3.0, 4.0, 5.0, 4.0, 4.0, 3.0, 4.0, 5.0, 4.0, 4.0]


def with_sleep(hours: list[float], *, first_day: float = 30.0) -> PatientHistory:
    """A calm responder who answers the sleep item each evening from ``first_day``."""
    readings = tuple(PersonalReading(first_day + i + 0.8, "sleep", h) for i, h in enumerate(hours))
    return dataclasses.replace(
        make_responder(weekly=CALM), personal_items=(SLEEP,), personal=readings
    )


def personal_signs(history: PatientHistory, day: float) -> list[str]:
    return [
        s.sentence
        for s in assess_patient(history, day).signals
        if s.kind == SignalKind.PERSONAL_WARNING_SIGN
    ]


@pytest.mark.parametrize(
    ("item", "value", "normalised"),
    [
        (SLEEP, 12.0, 0.0),  # the good end of the scale
        (SLEEP, 5.0, 5.0),  # the threshold sits at 5 on the daily scale
        (SLEEP, 8.5, 2.5),
        (SLEEP, 0.0, 60.0 / 7.0),
        (CRAVING, 0.0, 0.0),
        (CRAVING, 7.0, 5.0),
        (CRAVING, 10.0, 50.0 / 7.0),
        (FRIENDS, 0.0, 0.0),
        (FRIENDS, 1.0, 10.0),
        (GYM, 1.0, 0.0),
        (GYM, 0.0, 10.0),
    ],
)
def test_items_are_normalised_by_their_threshold_and_direction(
    item: PersonalItem, value: float, normalised: float
) -> None:
    assert item.normalise(value) == pytest.approx(normalised)


def test_the_threshold_itself_is_a_warning_as_the_plan_form_says() -> None:
    assert SLEEP.crossed(4.9)
    assert SLEEP.crossed(5.0)
    assert not SLEEP.crossed(5.1)
    assert CRAVING.crossed(7.5)
    assert CRAVING.crossed(7.0)
    assert not CRAVING.crossed(6.9)
    assert FRIENDS.crossed(1.0)
    assert not FRIENDS.crossed(0.0)
    assert GYM.crossed(0.0)
    assert not GYM.crossed(1.0)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PersonalItem("s", "Sleep", WarningSide.BELOW, 12.0, 0.0, 12.0), "good end"),
        (lambda: PersonalItem("s", "Sleep", WarningSide.ABOVE, 11.0, 0.0, 10.0), "must lie in"),
        (lambda: PersonalItem("s", "Sleep", WarningSide.BELOW, 5.0, 6.0, 6.0), "low must be"),
        (lambda: PersonalItem("s", " ", WarningSide.BELOW, 5.0), "needs a label"),
        (
            lambda: PersonalItem("s", "Out", WarningSide.ABOVE, 0.7, 0.0, 1.0, yes_no=True),
            "threshold 0.5",
        ),
    ],
)
def test_a_bad_item_is_refused(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("reading", "message"),
    [
        (PersonalReading(40.0, "mood", 3.0), "names no personal item"),
        (PersonalReading(40.0, "sleep", 13.0), "lies outside 0-12"),
        (PersonalReading(40.0, "friends", 0.5), "must be 0 or 1"),
    ],
)
def test_a_bad_reading_is_refused(reading: PersonalReading, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PatientHistory(personal_items=(SLEEP, FRIENDS), personal=(reading,))


def test_two_items_may_not_share_a_key() -> None:
    with pytest.raises(ValueError, match="distinct keys"):
        PatientHistory(personal_items=(SLEEP, dataclasses.replace(CRAVING, key="sleep")))


def test_two_days_in_a_row_beyond_the_threshold_is_a_warning_sign_named_by_its_label() -> None:
    history = with_sleep([8.0] * 20 + [4.5, 4.0])
    assert personal_signs(history, 50.9) == []  # one night so far
    assert personal_signs(history, 51.9) == [
        'Personal warning sign "Sleep": 5 h or less on 2 days in a row.'
    ]
    assessment = assess_patient(history, 51.9)
    assert 'personal warning sign "Sleep": 5 h or less on 2 days in a row' in assessment.explanation
    (sign,) = [s for s in assessment.signals if s.kind == SignalKind.PERSONAL_WARNING_SIGN]
    assert sign.day == 50.0
    assert dict(sign.drivers) == {
        "item": "sleep",
        "label": "Sleep",
        "side": "below",
        "threshold": 5,
        "unit": "h",
        "days_in_a_row": 2,
    }


def test_one_night_is_not_a_warning_sign() -> None:
    assert personal_signs(with_sleep([8.0] * 20 + [4.0]), 50.9) == []


def test_the_threshold_itself_crosses_and_just_beyond_it_does_not() -> None:
    assert personal_signs(with_sleep([8.0] * 20 + [5.0, 5.0]), 51.9) == [
        'Personal warning sign "Sleep": 5 h or less on 2 days in a row.'
    ]
    assert personal_signs(with_sleep([8.0] * 20 + [5.5, 5.5]), 51.9) == []


def test_a_day_without_an_answer_breaks_the_run() -> None:
    hours = [8.0] * 20 + [4.0]
    history = with_sleep(hours)
    later = PersonalReading(30.0 + 22 + 0.8, "sleep", 4.0)  # a day skipped
    history = dataclasses.replace(history, personal=(*history.personal, later))
    assert personal_signs(history, 52.9) == []


def test_an_answer_on_the_good_side_ends_the_sign_and_the_run_counts_on() -> None:
    history = with_sleep([8.0] * 20 + [4.0, 4.0, 3.0])
    assert personal_signs(history, 52.9) == [
        'Personal warning sign "Sleep": 5 h or less on 3 days in a row.'
    ]
    recovered = with_sleep([8.0] * 20 + [4.0, 4.0, 3.0, 7.0])
    assert personal_signs(recovered, 53.9) == []


def test_a_stale_sign_is_dropped_once_the_daily_check_stops() -> None:
    history = with_sleep([8.0] * 20 + [4.0, 4.0])
    assert personal_signs(history, 53.9)
    assert personal_signs(history, 55.9) == []


def test_a_yes_no_item_says_its_answer() -> None:
    readings = tuple(PersonalReading(30.8 + i, "friends", float(i >= 18)) for i in range(20))
    history = dataclasses.replace(
        make_responder(weekly=CALM), personal_items=(SLEEP, FRIENDS), personal=readings
    )
    assert personal_signs(history, 49.9) == [
        'Personal warning sign "Withdrew from friends": yes on 2 days in a row.'
    ]


def test_personal_items_are_evidence_in_the_forecast_like_the_daily_items() -> None:
    """Sleep falling from 8 to 4 hours over ten days raises the 28-day risk; PHQ-9 is flat."""
    steady = with_sleep([8.0, 7.5, 8.0, 7.0, 8.0] * 8)
    falling = with_sleep([8.0, 7.5, 8.0, 7.0, 8.0] * 6 + [6, 5.5, 5, 4.5, 4.5, 4, 4, 3.5, 4, 3.5])
    calm = assess_patient(steady, 69.9)
    worse = assess_patient(falling, 69.9)
    assert calm.p_relapse_28d is not None
    assert worse.p_relapse_28d is not None
    assert worse.p_relapse_28d > calm.p_relapse_28d + 0.1
    # The same history without the personal items: steady answers reassure a little, a
    # falling sleep raises the risk.
    plain = assess_patient(make_responder(weekly=CALM), 69.9)
    assert plain.p_relapse_28d is not None
    assert calm.p_relapse_28d <= plain.p_relapse_28d < worse.p_relapse_28d - 0.1


def test_a_lasting_rise_of_the_personal_items_is_a_daily_decline() -> None:
    falling = with_sleep([8.0, 7.5, 8.0, 7.0, 8.0] * 6 + [6, 5.5, 5, 4.5, 4.5, 4, 4, 3.5, 4, 3.5])
    (decline,) = [
        s for s in assess_patient(falling, 69.9).signals if s.kind == SignalKind.DAILY_DECLINE
    ]
    assert decline.drivers["item"] == "personal"
    assert decline.sentence.startswith("Daily personal warning-sign score (0-10, 5 at each")


def test_a_patient_without_personal_items_is_unchanged_by_anothers() -> None:
    """The fourth daily item is inert for a patient who has none (exactly)."""
    alone = assess_cohort([make_responder(weekly=CALM)], 69.9)[0]
    beside = assess_cohort([make_responder(weekly=CALM), with_sleep([4.0] * 30)], 69.9)[0]
    assert alone == beside


def test_plain_strings_from_a_database_are_accepted_as_the_enums() -> None:
    item = PersonalItem("sleep", "Sleep", "below", 5.0, 0.0, 12.0, "h")  # type: ignore[arg-type]
    assert item.side is WarningSide.BELOW
    assert item == SLEEP
