"""Texts: every instrument has a title, every item its words and a label for every answer."""

import json
from importlib import resources

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


def test_gad7_also_falls_back_to_english_for_a_language_without_a_file() -> None:
    texts = load_texts("gad7", "fr")

    assert texts.language == "en"
    assert texts.requested_language == "fr"
    assert texts.items == load_texts("gad7").items


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


# Spanish (official "Spanish for the USA" translations; sources in docs/instruments-spanish.md)

SPANISH_FREQUENCY = (
    (0, "Ningún día"),
    (1, "Varios días"),
    (2, "Más de la mitad de los días"),
    (3, "Casi todos los días"),
)
SPANISH_ATTRIBUTION = (
    "Elaborado por los doctores Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke y "
    "colegas, mediante una subvención educativa otorgada por Pfizer Inc. No se requiere "
    "permiso para reproducir, traducir, presentar o distribuir."
)


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_spanish_texts_load_with_every_item_and_the_full_answer_range(code: str) -> None:
    instrument = get_instrument(code)
    texts = load_texts(code, "es")

    assert texts.language == texts.requested_language == "es"
    assert texts.title.strip()
    assert texts.instructions.startswith("Durante las últimas 2 semanas")
    assert texts.attribution == SPANISH_ATTRIBUTION
    assert list(texts.items) == [item.key for item in instrument.items]
    for item in instrument.items:
        assert texts.items[item.key].strip()
        assert [value for value, _ in texts.options[item.key]] == list(item.values)
        assert all(label.strip() for _, label in texts.options[item.key])
    assert texts.items != load_texts(code).items


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_spanish_data_files_name_their_source(code: str) -> None:
    resource = resources.files("lasting_core.instruments") / "data" / f"{code}.es.json"
    source = json.loads(resource.read_text(encoding="utf-8"))["source"]

    assert "Pfizer" in source["publisher"]
    assert "Spanish for the USA" in source["title"]
    assert "https://www.phqscreeners.com/" in source["urls"]


def test_spanish_phq9_keeps_the_official_item9_wording_and_labels() -> None:
    texts = load_texts("phq9", "es")

    assert texts.items["q9"] == (
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera"
    )
    assert texts.options["q1"] == SPANISH_FREQUENCY
    assert texts.options["q9"] == SPANISH_FREQUENCY
    assert texts.options["difficulty"] == (
        (0, "No ha sido difícil"),
        (1, "Un poco difícil"),
        (2, "Muy difícil"),
        (3, "Extremadamente difícil"),
    )


def test_spanish_gad7_keeps_the_official_wording_and_labels() -> None:
    texts = load_texts("gad7", "es")

    assert texts.items["q1"] == "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta"
    assert texts.items["q7"] == "Ha tenido miedo de que algo terrible fuera a pasar"
    assert all(texts.options[key] == SPANISH_FREQUENCY for key in texts.items)


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_a_regional_spanish_tag_falls_back_to_spanish(code: str) -> None:
    texts = load_texts(code, "es-MX")

    assert texts.language == "es"
    assert texts.requested_language == "es-MX"


# Spanish for Lasting's own wording: the daily check and the pain NRS are not licensed
# questionnaires, so Lasting translates them itself (docs/instruments-spanish.md).


@pytest.mark.parametrize("code", ["daily", "pain_nrs"])
def test_lasting_translates_its_own_daily_check_and_pain_nrs(code: str) -> None:
    instrument = get_instrument(code)
    english = load_texts(code)
    texts = load_texts(code, "es")

    assert texts.language == "es"
    assert list(texts.items) == [item.key for item in instrument.items]
    for item in instrument.items:
        assert texts.items[item.key] != english.items[item.key]
        assert [value for value, _ in texts.options[item.key]] == list(item.values)
        # The end labels are words; the numbers between read the same in both languages.
        labels = dict(texts.options[item.key])
        assert labels[item.min_value] != dict(english.options[item.key])[item.min_value]
        assert labels[item.max_value] != dict(english.options[item.key])[item.max_value]
    assert texts.title != english.title
    assert texts.instructions != english.instructions


def test_the_spanish_daily_check_and_pain_nrs_read_as_lasting_wrote_them() -> None:
    daily = load_texts("daily", "es")
    pain = load_texts("pain_nrs", "es")

    assert daily.items["mood"] == "¿Cómo ha estado su estado de ánimo hoy?"
    assert daily.items["sleep"] == "¿Qué tan bien durmió anoche?"
    assert daily.options["pain"][0] == (0, "Sin dolor")
    assert pain.options["pain"][-1] == (10, "El peor dolor que se pueda imaginar")
    assert "24 horas" in pain.items["pain"]


@pytest.mark.parametrize("code", ["daily", "pain_nrs"])
def test_lasting_names_itself_as_the_source_of_its_own_spanish_wording(code: str) -> None:
    resource = resources.files("lasting_core.instruments") / "data" / f"{code}.es.json"
    source = json.loads(resource.read_text(encoding="utf-8"))["source"]

    assert source["publisher"] == "Lasting"
    assert "own translation" in source["notes"]
