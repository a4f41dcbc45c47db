"""PCL-5 scoring: total, the provisional-PTSD cut-off and the DSM-5 cluster rule (NCPTSD)."""

import pytest

from lasting_core.instruments import BandCode, ScoreFlag, get_instrument, score
from lasting_core.instruments.pcl5 import DEFAULT_CUTOFF, PCL5

CLUSTER_MINIMUM = {"q1": 2, "q6": 2, "q8": 2, "q9": 2, "q15": 2, "q16": 2}
"""Fewest endorsed items that meet the rule: 1 B, 1 C, 2 D, 2 E, each rated 2."""


def all_items(value: int) -> dict[str, int | None]:
    return {f"q{n}": value for n in range(1, 21)}


def answers_with(ratings: dict[str, int]) -> dict[str, int | None]:
    return {**all_items(0), **ratings}


def test_the_total_is_the_sum_of_the_twenty_items() -> None:
    result = score("pcl5", all_items(4))

    assert result.total == 80
    assert result.valid
    assert result.version == "PCL-5 (Weathers 2013)"


def test_cluster_severities_sum_each_clusters_items() -> None:
    answers = {f"q{n}": n % 5 for n in range(1, 21)}

    details = score("pcl5", answers).details

    assert details["cluster_b"] == 1 + 2 + 3 + 4 + 0
    assert details["cluster_c"] == 1 + 2
    assert details["cluster_d"] == 3 + 4 + 0 + 1 + 2 + 3 + 4
    assert details["cluster_e"] == 0 + 1 + 2 + 3 + 4 + 0


def test_the_cluster_rule_is_met_by_the_fewest_endorsed_items_it_allows() -> None:
    result = score("pcl5", answers_with(CLUSTER_MINIMUM))

    assert result.details["cluster_rule_met"] is True
    assert result.details["provisional_by_cutoff"] is False
    assert result.total == 12
    assert result.flags == {ScoreFlag.PTSD_CLUSTER_RULE_MET}
    assert [result.details[f"cluster_{c}_endorsed"] for c in "bcde"] == [1, 1, 2, 2]


@pytest.mark.parametrize("dropped", sorted(CLUSTER_MINIMUM))
def test_the_cluster_rule_fails_when_one_cluster_is_one_item_short(dropped: str) -> None:
    answers = answers_with({**CLUSTER_MINIMUM, dropped: 1})

    assert score("pcl5", answers).details["cluster_rule_met"] is False


def test_a_rating_of_one_never_counts_as_endorsed() -> None:
    result = score("pcl5", all_items(1))

    assert result.details["cluster_rule_met"] is False
    assert [result.details[f"cluster_{c}_endorsed"] for c in "bcde"] == [0, 0, 0, 0]


def test_a_high_total_without_avoidance_meets_the_cutoff_but_not_the_cluster_rule() -> None:
    answers = {**all_items(4), "q6": 0, "q7": 0}

    result = score("pcl5", answers)

    assert result.total == 72
    assert result.band is not None
    assert result.band.code == BandCode.PROVISIONAL_PTSD
    assert result.flags == {ScoreFlag.PROVISIONAL_PTSD}
    assert result.details["cluster_rule_met"] is False


def test_a_total_at_the_default_cutoff_is_provisional_ptsd_and_one_below_is_not() -> None:
    at_cutoff = answers_with({f"q{n}": 3 for n in range(1, 12)})  # 33
    below = {**at_cutoff, "q11": 2}  # 32

    assert DEFAULT_CUTOFF == 33
    assert score("pcl5", at_cutoff).details["provisional_by_cutoff"] is True
    assert ScoreFlag.PROVISIONAL_PTSD in score("pcl5", at_cutoff).flags
    assert score("pcl5", below).details["provisional_by_cutoff"] is False
    assert score("pcl5", below).band == PCL5.bands[0]


@pytest.mark.parametrize("cutoff", [31, 32, 33])
def test_a_clinic_may_choose_a_cutoff_from_31_to_33(cutoff: int) -> None:
    answers = answers_with({f"q{n}": 3 for n in range(1, 11)} | {"q11": cutoff - 30})

    result = PCL5.score(answers, cutoff=cutoff)

    assert result.total == cutoff
    assert result.band is not None
    assert result.band.code == BandCode.PROVISIONAL_PTSD
    assert result.band.low == cutoff
    assert result.details["cutoff"] == cutoff


def test_a_total_of_31_is_provisional_only_when_the_cutoff_is_31() -> None:
    answers = answers_with({f"q{n}": 3 for n in range(1, 11)} | {"q11": 1})

    assert score("pcl5", answers).band == PCL5.bands[0]
    assert score("pcl5", answers, pcl5_cutoff=31).details["provisional_by_cutoff"] is True


def test_with_cutoff_moves_the_band_boundary() -> None:
    lowered = PCL5.with_cutoff(31)

    assert [(b.low, b.high) for b in lowered.bands] == [(0, 30), (31, 80)]
    assert lowered.cutoff == 31
    assert PCL5.cutoff == DEFAULT_CUTOFF


@pytest.mark.parametrize("cutoff", [30, 34, 0, True])
def test_a_cutoff_outside_31_to_33_is_rejected(cutoff: int) -> None:
    with pytest.raises(ValueError, match="31 to 33"):
        PCL5.score(all_items(0), cutoff=cutoff)


def test_any_missing_item_makes_the_score_invalid() -> None:
    answers = {**all_items(4), "q20": None}

    result = score("pcl5", answers)

    assert not result.valid
    assert result.total is None
    assert result.band is None
    assert result.missing == ("q20",)
    assert result.flags == frozenset()
    assert result.details["cluster_rule_met"] is None
    assert result.details["provisional_by_cutoff"] is None


def test_the_pcl5_has_no_loinc_codes() -> None:
    pcl5 = get_instrument("pcl5")

    assert pcl5.loinc_panel is None
    assert pcl5.loinc_total is None
    assert all(item.loinc is None for item in pcl5.items)
