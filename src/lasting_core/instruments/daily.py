"""Check Lasting's daily check-in items.

Instrument: Lasting's own daily check (version "Lasting daily check v1"), not a
validated questionnaire. Four single items, each 0-10: mood (0 worst, 10 best), sleep
quality last night (0 very poor, 10 excellent), stress (0 none, 10 extreme) and the
optional pain today (0 no pain, 10 worst). Mood and sleep: higher is better; stress and
pain: higher is worse (`Item.higher_is_worse`).

There is no total and no band: each item is tracked on its own (the engine's daily-item
watch, docs/engine.md). A score is valid when mood, sleep and stress are answered; a
missing one is an input error (`ScoringError`), not an invalid score, because the form
asks for all three.
`details` holds the four values (pain None when skipped). No LOINC codes.
"""

from __future__ import annotations

from collections.abc import Mapping

from lasting_core.instruments.base import (
    Instrument,
    InstrumentCode,
    Item,
    Score,
    ScoringError,
)


class DailyInstrument(Instrument):
    """Check daily answers; there is no total to compute."""

    def score(self, answers: Mapping[str, int | None]) -> Score:
        """Check `answers` and return them as a valid score without total or band."""
        checked = self.read_answers(answers)
        for item in self.items:
            if not item.optional and checked[item.key] is None:
                raise ScoringError(f"{item.key}: an answer is required", item=item.key)
        return Score(
            instrument=self.code,
            version=self.version,
            answers=checked,
            total=None,
            band=None,
            valid=True,
            details=checked,
        )


DAILY = DailyInstrument(
    code=InstrumentCode.DAILY,
    name="Daily check",
    version="Lasting daily check v1",
    items=(
        Item("mood", 0, 10, scored=False, higher_is_worse=False),
        Item("sleep", 0, 10, scored=False, higher_is_worse=False),
        Item("stress", 0, 10, scored=False, higher_is_worse=True),
        Item("pain", 0, 10, scored=False, optional=True, higher_is_worse=True),
    ),
    total_min=None,
    total_max=None,
    bands=(),
    loinc_panel=None,
    loinc_total=None,
)
