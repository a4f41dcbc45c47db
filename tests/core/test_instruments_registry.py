"""The registry finds every instrument by code, and every instrument rejects bad answers alike."""

import dataclasses

import pytest

from lasting_core.instruments import (
    Instrument,
    InstrumentCode,
    ScoringError,
    get_instrument,
    list_instruments,
    score,
)

INSTRUMENTS = list_instruments()
IDS = [instrument.code.value for instrument in INSTRUMENTS]


def valid_answers(instrument: Instrument) -> dict[str, int | None]:
    return {item.key: item.min_value for item in instrument.items}


def test_every_instrument_code_is_registered_in_a_stable_order() -> None:
    assert [instrument.code for instrument in INSTRUMENTS] == list(InstrumentCode)
    assert IDS == ["phq9", "gad7", "pcl5", "pain_nrs", "daily"]


@pytest.mark.parametrize("code", list(InstrumentCode))
def test_an_instrument_is_found_by_its_code_or_its_string(code: InstrumentCode) -> None:
    assert get_instrument(code) is get_instrument(code.value)
    assert get_instrument(code).code == code


def test_an_unknown_code_raises_key_error_naming_the_known_codes() -> None:
    with pytest.raises(KeyError, match=r"unknown instrument 'bdi'.*phq9, gad7, pcl5"):
        get_instrument("bdi")


def test_score_gives_the_same_result_as_the_instruments_own_method() -> None:
    answers = {f"q{n}": 2 for n in range(1, 10)}

    assert score(InstrumentCode.PHQ9, answers) == get_instrument("phq9").score(answers)


def test_instruments_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_instrument("phq9").name = "PHQ-8"  # type: ignore[misc]


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_every_instrument_names_its_version_and_unique_item_keys(instrument: Instrument) -> None:
    keys = [item.key for item in instrument.items]

    assert instrument.version
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_an_unknown_item_is_rejected(instrument: Instrument) -> None:
    answers = {**valid_answers(instrument), "q99": 1}

    with pytest.raises(ScoringError, match="unknown item 'q99'") as error:
        instrument.score(answers)

    assert error.value.item == "q99"


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@pytest.mark.parametrize("value", [True, False], ids=["True", "False"])
def test_a_boolean_is_not_a_whole_number(instrument: Instrument, value: bool) -> None:
    key = instrument.items[0].key

    with pytest.raises(ScoringError, match=f"{key}: answer must be a whole number"):
        instrument.score({**valid_answers(instrument), key: value})


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@pytest.mark.parametrize("value", [1.0, 1.5, "1", "one"], ids=["1.0", "1.5", "'1'", "'one'"])
def test_floats_and_strings_are_not_whole_numbers(instrument: Instrument, value: object) -> None:
    key = instrument.items[0].key

    with pytest.raises(ScoringError, match=f"{key}: answer must be a whole number, got"):
        instrument.score({**valid_answers(instrument), key: value})  # type: ignore[dict-item]


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_answers_outside_the_item_range_are_rejected_with_the_range(
    instrument: Instrument,
) -> None:
    item = instrument.items[-1]
    for value in (item.min_value - 1, item.max_value + 1):
        expected = f"{item.key}: {value} is outside {item.min_value}\N{EN DASH}{item.max_value}"
        with pytest.raises(ScoringError, match=expected):
            instrument.score({**valid_answers(instrument), item.key: value})


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_answers_must_be_a_mapping(instrument: Instrument) -> None:
    with pytest.raises(ScoringError, match="answers must be a mapping"):
        instrument.score([1, 2, 3])  # type: ignore[arg-type]


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_the_lowest_answers_score_without_error(instrument: Instrument) -> None:
    result = instrument.score(valid_answers(instrument))

    assert result.valid
    assert result.instrument == instrument.code
    assert result.version == instrument.version
