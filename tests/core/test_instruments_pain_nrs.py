"""Pain NRS scoring: the single 0-10 answer is the total (IMMPACT; Lasting's bands)."""

import pytest

from lasting_core.instruments import BandCode, ScoringError, get_instrument, score


@pytest.mark.parametrize(
    ("pain", "band"),
    [(0, BandCode.NONE), (3, BandCode.MILD), (6, BandCode.MODERATE), (10, BandCode.SEVERE)],
)
def test_the_answer_is_the_total_and_picks_the_band(pain: int, band: BandCode) -> None:
    result = score("pain_nrs", {"pain": pain})

    assert result.total == pain
    assert result.band is not None
    assert result.band.code == band
    assert result.valid


def test_a_missing_answer_makes_the_score_invalid() -> None:
    result = score("pain_nrs", {})

    assert not result.valid
    assert result.total is None
    assert result.band is None
    assert result.missing == ("pain",)


def test_eleven_is_outside_the_scale() -> None:
    with pytest.raises(ScoringError, match="pain: 11 is outside 0\N{EN DASH}10"):
        score("pain_nrs", {"pain": 11})


def test_the_total_carries_loinc_72514_3() -> None:
    pain = get_instrument("pain_nrs")

    assert pain.loinc_total == "72514-3"
    assert pain.get_item("pain").higher_is_worse
