"""Load the words people read: titles, instructions, questions, answer labels, attribution.

Texts live in data files, one per instrument and language (`data/<code>.<language>.json`),
so a translation is a new file, not a code change. A missing language falls back to the
base language (`es-MX` -> `es`), then to English; `InstrumentTexts.language` says which
file was used and `requested_language` what was asked for.

File shape::

    {"code": "phq9", "language": "en", "title": "...", "instructions": "...",
     "attribution": "...",
     "option_sets": {"frequency": [[0, "Not at all"], ...]},
     "items": {"q1": {"text": "...", "options": "frequency"}, ...}}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from lasting_core.instruments.base import InstrumentCode
from lasting_core.instruments.registry import get_instrument

DEFAULT_LANGUAGE = "en"

_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")

Options = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class InstrumentTexts:
    """Hold every text shown for one instrument in one language."""

    code: InstrumentCode
    language: str
    requested_language: str
    title: str
    instructions: str
    items: Mapping[str, str]
    options: Mapping[str, Options]
    attribution: str


def load_texts(code: InstrumentCode | str, language: str = DEFAULT_LANGUAGE) -> InstrumentTexts:
    """Return the texts for `code` in `language`, falling back towards English.

    Raise KeyError for an unknown instrument and ValueError for a malformed language tag
    (so a tag can never name a file outside the data folder).
    """
    instrument_code = get_instrument(code).code
    if not _LANGUAGE_TAG.fullmatch(language):
        raise ValueError(f"language must be a tag like 'en' or 'es-MX', got {language!r}")
    return _load_texts(instrument_code, language)


@cache
def _load_texts(code: InstrumentCode, language: str) -> InstrumentTexts:
    for candidate in _fallbacks(language):
        resource = resources.files("lasting_core.instruments") / "data" / f"{code}.{candidate}.json"
        if resource.is_file():
            raw = json.loads(resource.read_text(encoding="utf-8"))
            return _parse(code, candidate, language, raw)
    raise FileNotFoundError(f"no texts for {code} in {language!r} or {DEFAULT_LANGUAGE!r}")


def _fallbacks(language: str) -> list[str]:
    candidates = [language]
    base = language.split("-", 1)[0]
    if base != language:
        candidates.append(base)
    if DEFAULT_LANGUAGE not in candidates:
        candidates.append(DEFAULT_LANGUAGE)
    return candidates


def _parse(code: InstrumentCode, language: str, requested: str, raw: object) -> InstrumentTexts:
    where = f"texts {code}.{language}"
    document = _as_mapping(raw, where)
    if document.get("code") != code or document.get("language") != language:
        raise ValueError(f"{where}: code and language inside the file must match its name")
    option_sets = {
        name: _parse_options(value, f"{where} option set {name!r}")
        for name, value in _as_mapping(document.get("option_sets"), f"{where} option_sets").items()
    }
    items: dict[str, str] = {}
    options: dict[str, Options] = {}
    for key, entry in _as_mapping(document.get("items"), f"{where} items").items():
        fields = _as_mapping(entry, f"{where} item {key!r}")
        items[key] = _as_text(fields.get("text"), f"{where} item {key!r} text")
        set_name = _as_text(fields.get("options"), f"{where} item {key!r} options")
        if set_name not in option_sets:
            raise ValueError(f"{where}: item {key!r} names unknown option set {set_name!r}")
        options[key] = option_sets[set_name]
    return InstrumentTexts(
        code=code,
        language=language,
        requested_language=requested,
        title=_as_text(document.get("title"), f"{where} title"),
        instructions=_as_text(document.get("instructions"), f"{where} instructions"),
        items=MappingProxyType(items),
        options=MappingProxyType(options),
        attribution=_as_text(document.get("attribution"), f"{where} attribution"),
    )


def _parse_options(value: object, where: str) -> Options:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list of [value, label] pairs")
    pairs: list[tuple[int, str]] = []
    for pair in value:
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or isinstance(pair[0], bool)
            or not isinstance(pair[0], int)
            or not isinstance(pair[1], str)
        ):
            raise ValueError(f"{where}: expected [value, label], got {pair!r}")
        pairs.append((pair[0], pair[1]))
    return tuple(pairs)


def _as_mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected an object")
    return value


def _as_text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: expected non-empty text")
    return value
