"""Every band boundary of every instrument, checked against the published cut-offs.

The expected values come from tests/reference/instrument_cutoffs.json; their sources are
in tests/reference/instruments.md.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from lasting_core.instruments import Instrument, get_instrument, score

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "instrument_cutoffs.json"
CUTOFFS: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
BANDED = ["phq9", "gad7", "pcl5", "pain_nrs"]


def published_bands(code: str) -> list[dict[str, Any]]:
    reference = CUTOFFS[code]
    bands: list[dict[str, Any]] = reference.get("bands") or reference["bands_at_default_cutoff"]
    return bands


def make_answers(instrument: Instrument, total: int) -> dict[str, int | None]:
    """Fill scored items from the first, each as high as needed, so they sum to `total`."""
    answers: dict[str, int | None] = {}
    remaining = total
    for item in instrument.scored_items:
        value = min(item.max_value, remaining)
        answers[item.key] = value
        remaining -= value
    assert remaining == 0, f"{instrument.name} cannot reach {total}"
    return answers


BOUNDARIES = [
    pytest.param(code, band["code"], total, id=f"{code}-{band['code']}-{total}")
    for code in BANDED
    for band in published_bands(code)
    for total in sorted({band["low"], band["high"]})
]


@pytest.mark.parametrize("code", BANDED)
def test_bands_match_the_published_boundaries_and_labels(code: str) -> None:
    instrument = get_instrument(code)
    expected = [(b["code"], b["label"], b["low"], b["high"]) for b in published_bands(code)]
    actual = [(b.code.value, b.label, b.low, b.high) for b in instrument.bands]
    assert actual == expected


@pytest.mark.parametrize("code", BANDED)
def test_total_range_and_item_range_match_the_published_instrument(code: str) -> None:
    instrument = get_instrument(code)
    reference = CUTOFFS[code]
    assert (instrument.total_min, instrument.total_max) == (
        reference["total_min"],
        reference["total_max"],
    )
    assert len(instrument.scored_items) == reference["n_scored_items"]
    for item in instrument.scored_items:
        assert (item.min_value, item.max_value) == (reference["item_min"], reference["item_max"])


@pytest.mark.parametrize("code", BANDED)
def test_loinc_codes_match_the_reference(code: str) -> None:
    instrument = get_instrument(code)
    loinc = CUTOFFS[code]["loinc"]
    assert instrument.loinc_panel == loinc["panel"]
    assert instrument.loinc_total == loinc["total"]


@pytest.mark.parametrize(("code", "band_code", "total"), BOUNDARIES)
def test_a_total_on_a_band_boundary_falls_in_that_band(
    code: str, band_code: str, total: int
) -> None:
    result = score(code, make_answers(get_instrument(code), total))

    assert result.total == total
    assert result.band is not None
    assert result.band.code == band_code


@pytest.mark.parametrize(
    ("low", "high"),
    [(4, 5), (9, 10), (14, 15), (19, 20)],
    ids=["4/5", "9/10", "14/15", "19/20"],
)
def test_phq9_totals_either_side_of_a_cut_point_fall_in_adjacent_bands(low: int, high: int) -> None:
    phq9 = get_instrument("phq9")
    below = phq9.score(make_answers(phq9, low)).band
    above = phq9.score(make_answers(phq9, high)).band

    assert below is not None
    assert above is not None
    assert phq9.rank_band(above) == phq9.rank_band(below) + 1
