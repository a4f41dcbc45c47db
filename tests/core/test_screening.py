"""Free-text screening: Lasting's reviewed phrase list finds risk wording, not idioms.

The list and how it was chosen: tests/reference/screening-phrases.md. A match is a
reason for a clinician to read the note, never a diagnosis; a miss is not evidence of
safety (the other rules still run).
"""

from __future__ import annotations

import dataclasses
import json
from importlib import resources

import pytest

from lasting_core.screening import (
    DEFAULT_SCREENING,
    NoteScreening,
    RiskCategory,
    ScreeningSettings,
    compile_pattern,
    load_phrase_list,
    normalise,
    screen_note,
)

IDEATION = RiskCategory.IDEATION
PLAN = RiskCategory.PLAN
MEANS = RiskCategory.MEANS
FAREWELL = RiskCategory.FAREWELL

# (note, the categories it must raise). Written as patients write: no accents, capitals,
# punctuation in odd places, English and Spanish mixed.
ENGLISH_MATCHES = [
    ("I want to die.", {IDEATION}),
    ("honestly i just wanna die", {IDEATION}),
    ("I wish I was dead", {IDEATION}),
    ("Sometimes I wish I were dead.", {IDEATION}),
    ("Everyone would be better off without me", {IDEATION}),
    ("I'd be better off dead", {IDEATION}),
    ("I keep thinking about killing myself", {IDEATION}),
    ("I want to kill myself", {IDEATION}),
    ("I have been having suicidal thoughts again", {IDEATION}),
    ("Thinking about suicide a lot this week", {IDEATION}),
    ("I don't want to live anymore", {IDEATION}),
    ("I do not want to be alive", {IDEATION}),
    ("I want to go to sleep and never wake up", {IDEATION}),
    ("There is no reason to live", {IDEATION}),
    ("Life is not worth living", {IDEATION}),
    ("I want to end my life", {IDEATION}),
    ("I just want to end it all", {IDEATION}),
    ("I have a plan to kill myself", {IDEATION, PLAN}),
    ("I'm going to kill myself this weekend", {IDEATION, PLAN}),
    ("I have decided to end my life", {IDEATION, PLAN}),
    ("I have picked a date to end my life", {IDEATION, PLAN}),
    ("Tonight I will end my life", {IDEATION, PLAN}),
    ("I've been stockpiling my pills", {MEANS}),
    ("I have been saving up my sleeping pills", {MEANS}),
    ("I can't take it anymore, I want to die. I have the pills saved up.", {IDEATION, MEANS}),
    ("I have enough pills to do it", {MEANS}),
    ("I am going to take all my pills", {MEANS}),
    ("I bought a gun", {MEANS}),
    ("I thought about hanging myself", {MEANS}),
    ("I could jump off the bridge", {MEANS}),
    ("Thinking of an overdose", {MEANS}),
    ("I want to cut my wrists", {MEANS}),
    ("I could shoot myself", {MEANS}),
    ("This is my goodbye.", {FAREWELL}),
    ("I wrote a goodbye letter to my kids", {FAREWELL}),
    ("I've been giving away my things", {FAREWELL}),
    ("You won't hear from me again", {FAREWELL}),
    ("Please take care of my dog when I'm gone", {FAREWELL}),
    ("I'm putting my affairs in order", {FAREWELL}),
    ("I won't be around much longer", {FAREWELL}),
]

SPANISH_MATCHES = [
    ("No aguanto más, quiero morir. Tengo las pastillas guardadas.", {IDEATION, MEANS}),
    ("NO AGUANTO MAS QUIERO MORIR TENGO LAS PASTILLAS GUARDADAS", {IDEATION, MEANS}),
    ("me quiero morir", {IDEATION}),
    ("Quisiera morirme y ya", {IDEATION}),
    ("Ojalá no despertara mañana", {IDEATION}),
    ("Estaría mejor muerta", {IDEATION}),
    ("Todos estarían mejor sin mí", {IDEATION}),
    ("Pienso en suicidarme", {IDEATION}),
    ("He tenido pensamientos suicidas", {IDEATION}),
    ("Ya no quiero vivir", {IDEATION}),
    ("No vale la pena vivir", {IDEATION}),
    ("Quiero quitarme la vida", {IDEATION}),
    ("Quiero acabar con todo", {IDEATION}),
    ("No tengo razones para vivir", {IDEATION}),
    ("Tengo un plan para matarme", {IDEATION, PLAN}),
    ("Ya decidí cómo quitarme la vida", {IDEATION, PLAN}),
    ("Esta noche me quito la vida", {IDEATION, PLAN}),
    ("Me voy a suicidar el sábado", {IDEATION, PLAN}),
    ("He estado juntando pastillas", {MEANS}),
    ("Tengo las pastillas listas", {MEANS}),
    ("Me voy a tomar todas las pastillas", {MEANS}),
    ("Pensé en tomarme todas mis pastillas", {MEANS}),
    ("Pensé en una sobredosis", {MEANS}),
    ("Quiero cortarme las venas", {MEANS}),
    ("Pienso en ahorcarme", {MEANS}),
    ("Me quiero tirar del puente", {MEANS}),
    ("Compré una pistola", {MEANS}),
    ("Pensé en pegarme un tiro", {MEANS}),
    ("Esta es mi despedida", {FAREWELL}),
    ("Escribí una carta de despedida", {FAREWELL}),
    ("Cuiden a mis hijos cuando ya no esté", {FAREWELL}),
    ("Ya no van a saber de mí", {FAREWELL}),
    ("Estoy regalando mis cosas", {FAREWELL}),
    ("Me despido de todos", {FAREWELL}),
    ("Estoy poniendo mis asuntos en orden", {FAREWELL}),
]

