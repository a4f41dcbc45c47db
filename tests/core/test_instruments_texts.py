"""Texts: every instrument has a title, every item its words and a label for every answer."""

import pytest

from lasting_core.instruments import Instrument, get_instrument, list_instruments, load_texts

INSTRUMENTS = list_instruments()
IDS = [instrument.code.value for instrument in INSTRUMENTS]
PFIZER_ATTRIBUTION = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc. No permission required to reproduce, "
    "translate, display or distribute."
)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_english_texts_load_for_every_instrument(instrument: Instrument) -> None:
    texts = load_texts(instrument.code)

    assert texts.code == instrument.code
    assert texts.language == texts.requested_language == "en"
    assert texts.title.strip()
    assert texts.instructions.strip()
    assert texts.attribution.strip()


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_every_item_has_text_and_a_label_for_every_allowed_answer(
    instrument: Instrument,
) -> None:
    texts = load_texts(instrument.code)

    assert list(texts.items) == [item.key for item in instrument.items]
    for item in instrument.items:
        assert texts.items[item.key].strip()
        values = [value for value, _ in texts.options[item.key]]
        assert values == list(item.values)
        assert all(label.strip() for _, label in texts.options[item.key])


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_phq9_and_gad7_carry_the_pfizer_attribution_word_for_word(code: str) -> None:
    assert load_texts(code).attribution == PFIZER_ATTRIBUTION


def test_phq9_keeps_the_official_frequency_labels_and_item9_wording() -> None:
    texts = load_texts("phq9")

    assert texts.options["q1"] == (
        (0, "Not at all"),
        (1, "Several days"),
        (2, "More than half the days"),
        (3, "Nearly every day"),
    )
    assert texts.items["q9"].startswith("Thoughts that you would be better off dead")
    assert texts.options["difficulty"][0] == (0, "Not difficult at all")


def test_pcl5_uses_the_ncptsd_labels_and_names_its_source() -> None:
    texts = load_texts("pcl5")

    assert [label for _, label in texts.options["q1"]] == [
        "Not at all",
        "A little bit",
        "Moderately",
        "Quite a bit",
        "Extremely",
    ]
    assert "National Center for PTSD" in texts.attribution
    assert "past month" in texts.instructions


def test_pain_nrs_anchors_run_from_no_pain_to_the_worst_imaginable() -> None:
    options = dict(load_texts("pain_nrs").options["pain"])

    assert options[0] == "No pain"
    assert options[10] == "Pain as bad as you can imagine"


def test_daily_anchors_follow_each_items_direction() -> None:
    options = load_texts("daily").options
    daily = get_instrument("daily")

    for item in daily.items:
        best, worst = (0, 10) if item.higher_is_worse else (10, 0)
        assert (dict(options[item.key])[best], dict(options[item.key])[worst]) in {
            ("Best", "Worst"),
            ("Excellent", "Very poor"),
            ("None", "Extreme"),
            ("No pain", "Worst pain"),
        }


def test_a_missing_language_falls_back_to_english_and_says_so() -> None:
    texts = load_texts("phq9", "fr")

    assert texts.language == "en"
    assert texts.requested_language == "fr"
    assert texts.title == load_texts("phq9").title


def test_a_regional_language_falls_back_through_its_base_language() -> None:
    assert load_texts("gad7", "en-GB").language == "en"


@pytest.mark.parametrize("language", ["../phq9", "EN", "", "en/x"])
def test_a_malformed_language_tag_is_rejected(language: str) -> None:
    with pytest.raises(ValueError, match="language must be a tag"):
        load_texts("phq9", language)


def test_an_unknown_instrument_has_no_texts() -> None:
    with pytest.raises(KeyError, match="unknown instrument"):
        load_texts("bdi")


def test_texts_are_read_only() -> None:
    texts = load_texts("phq9")

    with pytest.raises(TypeError):
        texts.items["q1"] = "changed"  # type: ignore[index]
