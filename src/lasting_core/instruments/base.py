"""Define the shapes every instrument shares: codes, items, bands, scores and answer checks.

An instrument module builds one `Instrument` from these parts and implements `score()`.
Answers arrive as a mapping of item key to a whole number or None (not answered); the
checks here reject anything else with a `ScoringError` that names the item, so a form,
an API call or a CSV import can tell the person exactly what to fix.
"""

from __future__ import annotations

import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import SupportsIndex, TypeVar

_V = TypeVar("_V")


class InstrumentCode(StrEnum):
    """Name each instrument Lasting scores; the value is stored in the database and CSVs."""

    PHQ9 = "phq9"
    GAD7 = "gad7"
    PCL5 = "pcl5"
    PAIN_NRS = "pain_nrs"
    DAILY = "daily"


class BandCode(StrEnum):
    """Name each severity band; labels for people live on `Band.label`."""

    NONE = "none"
    MINIMAL = "minimal"
    MILD = "mild"
    MODERATE = "moderate"
    MODERATELY_SEVERE = "moderately_severe"
    SEVERE = "severe"
    BELOW_CUTOFF = "below_cutoff"
    PROVISIONAL_PTSD = "provisional_ptsd"


class ScoreFlag(StrEnum):
    """Mark facts about a score that need action or attention beyond its band."""

    ITEM9_POSITIVE = "item9_positive"
    """PHQ-9 item 9 (thoughts of death or self-harm) answered 1 or more."""
    ITEM9_URGENT = "item9_urgent"
    """PHQ-9 item 9 answered 2 or more: the safety alert is urgent."""
    ITEM9_MISSING = "item9_missing"
    """PHQ-9 item 9 not answered: someone must follow up, whatever the total."""
    PROVISIONAL_PTSD = "provisional_ptsd"
    """PCL-5 total at or above the provisional-PTSD cut-off."""
    PTSD_CLUSTER_RULE_MET = "ptsd_cluster_rule_met"
    """PCL-5 answers meet the DSM-5 symptom-cluster rule."""


class ScoringError(ValueError):
    """Reject answers that cannot be scored; the message names the item and the problem."""

    def __init__(self, message: str, *, item: str | None = None) -> None:
        super().__init__(message)
        self.item = item


@dataclass(frozen=True)
class Item:
    """Describe one question: its key, answer range, and how it counts.

    `scored` items add to the total; `optional` items may be left out without making the
    score invalid; `higher_is_worse` tells charts and engines which way is bad.
    """

    key: str
    min_value: int
    max_value: int
    _: KW_ONLY
    scored: bool = True
    optional: bool = False
    loinc: str | None = None
    higher_is_worse: bool = True

    @property
    def values(self) -> range:
        """Return every allowed answer, lowest first."""
        return range(self.min_value, self.max_value + 1)


@dataclass(frozen=True)
class Band:
    """Name a range of totals, both ends inclusive."""

    code: BandCode
    label: str
    low: int
    high: int

    def contains(self, total: float) -> bool:
        """Return whether `total` falls inside this band."""
        return self.low <= total <= self.high


def _frozen_copy(mapping: Mapping[str, _V]) -> Mapping[str, _V]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Score:
    """Hold the outcome of scoring one set of answers.

    `answers` is a read-only copy with every item of the instrument, in item order, and
    None where no answer was given. `total` is None when the answers cannot be scored
    (`valid` is then False) and for instruments without a total. `missing` lists the
    unanswered items that count towards validity. `details` holds instrument-specific
    facts with flat keys and plain values, so `dict(score.details)` is JSON-ready.
    """

    instrument: InstrumentCode
    version: str
    answers: Mapping[str, int | None]
    total: float | None
    band: Band | None
    valid: bool
    _: KW_ONLY
    prorated: bool = False
    missing: tuple[str, ...] = ()
    flags: frozenset[ScoreFlag] = frozenset()
    details: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", _frozen_copy(self.answers))
        object.__setattr__(self, "details", _frozen_copy(self.details))


