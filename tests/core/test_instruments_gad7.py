"""GAD-7 scoring: totals and the one-missing-item proration rule (Spitzer 2006)."""

from lasting_core.instruments import BandCode, InstrumentCode, get_instrument, score


def all_items(value: int) -> dict[str, int | None]:
    return {f"q{n}": value for n in range(1, 8)}


def test_the_total_is_the_sum_of_the_seven_items() -> None:
    answers = {"q1": 3, "q2": 2, "q3": 2, "q4": 1, "q5": 0, "q6": 1, "q7": 2}

    result = score("gad7", answers)

    assert result.instrument == InstrumentCode.GAD7
    assert result.version == "GAD-7 (Spitzer 2006)"
    assert result.total == 11
    assert result.band is not None
    assert result.band.code == BandCode.MODERATE
    assert result.valid
    assert not result.prorated


def test_all_threes_score_21_severe() -> None:
    result = score("gad7", all_items(3))

    assert result.total == 21
    assert result.band is not None
    assert result.band.code == BandCode.SEVERE


def test_one_missing_item_is_prorated_from_the_mean_of_the_others() -> None:
    answers = {**all_items(2), "q4": None}

    result = score("gad7", answers)

    assert result.total == 14  # 12 / 6 * 7
    assert result.prorated
    assert result.missing == ("q4",)


def test_proration_rounds_half_up() -> None:
    # 6 answered summing to 3: 3 / 6 * 7 = 3.5 -> 4.
    answers = {"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0}

    assert score("gad7", answers).total == 4


def test_two_missing_items_make_the_score_invalid() -> None:
    answers = {**all_items(3), "q1": None, "q7": None}

    result = score("gad7", answers)

    assert not result.valid
    assert result.total is None
    assert result.band is None
    assert result.missing == ("q1", "q7")


def test_gad7_raises_no_safety_flags() -> None:
    assert score("gad7", all_items(3)).flags == frozenset()


def test_items_carry_their_loinc_codes() -> None:
    gad7 = get_instrument("gad7")

    assert [item.loinc for item in gad7.items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]
