"""PHQ-9 scoring: totals, proration, rounding and the item-9 safety flags (Kroenke 2001)."""

import pytest

from lasting_core.instruments import BandCode, InstrumentCode, ScoreFlag, get_instrument, score
from lasting_core.instruments.phq9 import PHQ9


def all_items(value: int) -> dict[str, int | None]:
    return {f"q{n}": value for n in range(1, 10)}


def test_the_total_is_the_sum_of_the_nine_items() -> None:
    answers = {"q1": 3, "q2": 2, "q3": 1, "q4": 0, "q5": 3, "q6": 2, "q7": 1, "q8": 0, "q9": 0}

    result = score("phq9", answers)

    assert result.total == 12
    assert result.valid
    assert not result.prorated
    assert result.missing == ()
    assert result.band is not None
    assert result.band.code == BandCode.MODERATE


def test_all_threes_score_27_severe() -> None:
    result = score("phq9", all_items(3))

    assert result.total == 27
    assert result.band is not None
    assert result.band.label == "Severe"


def test_the_difficulty_item_never_counts_towards_the_total() -> None:
    without = score("phq9", all_items(1))
    with_difficulty = score("phq9", {**all_items(1), "difficulty": 3})

    assert without.total == with_difficulty.total == 9
    assert with_difficulty.details["difficulty"] == 3
    assert without.details["difficulty"] is None
    assert without.missing == ()


def test_one_missing_item_is_prorated_from_the_mean_of_the_others() -> None:
    answers = {**all_items(2), "q1": None}

    result = score("phq9", answers)

    assert result.total == 18  # 16 / 8 * 9
    assert result.valid
    assert result.prorated
    assert result.missing == ("q1",)


def test_two_missing_items_are_prorated() -> None:
    answers = {"q1": 3, "q2": 1, "q3": 2, "q4": 1, "q5": 2, "q6": 1, "q9": 0}

    result = score("phq9", answers)

    assert result.total == 13  # 10 / 7 * 9 = 12.86
    assert result.prorated
    assert result.missing == ("q7", "q8")


def test_three_missing_items_make_the_score_invalid() -> None:
    answers = {**all_items(3), "q2": None, "q4": None, "q6": None}

    result = score("phq9", answers)

    assert not result.valid
    assert result.total is None
    assert result.band is None
    assert not result.prorated
    assert result.missing == ("q2", "q4", "q6")


def test_proration_rounds_half_up_not_to_even() -> None:
    # 8 answered items summing to 4: 4 / 8 * 9 = 4.5 -> 5 (round() would give 4, minimal).
    answers = {"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 0, "q6": 0, "q7": 0, "q9": 0}

    result = score("phq9", answers)

    assert result.total == 5
    assert result.band is not None
    assert result.band.code == BandCode.MILD


def test_proration_rounds_half_up_at_22_5() -> None:
    # 8 answered summing to 20: 22.5 -> 23 (round() would give 22).
    answers = {"q1": 3, "q2": 3, "q3": 3, "q4": 3, "q5": 3, "q6": 3, "q7": 2, "q9": 0}

    assert score("phq9", answers).total == 23


def test_proration_rounds_down_below_one_half() -> None:
    # 7 answered summing to 1: 9 / 7 = 1.29 -> 1.
    answers = {"q1": 1, "q2": 0, "q3": 0, "q4": 0, "q5": 0, "q6": 0, "q9": 0}

    assert score("phq9", answers).total == 1


def test_item9_of_zero_sets_no_safety_flag() -> None:
    assert score("phq9", all_items(0)).flags == frozenset()


def test_item9_of_one_is_positive_but_not_urgent() -> None:
    result = score("phq9", {**all_items(0), "q9": 1})

    assert result.flags == {ScoreFlag.ITEM9_POSITIVE}


@pytest.mark.parametrize("value", [2, 3])
def test_item9_of_two_or_more_is_positive_and_urgent(value: int) -> None:
    result = score("phq9", {**all_items(0), "q9": value})

    assert result.flags == {ScoreFlag.ITEM9_POSITIVE, ScoreFlag.ITEM9_URGENT}


def test_missing_item9_is_flagged_even_when_the_total_is_prorated() -> None:
    result = score("phq9", {**all_items(1), "q9": None})

    assert result.prorated
    assert result.total == 9
    assert result.flags == {ScoreFlag.ITEM9_MISSING}


def test_an_absent_item9_key_counts_as_missing() -> None:
    answers = {f"q{n}": 1 for n in range(1, 9)}

    result = score("phq9", answers)

    assert ScoreFlag.ITEM9_MISSING in result.flags
    assert result.missing == ("q9",)


def test_item9_flags_are_set_even_when_the_total_is_invalid() -> None:
    answers = {"q9": 3, "q5": 1}

    result = score("phq9", answers)

    assert not result.valid
    assert result.flags == {ScoreFlag.ITEM9_POSITIVE, ScoreFlag.ITEM9_URGENT}


def test_the_score_keeps_a_read_only_copy_of_every_answer_and_the_version() -> None:
    answers: dict[str, int | None] = all_items(2)

    result = score("phq9", answers)
    answers["q1"] = 0

    assert result.instrument == InstrumentCode.PHQ9
    assert result.version == "PHQ-9 (Kroenke 2001)"
    assert result.answers["q1"] == 2
    assert list(result.answers) == [*(f"q{n}" for n in range(1, 10)), "difficulty"]
    with pytest.raises(TypeError):
        result.answers["q1"] = 3  # type: ignore[index]


def test_item9_carries_its_loinc_code_and_difficulty_is_optional_and_unscored() -> None:
    phq9 = get_instrument("phq9")

    assert phq9 is PHQ9
    assert phq9.get_item("q9").loinc == "44260-8"
    difficulty = phq9.get_item("difficulty")
    assert difficulty.optional
    assert not difficulty.scored
    assert all(item.higher_is_worse for item in phq9.items)
