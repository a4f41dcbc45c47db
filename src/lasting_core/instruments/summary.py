"""Score a questionnaire known only by its total, as another system exported it.

A clinic moving to Lasting often holds only each PHQ-9's total and item 9, not every
answer. Such a *summary score* keeps the published band of the total (the same bands as
a fully answered form) and the item-9 safety flags when item 9 is known; every other
item stays unanswered. Choice: a summary PHQ-9 without item 9 carries no item-9 flag,
because the file says nothing about item 9 (the import reports how many such rows it
stored); a form answered item by item still flags a skipped item 9 as always.
"""

from __future__ import annotations

from lasting_core.instruments.base import InstrumentCode, Score, ScoreFlag, ScoringError
from lasting_core.instruments.pcl5 import PCL5
from lasting_core.instruments.phq9 import ITEM9, flag_item9
from lasting_core.instruments.registry import get_instrument

SUMMARY_INSTRUMENTS = (InstrumentCode.PHQ9, InstrumentCode.GAD7, InstrumentCode.PCL5)


def score_total(code: InstrumentCode | str, total: float, *, item9: int | None = None) -> Score:
    """Return the score of a form known by its whole-number total (and PHQ-9 item 9).

    1. Only PHQ-9, GAD-7 and PCL-5 have totals with bands; anything else, a total that is
       not a whole number inside the instrument's range, or an item 9 outside 0-3 or above
       the total raises `ScoringError`.
    2. The band is the instrument's own band of the total; PHQ-9 item 9, when given, is
       flagged as on a full form; PCL-5 at or above its default cut-off is flagged.
    """
    instrument = get_instrument(code)
    if instrument.code not in SUMMARY_INSTRUMENTS:
        raise ScoringError(f"{instrument.name} has no total to import on its own")
    low, high = instrument.total_min, instrument.total_max
    if low is None or high is None or total != int(total) or not low <= total <= high:
        raise ScoringError(f"{instrument.name} total must be a whole number from {low} to {high}")
    answers: dict[str, int | None] = {item.key: None for item in instrument.items}
    flags: frozenset[ScoreFlag] = frozenset()
    if item9 is not None:
        if instrument.code != InstrumentCode.PHQ9:
            raise ScoringError("item 9 belongs to the PHQ-9 only", item=ITEM9)
        if item9 not in range(4) or item9 > total:
            raise ScoringError("item 9 must be 0-3 and not above the total", item=ITEM9)
        answers[ITEM9] = item9
        flags = flag_item9(item9)
    if instrument.code == InstrumentCode.PCL5 and total >= PCL5.cutoff:
        flags = frozenset({ScoreFlag.PROVISIONAL_PTSD})
    return Score(
        instrument=instrument.code,
        version=instrument.version,
        answers=answers,
        total=float(int(total)),
        band=instrument.get_band(total),
        valid=True,
        flags=flags,
        details={"summary": True},
    )
