"""Score the GAD-7 anxiety questionnaire.

Instrument: Generalized Anxiety Disorder 7-item scale (GAD-7), Spitzer RL, Kroenke K,
Williams JBW, Löwe B, "A brief measure for assessing generalized anxiety disorder: the
GAD-7", Arch Intern Med 2006;166(10):1092-1097. Free to use (Pfizer): developed by
Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an
educational grant from Pfizer Inc.

Scoring:
- Seven items q1..q7, each 0-3; total 0-21.
- Bands from Spitzer 2006 (cut points 5, 10, 15 for mild, moderate, severe):
  0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe.
- LOINC: panel 69737-5, total 70274-6, items 69725-0, 68509-9, 69733-4, 69734-2,
  69735-9, 69689-8, 69736-7.

Missing items (Lasting's rule): at most 1 of the seven items missing -> total = mean of
the answered items x 7, rounded half up (as for the PHQ-9), `prorated=True`; 2 or more
missing -> `valid=False`, no total, no band. Spitzer 2006 publishes no proration rule,
so Lasting is conservative: one gap is 14 % of a 7-item scale, about the share two gaps
are of the PHQ-9's nine items (22 %) and no more.
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
    score_from_tally,
    tally_scored_items,
)

MAX_MISSING = 1
"""Most of the seven items that may be missing for the total still to be prorated."""

_ITEM_LOINC = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")


class Gad7Instrument(Instrument):
    """Score GAD-7 answers: total, band and proration."""

    def score(self, answers: Mapping[str, int | None]) -> Score:
        """Score `answers` by the rules in this module's docstring."""
        checked = self.read_answers(answers)
        tally = tally_scored_items(self, checked, max_missing=MAX_MISSING)
        return score_from_tally(self, checked, tally)


GAD7 = Gad7Instrument(
    code=InstrumentCode.GAD7,
    name="GAD-7",
    version="GAD-7 (Spitzer 2006)",
    items=tuple(Item(f"q{n}", 0, 3, loinc=loinc) for n, loinc in enumerate(_ITEM_LOINC, start=1)),
    total_min=0,
    total_max=21,
    bands=(
        Band(BandCode.MINIMAL, "Minimal", 0, 4),
        Band(BandCode.MILD, "Mild", 5, 9),
        Band(BandCode.MODERATE, "Moderate", 10, 14),
        Band(BandCode.SEVERE, "Severe", 15, 21),
    ),
    loinc_panel="69737-5",
    loinc_total="70274-6",
)