# Ordinary sentences that share words with the list and must raise nothing.
NEAR_MISSES = [
    "I could kill for a coffee",
    "me muero de risa",
    "dying to see the results",
    "the pills helped my sleep",
    "estoy muerta de cansancio",
    "This job is killing me",
    "I'm dead tired today",
    "My phone died during the call",
    "I nearly died laughing at the movie",
    "That cake was to die for",
    "I wanted to die of embarrassment",
    "I have a plan for the weekend",
    "I was saving up for a new bike",
    "I take my pills every morning",
    "I said goodbye to my sister at the airport",
    "I gave away my old clothes to charity",
    "When I'm gone on vacation my neighbour feeds the dog",
    "I'm not suicidal, just very tired",
    "I don't want to die, I want to get better",
    "Me muero de hambre",
    "Me muero de ganas de verte",
    "Me quería morir de vergüenza",
    "Tengo que tomar las pastillas a las ocho",
    "Guardo las medicinas en el baño",
    "Las pastillas me ayudan a dormir",
    "Tengo un plan para el fin de semana",
    "Este dolor me está matando",
    "Me voy a matar estudiando para el examen",
    "Me despedí de mi hermana en el aeropuerto",
    "No quiero morir, quiero estar bien",
    "No tengo pensamientos suicidas",
    "Me siento mucho mejor, gracias",
    "Slept badly, stressed about work",
    "",
]


def categories_of(note: str) -> set[RiskCategory]:
    return set(screen_note(note).categories)


@pytest.mark.parametrize(("note", "expected"), ENGLISH_MATCHES)
def test_english_risk_wording_raises_its_categories(note, expected):
    assert categories_of(note) == expected


@pytest.mark.parametrize(("note", "expected"), SPANISH_MATCHES)
def test_spanish_risk_wording_raises_its_categories(note, expected):
    assert categories_of(note) == expected


@pytest.mark.parametrize("note", NEAR_MISSES)
def test_near_misses_raise_nothing(note):
    result = screen_note(note)
    assert not result.matched
    assert result.categories == ()
    assert result.phrase_ids == ()


def test_the_issues_note_raises_ideation_and_means_with_their_phrase_ids():
    result = screen_note("No aguanto más, quiero morir. Tengo las pastillas guardadas.")
    assert result.matched
    assert result.categories == (IDEATION, MEANS)
    assert result.phrase_ids == ("es-ideation-quiero-morir", "es-means-pastillas-guardadas")
    assert result.list_version == load_phrase_list().version == "1"


def test_the_result_names_phrases_and_version_never_the_text():
    note = "I want to die. My sister's number is 555-0100."
    result = screen_note(note)
    assert isinstance(result, NoteScreening)
    values = [getattr(result, field.name) for field in dataclasses.fields(result)]
    flattened = " ".join(str(value) for value in values)
    assert "want to die" not in flattened
    assert "555" not in flattened
    assert "sister" not in flattened
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.list_version = "2"  # type: ignore[misc]


def test_a_denial_next_to_a_real_statement_still_matches():
    # "No, quiero morir" is not "no quiero morir": the comma ends the denial.
    assert categories_of("No, quiero morir") == {IDEATION}
    assert categories_of("I don't want to die but I don't want to live either") == {IDEATION}
    assert categories_of("no tengo pensamientos suicidas, pero quiero morir") == {IDEATION}


def test_an_idiom_does_not_hide_risk_wording_elsewhere_in_the_note():
    assert categories_of("Me muero de risa con mi hija, pero a veces quiero morir") == {IDEATION}
    assert categories_of("dying to see the results. I have been saving my pills") == {MEANS}


