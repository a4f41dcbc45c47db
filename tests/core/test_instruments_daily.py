"""Daily check: four 0-10 items, no total, no band; mood and sleep are better when higher."""

import pytest

from lasting_core.instruments import InstrumentCode, ScoringError, get_instrument, score

TODAY = {"mood": 6, "sleep": 4, "stress": 7, "pain": 2}


def test_a_complete_check_in_is_valid_without_total_or_band() -> None:
    result = score("daily", TODAY)

    assert result.instrument == InstrumentCode.DAILY
    assert result.valid
    assert result.total is None
    assert result.band is None
    assert dict(result.details) == TODAY


def test_pain_is_optional() -> None:
    result = score("daily", {"mood": 6, "sleep": 4, "stress": 7})

    assert result.valid
    assert result.details["pain"] is None
    assert result.missing == ()


@pytest.mark.parametrize("required", ["mood", "sleep", "stress"])
def test_a_required_item_set_to_none_is_rejected(required: str) -> None:
    with pytest.raises(ScoringError, match=f"{required}: an answer is required") as error:
        score("daily", {**TODAY, required: None})

    assert error.value.item == required


def test_a_required_item_left_out_is_rejected() -> None:
    with pytest.raises(ScoringError, match="stress: an answer is required"):
        score("daily", {"mood": 6, "sleep": 4})


def test_mood_and_sleep_are_better_when_higher_stress_and_pain_worse() -> None:
    daily = get_instrument("daily")

    assert {item.key: item.higher_is_worse for item in daily.items} == {
        "mood": False,
        "sleep": False,
        "stress": True,
        "pain": True,
    }


def test_the_daily_check_has_no_total_range_bands_or_loinc() -> None:
    daily = get_instrument("daily")

    assert (daily.total_min, daily.total_max, daily.bands) == (None, None, ())
    assert daily.loinc_panel is None
    assert daily.loinc_total is None
