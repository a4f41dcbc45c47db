"""Score the PHQ-9 depression questionnaire.

Instrument: Patient Health Questionnaire-9 (PHQ-9), Kroenke K, Spitzer RL, Williams JBW,
"The PHQ-9: validity of a brief depression severity measure", J Gen Intern Med 2001;
16(9):606-613. Free to use (Pfizer): developed by Drs. Robert L. Spitzer, Janet B.W.
Williams, Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc.

Scoring:
- Nine items q1..q9, each 0-3; total 0-27. The tenth question ("difficulty") is 0-3,
  optional and never part of the total (Kroenke 2001 scores it separately).
- Bands from Kroenke 2001 (cut points 5, 10, 15, 20): 0-4 minimal, 5-9 mild,
  10-14 moderate, 15-19 moderately severe, 20-27 severe.
- LOINC: panel 44249-1, total 44261-6, items 44250-9 ... 44260-8 (item 9), difficulty
  69722-7.

Missing items (Lasting's rule, docs/clinical.md#instruments; Kroenke 2001 gives none):
- 1 or 2 of the nine items missing: total = mean of the answered items x 9, rounded
  half up to a whole number, `prorated=True`. Half up rather than Python's round-half-
  to-even because a tie should never move a patient into a *less* severe band for
  reasons of arithmetic alone, and because a clinician checking by hand rounds half up.
  The sum is computed with exact fractions, so 4.5 is really 4.5.
- 3 or more missing: `valid=False`, no total, no band.

Item 9 (thoughts of death or self-harm) is read whether or not the total is valid:
>= 1 sets ITEM9_POSITIVE, >= 2 also ITEM9_URGENT; unanswered sets ITEM9_MISSING, which
always needs follow-up, even when the total could be prorated.
"""

from __future__ import annotations

from collections.abc import Mapping

from lasting_core.instruments.base import (
    Band,
    BandCode,
    Instrument,
    InstrumentCode,
    Item,
    Score,
    ScoreFlag,
    score_from_tally,
    tally_scored_items,
)

MAX_MISSING = 2
"""Most of the nine items that may be missing for the total still to be prorated."""

ITEM9 = "q9"
ITEM9_POSITIVE_AT = 1
ITEM9_URGENT_AT = 2

_ITEM_LOINC = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)


class Phq9Instrument(Instrument):
    """Score PHQ-9 answers: total, band, proration and the item-9 safety flags."""

    def score(self, answers: Mapping[str, int | None]) -> Score:
        """Score `answers` by the rules in this module's docstring."""
        checked = self.read_answers(answers)
        tally = tally_scored_items(self, checked, max_missing=MAX_MISSING)
        return score_from_tally(
            self,
            checked,
            tally,
            flags=flag_item9(checked[ITEM9]),
            details={"difficulty": checked["difficulty"]},
        )


def flag_item9(value: int | None) -> frozenset[ScoreFlag]:
    """Return the safety flags for an item-9 answer (None when unanswered)."""
    if value is None:
        return frozenset({ScoreFlag.ITEM9_MISSING})
    flags: set[ScoreFlag] = set()
    if value >= ITEM9_POSITIVE_AT:
        flags.add(ScoreFlag.ITEM9_POSITIVE)
    if value >= ITEM9_URGENT_AT:
        flags.add(ScoreFlag.ITEM9_URGENT)
    return frozenset(flags)


PHQ9 = Phq9Instrument(
    code=InstrumentCode.PHQ9,
    name="PHQ-9",
    version="PHQ-9 (Kroenke 2001)",
    items=(
        *(Item(f"q{n}", 0, 3, loinc=loinc) for n, loinc in enumerate(_ITEM_LOINC, start=1)),
        Item("difficulty", 0, 3, scored=False, optional=True, loinc="69722-7"),
    ),
    total_min=0,
    total_max=27,
    bands=(
        Band(BandCode.MINIMAL, "Minimal", 0, 4),
        Band(BandCode.MILD, "Mild", 5, 9),
        Band(BandCode.MODERATE, "Moderate", 10, 14),
        Band(BandCode.MODERATELY_SEVERE, "Moderately severe", 15, 19),
        Band(BandCode.SEVERE, "Severe", 20, 27),
    ),
    loinc_panel="44249-1",
    loinc_total="44261-6",
)
