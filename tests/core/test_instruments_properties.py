"""Property tests: totals stay in range, and a worse answer never gives a better score."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lasting_core.instruments import Instrument, Score, ScoreFlag, list_instruments

INSTRUMENTS = list_instruments()
IDS = [instrument.code.value for instrument in INSTRUMENTS]


def answers_for(instrument: Instrument) -> st.SearchStrategy[dict[str, int | None]]:
    """Draw answers with any item possibly unanswered, except the daily check's required ones."""
    fields: dict[str, st.SearchStrategy[int | None]] = {}
    for item in instrument.items:
        value = st.integers(item.min_value, item.max_value)
        may_skip = item.optional or item.scored
        fields[item.key] = st.one_of(st.none(), value) if may_skip else value
    return st.fixed_dictionaries(fields)


def band_rank(instrument: Instrument, result: Score) -> int | None:
    return None if result.band is None else instrument.rank_band(result.band)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@given(data=st.data())
def test_every_valid_total_lies_within_the_instruments_range_and_its_band(
    instrument: Instrument, data: st.DataObject
) -> None:
    result = instrument.score(data.draw(answers_for(instrument)))

    if instrument.total_min is None or instrument.total_max is None:
        assert result.total is None
        assert result.band is None
        return
    if result.valid:
        assert result.total is not None
        assert result.band is not None
        assert instrument.total_min <= result.total <= instrument.total_max
        assert result.band.contains(result.total)
    else:
        assert result.total is None
        assert result.band is None


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
@given(data=st.data())
def test_raising_one_scored_answer_never_lowers_the_total_or_the_band(
    instrument: Instrument, data: st.DataObject
) -> None:
    answers = data.draw(answers_for(instrument))
    raisable = [
        item.key
        for item in instrument.scored_items
        if (value := answers[item.key]) is not None and value < item.max_value
    ]
    if not raisable:
        return
    key = data.draw(st.sampled_from(raisable))
    raised = {**answers, key: answers[key] + 1}  # type: ignore[operator]

    before, after = instrument.score(answers), instrument.score(raised)

    assert before.valid == after.valid
    if before.total is not None and after.total is not None:
        assert after.total >= before.total
        rank_before, rank_after = band_rank(instrument, before), band_rank(instrument, after)
        assert rank_before is not None
        assert rank_after is not None
        assert rank_after >= rank_before
    for flag in (ScoreFlag.PROVISIONAL_PTSD, ScoreFlag.PTSD_CLUSTER_RULE_MET):
        assert flag not in before.flags or flag in after.flags
    for flag in (ScoreFlag.ITEM9_POSITIVE, ScoreFlag.ITEM9_URGENT):
        assert flag not in before.flags or flag in after.flags
