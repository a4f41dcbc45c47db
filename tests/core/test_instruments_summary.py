"""Summary scores: a questionnaire known only by its total (and PHQ-9 item 9), as an import
from another system brings it; bands are the instruments' own (docs/clinical.md)."""

from __future__ import annotations

import pytest

from lasting_core.instruments import BandCode, InstrumentCode, ScoreFlag, ScoringError, score
from lasting_core.instruments.summary import score_total


@pytest.mark.parametrize(
    ("code", "total", "band"),
    [
        (InstrumentCode.PHQ9, 4, BandCode.MINIMAL),
        (InstrumentCode.PHQ9, 15, BandCode.MODERATELY_SEVERE),
        (InstrumentCode.PHQ9, 27, BandCode.SEVERE),
        (InstrumentCode.GAD7, 10, BandCode.MODERATE),
        (InstrumentCode.PCL5, 32, BandCode.BELOW_CUTOFF),
        (InstrumentCode.PCL5, 33, BandCode.PROVISIONAL_PTSD),
    ],
)
def test_a_total_keeps_the_instruments_own_band(code, total, band):
    summary = score_total(code, total)
    assert summary.band is not None
    assert summary.band.code == band
    assert (summary.total, summary.valid, summary.details["summary"]) == (total, True, True)
    assert set(summary.answers.values()) == {None}


def test_item9_is_flagged_as_on_a_full_form():
    assert (
        score_total(InstrumentCode.PHQ9, 12, item9=2).flags
        == score(InstrumentCode.PHQ9, {f"q{n}": 1 for n in range(1, 9)} | {"q9": 2, "q3": 3}).flags
    )
    assert score_total(InstrumentCode.PHQ9, 12, item9=0).flags == frozenset()
    assert score_total(InstrumentCode.PHQ9, 12, item9=1).answers["q9"] == 1


def test_a_summary_without_item9_carries_no_item9_flag():
    assert ScoreFlag.ITEM9_MISSING not in score_total(InstrumentCode.PHQ9, 12).flags


def test_pcl5_at_the_cutoff_is_flagged_provisional():
    assert score_total(InstrumentCode.PCL5, 40).flags == {ScoreFlag.PROVISIONAL_PTSD}


@pytest.mark.parametrize(
    ("code", "total", "item9"),
    [
        (InstrumentCode.PHQ9, 28, None),
        (InstrumentCode.PHQ9, -1, None),
        (InstrumentCode.PHQ9, 12.5, None),
        (InstrumentCode.PHQ9, 2, 3),
        (InstrumentCode.PHQ9, 12, 4),
        (InstrumentCode.GAD7, 5, 1),
        (InstrumentCode.DAILY, 5, None),
        (InstrumentCode.PAIN_NRS, 5, None),
    ],
)
def test_impossible_summaries_are_refused(code, total, item9):
    with pytest.raises(ScoringError):
        score_total(code, total, item9=item9)
