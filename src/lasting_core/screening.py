"""Screen a patient's free-text note for suicide-risk wording.

The rules, and what a match does: docs/clinical.md#free-text-screening.

What it is: Lasting's own reviewed phrase list (version 1, English and Spanish, in
``screening_data/phrases-v1.json``) for four categories a clinician must read about at
once: suicidal ideation, plan (intent, timing, decision), means (method and access) and
farewell (goodbyes, affairs in order). The categories follow the concepts of the Columbia
Suicide Severity Rating Scale screener (Posner K et al., Am J Psychiatry
2011;168(12):1266-1277): wish to be dead and thoughts of killing oneself, method, intent,
plan, and preparatory acts. It is a safety net, not a diagnostic instrument: a match asks
a clinician to read the note, and a note without a match is not evidence of safety. How
the list was chosen: tests/reference/screening-phrases.md.

Matching, in steps:

1. Normalise: case-fold, strip accents, drop apostrophes ("don't" -> "dont"), turn every
   other run of punctuation and spacing into one space. Each word remembers whether
   punctuation or a line break came before it (a clause break).
2. Exclusions (idioms and denials such as "me muero de risa", "I don't want to die") are
   found first; one counts only if no clause break falls inside it, so "No, quiero morir"
   is not the denial "no quiero morir".
3. Every phrase is searched as whole words; a match that overlaps a counted exclusion is
   dropped, so an idiom hides only its own words, never risk wording elsewhere.
4. The result names the categories, the phrase ids and the list version, never the text.

Pattern language (lower-case ASCII, as after normalising): words separated by single
spaces; ``word*`` takes any ending (``pastilla*``); ``(a|b c)`` is one of the
alternatives; ``[a|b]`` is an optional word or words (never first or last); ``~`` is a
gap of up to three words (never first or last). No nesting.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources


class RiskCategory(StrEnum):
    """What a matched phrase is about, in the order a clinician reads them."""

    IDEATION = "ideation"  # wish to be dead, thoughts of killing oneself
    PLAN = "plan"  # intent, a decision, a date or time
    MEANS = "means"  # a method, or access to one (pills saved, a gun)
    FAREWELL = "farewell"  # goodbyes, affairs in order, giving things away


@dataclass(frozen=True)
class ScreeningSettings:
    """Which categories make a note's safety alert urgent rather than high priority."""

    # Choice: plan, means and farewell are urgent, ideation alone is high priority. The
    # C-SSRS screener rates a method, intent, a plan and preparatory acts (which include
    # writing a goodbye note and giving possessions away) above a wish to be dead; PHQ-9
    # item 9 takes the same shape (urgent when >= 2, high at 1; docs/clinical.md#safety-alerts).
    urgent_categories: frozenset[RiskCategory] = frozenset(
        {RiskCategory.PLAN, RiskCategory.MEANS, RiskCategory.FAREWELL}
    )


DEFAULT_SCREENING = ScreeningSettings()


@dataclass(frozen=True)
class NoteScreening:
    """What the phrase list found in a note: categories, phrase ids, list version."""

    list_version: str
    categories: tuple[RiskCategory, ...] = ()
    phrase_ids: tuple[str, ...] = ()
    needs_urgent_review: bool = False

    @property
    def matched(self) -> bool:
        return bool(self.categories)


