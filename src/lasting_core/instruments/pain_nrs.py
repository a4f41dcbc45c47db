"""Score the 0-10 pain numeric rating scale (NRS).

Instrument: an 11-point numeric rating scale of pain intensity, 0 = no pain to 10 = pain
as bad as you can imagine, as recommended for chronic-pain trials by IMMPACT (Dworkin RH
et al., "Core outcome measures for chronic pain clinical trials: IMMPACT
recommendations", Pain 2005;113(1-2):9-19). Generic scale, no licence needed; the
wording in data/pain_nrs.en.json is Lasting's.

Scoring:
- One item "pain", 0-10; the total is the answer.
- Bands (Lasting's default, a common clinical convention rather than
  one validated study; see tests/reference/instruments.md): 0 none, 1-3 mild,
  4-6 moderate, 7-10 severe.
- LOINC 72514-3 (pain severity 0-10 verbal numeric rating, reported) codes the total.
  The single item carries no separate item code, so an Observation is never sent twice.

Missing answer: `valid=False`, no total, no band, `missing=("pain",)`.
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
)

ITEM = "pain"


class PainNrsInstrument(Instrument):
    """Score a pain NRS answer: total and band."""

    def score(self, answers: Mapping[str, int | None]) -> Score:
        """Score `answers` by the rules in this module's docstring."""
        checked = self.read_answers(answers)
        value = checked[ITEM]
        return Score(
            instrument=self.code,
            version=self.version,
            answers=checked,
            total=value,
            band=None if value is None else self.get_band(value),
            valid=value is not None,
            missing=(ITEM,) if value is None else (),
        )


PAIN_NRS = PainNrsInstrument(
    code=InstrumentCode.PAIN_NRS,
    name="Pain NRS",
    version="Pain NRS 0-10 (IMMPACT 2005)",
    items=(Item(ITEM, 0, 10),),
    total_min=0,
    total_max=10,
    bands=(
        Band(BandCode.NONE, "No pain", 0, 0),
        Band(BandCode.MILD, "Mild", 1, 3),
        Band(BandCode.MODERATE, "Moderate", 4, 6),
        Band(BandCode.SEVERE, "Severe", 7, 10),
    ),
    loinc_panel=None,
    loinc_total="72514-3",
)