def test_matching_ignores_case_accents_punctuation_and_spacing():
    assert categories_of("QUIERO   MORIR!!!") == {IDEATION}
    assert categories_of("Quiero...morir") == {IDEATION}
    assert categories_of("Ojala   no   despertara") == {IDEATION}
    assert categories_of("I WANT\nTO\tDIE") == {IDEATION}
    assert categories_of("I’m going to kill myself") == {IDEATION, PLAN}


def test_a_phrase_matches_whole_words_only():
    assert not screen_note("I want to diet this month").matched
    assert not screen_note("I want to dye my hair").matched
    assert not screen_note("Tengo un plan para matarlos de risa en la fiesta").matched
    assert screen_note("Tengo un plan para matarme").matched


def test_normalise_folds_case_strips_accents_and_punctuation():
    assert normalise("¡No AGUANTO más, quiero morir!") == "no aguanto mas quiero morir"
    assert normalise("I’m  fine...\nreally") == "im fine really"
    assert normalise("Mañana, ¿sí?") == "manana si"
    assert normalise("   ") == ""


def test_screening_settings_say_which_categories_are_urgent():
    assert DEFAULT_SCREENING.urgent_categories == frozenset({PLAN, MEANS, FAREWELL})
    assert not screen_note("I want to die").needs_urgent_review
    assert screen_note("I bought a gun").needs_urgent_review
    assert screen_note("Esta es mi despedida").needs_urgent_review
    relaxed = ScreeningSettings(urgent_categories=frozenset({PLAN}))
    assert not screen_note("I bought a gun", settings=relaxed).needs_urgent_review
    assert not screen_note("").needs_urgent_review


def test_a_long_note_is_screened_quickly_and_completely():
    filler = "slept ok and walked the dog, work was busy. " * 45
    result = screen_note(filler + "quiero morir")
    assert len(filler) > 1900
    assert result.categories == (IDEATION,)


# The phrase list itself -----------------------------------------------------------------


def test_the_phrase_list_covers_every_category_in_both_languages():
    phrase_list = load_phrase_list()
    covered = {(phrase.category, phrase.language) for phrase in phrase_list.phrases}
    for category in RiskCategory:
        for language in ("en", "es"):
            assert (category, language) in covered


def test_every_phrase_id_is_unique_and_names_its_language_and_category():
    phrase_list = load_phrase_list()
    ids = [phrase.id for phrase in phrase_list.phrases] + [
        exclusion.id for exclusion in phrase_list.exclusions
    ]
    assert len(ids) == len(set(ids))
    for phrase in phrase_list.phrases:
        assert phrase.id.startswith(f"{phrase.language}-{phrase.category.value}-")


def test_every_phrase_matches_its_own_examples():
    phrase_list = load_phrase_list()
    for phrase in phrase_list.phrases:
        assert phrase.examples, phrase.id
        for example in phrase.examples:
            assert phrase.id in screen_note(example).phrase_ids, (phrase.id, example)


def test_every_exclusion_blocks_its_own_examples():
    phrase_list = load_phrase_list()
    assert phrase_list.exclusions
    for exclusion in phrase_list.exclusions:
        assert exclusion.examples, exclusion.id
        for example in exclusion.examples:
            assert not screen_note(example).matched, (exclusion.id, example)


def test_the_data_file_names_its_version_review_and_purpose():
    raw = json.loads(
        (resources.files("lasting_core") / "screening_data" / "phrases-v1.json").read_text(
            encoding="utf-8"
        )
    )
    assert raw["version"] == "1"
    assert "safety net" in raw["purpose"]
    assert raw["reviewed"]


# The pattern language ---------------------------------------------------------------------


def test_a_star_matches_word_endings_and_brackets_make_a_word_optional():
    pattern = compile_pattern("(quiero|quisiera) morir*")
    assert pattern.search("quisiera morirme")
    assert pattern.search("quiero morir")
    assert not pattern.search("quiero vivir")
    optional = compile_pattern("tengo [las|mis] pastillas listas")
    assert optional.search("tengo las pastillas listas")
    assert optional.search("tengo pastillas listas")
    assert not optional.search("tengo las otras pastillas listas")


def test_a_gap_allows_up_to_three_words():
    pattern = compile_pattern("saving ~ pills")
    assert pattern.search("saving pills")
    assert pattern.search("saving up my sleeping pills")
    assert not pattern.search("saving money for a holiday and then the pills")


@pytest.mark.parametrize(
    "bad",
    ["", "[optional] first", "last [optional]", "~ gap first", "nested (a|(b|c))", "Upper", "á"],
)
def test_a_malformed_pattern_is_refused(bad):
    with pytest.raises(ValueError):
        compile_pattern(bad)