@dataclass(frozen=True)
class Phrase:
    id: str
    category: RiskCategory
    language: str
    pattern: str
    examples: tuple[str, ...]
    regex: re.Pattern[str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Exclusion:
    """Words that look like risk wording but are an idiom or a denial."""

    id: str
    language: str
    pattern: str
    examples: tuple[str, ...]
    regex: re.Pattern[str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class PhraseList:
    version: str
    phrases: tuple[Phrase, ...]
    exclusions: tuple[Exclusion, ...]


PHRASE_FILE = "phrases-v1.json"
LANGUAGES = ("en", "es")
# Choice: the note field takes 2,000 characters; a longer text only arrives on a refused
# form, and screening its first 20,000 characters keeps a hostile post from tying up the
# server (about 70 ms) while any real note is screened whole.
MAX_SCREENED_CHARACTERS = 20_000


def screen_note(
    text: str,
    *,
    phrase_list: PhraseList | None = None,
    settings: ScreeningSettings = DEFAULT_SCREENING,
) -> NoteScreening:
    """Match `text` against the phrase list (both languages) by the steps in the docstring."""
    phrases = phrase_list or load_phrase_list()
    words = _words(text[:MAX_SCREENED_CHARACTERS])
    normal = " ".join(word for word, _ in words)
    if not normal:
        return NoteScreening(list_version=phrases.version)
    starts = _word_starts(words)
    blocked = [
        match.span()
        for exclusion in phrases.exclusions
        for match in exclusion.regex.finditer(normal)
        if not _crosses_a_break(match.span(), starts, words)
    ]
    found: dict[str, RiskCategory] = {}
    for phrase in phrases.phrases:
        for match in phrase.regex.finditer(normal):
            if not any(_overlap(match.span(), span) for span in blocked):
                found[phrase.id] = phrase.category
                break
    categories = tuple(category for category in RiskCategory if category in found.values())
    return NoteScreening(
        list_version=phrases.version,
        categories=categories,
        phrase_ids=tuple(sorted(found)),
        needs_urgent_review=any(c in settings.urgent_categories for c in categories),
    )


# Step 1: normalising -----------------------------------------------------------------------

_APOSTROPHES = re.compile("['\u2018\u2019\u02bc`\u00b4]")
_PIECES = re.compile(r"[a-z0-9]+|[ \t]+|[^a-z0-9 \t]+")


def normalise(text: str) -> str:
    """Return `text` case-folded, without accents or punctuation, words single-spaced."""
    return " ".join(word for word, _ in _words(text))


def _words(text: str) -> list[tuple[str, bool]]:
    """Return (word, clause break before it) pairs for the normalised text."""
    folded = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text).casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    words: list[tuple[str, bool]] = []
    broken = False
    for piece in _PIECES.findall(plain):
        if piece[0].isascii() and piece[0].isalnum():
            words.append((piece, broken))
            broken = False
        elif piece[0] not in " \t":
            broken = True
    return words


def _word_starts(words: list[tuple[str, bool]]) -> list[int]:
    starts, offset = [], 0
    for word, _ in words:
        starts.append(offset)
        offset += len(word) + 1
    return starts


def _crosses_a_break(
    span: tuple[int, int], starts: list[int], words: list[tuple[str, bool]]
) -> bool:
    """True when punctuation or a line break falls inside `span` (not before its start)."""
    start, end = span
    return any(words[index][1] for index, offset in enumerate(starts) if start < offset < end)


def _overlap(first: tuple[int, int], second: tuple[int, int]) -> bool:
    return first[0] < second[1] and second[0] < first[1]


# The pattern language ----------------------------------------------------------------------

_WORD = r"[a-z0-9]+\*?"
_ALTERNATIVE = rf"{_WORD}(?: {_WORD})*"
_TOKEN = re.compile(
    rf"(?P<word>{_WORD})|\((?P<group>{_ALTERNATIVE}(?:\|{_ALTERNATIVE})*)\)"
    rf"|\[(?P<optional>{_ALTERNATIVE}(?:\|{_ALTERNATIVE})*)\]|(?P<gap>~)"
)
_GAP = "(?: [a-z0-9]+){0,3}"


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a phrase pattern (syntax in the module docstring); raise ValueError if bad."""
    tokens = _split_tokens(pattern)
    if not tokens:
        raise ValueError("a pattern needs at least one word")
    parts: list[str] = []
    for index, token in enumerate(tokens):
        match = _TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"pattern {pattern!r}: cannot read {token!r}")
        edge = index in (0, len(tokens) - 1)
        if match["word"]:
            parts.append(("" if index == 0 else " ") + _word_regex(match["word"]))
        elif match["group"]:
            parts.append(("" if index == 0 else " ") + _alternatives_regex(match["group"]))
        elif edge:
            raise ValueError(f"pattern {pattern!r}: {token!r} cannot be first or last")
        elif match["optional"]:
            parts.append(f"(?: {_alternatives_regex(match['optional'])})?")
        else:
            parts.append(_GAP)
    return re.compile(r"(?<![a-z0-9])" + "".join(parts) + r"(?![a-z0-9])")


def _split_tokens(pattern: str) -> list[str]:
    """Split on the spaces outside brackets; refuse unbalanced or nested brackets."""
    tokens, current, depth = [], "", 0
    for char in pattern:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if depth not in (0, 1):
            raise ValueError(f"pattern {pattern!r}: brackets are unbalanced or nested")
        if char == " " and depth == 0:
            tokens.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise ValueError(f"pattern {pattern!r}: brackets are unbalanced")
    tokens.append(current)
    if any(token == "" for token in tokens) and pattern:
        raise ValueError(f"pattern {pattern!r}: use single spaces between words")
    return [token for token in tokens if token]


def _word_regex(word: str) -> str:
    return word[:-1] + "[a-z0-9]*" if word.endswith("*") else word


def _alternatives_regex(alternatives: str) -> str:
    options = [
        " ".join(_word_regex(word) for word in option.split(" "))
        for option in alternatives.split("|")
    ]
    return "(?:" + "|".join(options) + ")"


# Loading the list --------------------------------------------------------------------------


@cache
def load_phrase_list() -> PhraseList:
    """Return the packaged phrase list, checked: raise ValueError naming any bad entry."""
    resource = resources.files("lasting_core") / "screening_data" / PHRASE_FILE
    return parse_phrase_list(json.loads(resource.read_text(encoding="utf-8")))


def parse_phrase_list(raw: object) -> PhraseList:
    """Read a phrase list document; raise ValueError naming the first bad entry."""
    document = _mapping(raw, "phrase list")
    version = document.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError("phrase list: a version is required")
    phrases = []
    for entry in _list(document.get("phrases"), "phrases"):
        common = _common_fields(entry, "phrase")
        category = entry.get("category")
        if category not in set(RiskCategory):
            raise ValueError(f"phrase {common.id!r}: unknown category {category!r}")
        phrases.append(
            Phrase(
                id=common.id,
                category=RiskCategory(str(category)),
                language=common.language,
                pattern=common.pattern,
                examples=common.examples,
                regex=compile_pattern(common.pattern),
            )
        )
    exclusions = []
    for entry in _list(document.get("exclusions"), "exclusions"):
        common = _common_fields(entry, "exclusion")
        exclusions.append(
            Exclusion(
                id=common.id,
                language=common.language,
                pattern=common.pattern,
                examples=common.examples,
                regex=compile_pattern(common.pattern),
            )
        )
    return PhraseList(version=version, phrases=tuple(phrases), exclusions=tuple(exclusions))


@dataclass(frozen=True)
class _CommonFields:
    id: str
    language: str
    pattern: str
    examples: tuple[str, ...]


def _common_fields(entry: dict[str, object], kind: str) -> _CommonFields:
    entry_id, language, pattern = entry.get("id"), entry.get("language"), entry.get("pattern")
    examples = entry.get("examples")
    name = f"{kind} {entry_id!r}"
    if not isinstance(entry_id, str) or not entry_id:
        raise ValueError(f"{name}: an id is required")
    if not isinstance(language, str) or language not in LANGUAGES:
        raise ValueError(f"{name}: language must be one of {LANGUAGES}")
    if not isinstance(pattern, str):
        raise ValueError(f"{name}: the pattern must be text")
    if not isinstance(examples, list) or not all(isinstance(text, str) for text in examples):
        raise ValueError(f"{name}: examples must be a list of texts")
    return _CommonFields(entry_id, language, pattern, tuple(str(text) for text in examples))


def _list(value: object, where: str) -> list[dict[str, object]]:
    if not isinstance(value, list):
        raise ValueError(f"phrase list: {where} must be a list")
    return [_mapping(item, where) for item in value]


def _mapping(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    return value
