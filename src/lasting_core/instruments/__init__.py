"""Score the symptom questionnaires Lasting collects, by their published rules.

One module per instrument (phq9, gad7, pcl5, pain_nrs, daily), each citing its source and
cut-offs; `registry` finds them by code; `texts` loads what patients read. Pure Python:
plain values in, frozen dataclasses out.
"""

from lasting_core.instruments.base import (
    Band,
    BandCode,
    Instrument,
    InstrumentCode,
    Item,
    Score,
    ScoreFlag,
    ScoringError,
)
from lasting_core.instruments.registry import get_instrument, list_instruments, score
from lasting_core.instruments.texts import InstrumentTexts, load_texts

__all__ = [
    "Band",
    "BandCode",
    "Instrument",
    "InstrumentCode",
    "InstrumentTexts",
    "Item",
    "Score",
    "ScoreFlag",
    "ScoringError",
    "get_instrument",
    "list_instruments",
    "load_texts",
    "score",
]