@dataclass(frozen=True)
class Instrument(ABC):
    """Describe a questionnaire and score answers to it by its published rules."""

    code: InstrumentCode
    name: str
    version: str
    items: tuple[Item, ...]
    total_min: int | None
    total_max: int | None
    bands: tuple[Band, ...]
    loinc_panel: str | None
    loinc_total: str | None

    def __post_init__(self) -> None:
        keys = [item.key for item in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.name}: item keys must be unique, got {keys}")
        if self.bands:
            if self.total_min is None or self.total_max is None:
                raise ValueError(f"{self.name}: bands need total_min and total_max")
            expected_low = self.total_min
            for band in self.bands:
                if band.low != expected_low or band.high < band.low:
                    raise ValueError(f"{self.name}: bands must tile the totals without gaps")
                expected_low = band.high + 1
            if expected_low != self.total_max + 1:
                raise ValueError(f"{self.name}: bands must end at total_max {self.total_max}")

    @abstractmethod
    def score(self, answers: Mapping[str, int | None]) -> Score:
        """Score `answers` (item key -> whole number, or None when not answered)."""

    @property
    def scored_items(self) -> tuple[Item, ...]:
        """Return the items that add to the total."""
        return tuple(item for item in self.items if item.scored)

    def get_item(self, key: str) -> Item:
        """Return the item with `key`; raise KeyError when the instrument has none."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(f"{self.name} has no item {key!r}")

    def get_band(self, total: float) -> Band:
        """Return the band holding `total`; raise ValueError when it is out of range."""
        for band in self.bands:
            if band.contains(total):
                return band
        raise ValueError(f"{self.name}: no band holds total {total}")

    def rank_band(self, band: Band) -> int:
        """Return the band's position from least severe (0) upwards."""
        return self.bands.index(band)

    def read_answers(self, answers: Mapping[str, int | None]) -> dict[str, int | None]:
        """Check `answers` and return them for every item, in item order, None if unanswered.

        1. Reject anything that is not a mapping.
        2. Reject unknown item keys.
        3. Reject values that are not whole numbers (bool, float and str included) or that
           fall outside the item's range.
        """
        if not isinstance(answers, Mapping):
            raise ScoringError("answers must be a mapping of item key to answer")
        known = {item.key for item in self.items}
        for key in answers:
            if key not in known:
                expected = ", ".join(item.key for item in self.items)
                raise ScoringError(
                    f"unknown item {key!r} for {self.name} (items: {expected})",
                    item=str(key),
                )
        return {item.key: _read_value(item, answers.get(item.key)) for item in self.items}


def _read_value(item: Item, value: object) -> int | None:
    if value is None:
        return None
    # A plain int first: the Protocol check below costs ~30 µs, felt by an import.
    number = value if type(value) is int else _whole_number(item, value)
    if not item.min_value <= number <= item.max_value:
        raise ScoringError(
            f"{item.key}: {number} is outside {item.min_value}\N{EN DASH}{item.max_value}",
            item=item.key,
        )
    return number


def _whole_number(item: Item, value: object) -> int:
    # bool is an int subclass, but True is not an answer; SupportsIndex admits numpy ints.
    try:
        if isinstance(value, bool) or not isinstance(value, SupportsIndex):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise ScoringError(
            f"{item.key}: answer must be a whole number, got {value!r}", item=item.key
        ) from None
    return number


@dataclass(frozen=True)
class Tally:
    """Sum the scored items of one response, prorated when few are missing."""

    total: int | None
    prorated: bool
    missing: tuple[str, ...]
    answered_sum: int
    answered_count: int


def tally_scored_items(
    instrument: Instrument, answers: Mapping[str, int | None], *, max_missing: int
) -> Tally:
    """Sum the scored items of checked `answers`, prorating up to `max_missing` gaps.

    1. Collect the scored items left unanswered.
    2. None missing: the total is the plain sum.
    3. At most `max_missing` missing: the total is the mean of the answered items times
       the number of scored items, rounded half up (see `prorate_half_up`).
    4. More missing: no total.
    """
    scored = instrument.scored_items
    missing = tuple(item.key for item in scored if answers.get(item.key) is None)
    answered = [value for item in scored if (value := answers.get(item.key)) is not None]
    answered_sum = sum(answered)
    if not missing:
        total: int | None = answered_sum
    elif len(missing) <= max_missing and answered:
        total = prorate_half_up(answered, len(scored))
    else:
        total = None
    return Tally(
        total=total,
        prorated=bool(missing) and total is not None,
        missing=missing,
        answered_sum=answered_sum,
        answered_count=len(answered),
    )


def prorate_half_up(answered: Sequence[int], n_items: int) -> int:
    """Return the mean of `answered` times `n_items`, rounded half up, computed exactly.

    Exact fractions avoid float error at the .5 boundary, and half up (4.5 -> 5) differs
    from Python's round(), which rounds half to even (round(4.5) == 4).
    """
    if not answered:
        raise ValueError("cannot prorate with no answered items")
    exact = Fraction(sum(answered) * n_items, len(answered))
    return math.floor(exact + Fraction(1, 2))


def score_from_tally(
    instrument: Instrument,
    checked: Mapping[str, int | None],
    tally: Tally,
    *,
    flags: frozenset[ScoreFlag] = frozenset(),
    details: Mapping[str, object] | None = None,
) -> Score:
    """Build the Score of an instrument whose total is a (possibly prorated) item sum."""
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        answers=checked,
        total=tally.total,
        band=None if tally.total is None else instrument.get_band(tally.total),
        valid=tally.total is not None,
        prorated=tally.prorated,
        missing=tally.missing,
        flags=flags,
        details={
            **(details or {}),
            "answered_count": tally.answered_count,
            "answered_sum": tally.answered_sum,
        },
    )
