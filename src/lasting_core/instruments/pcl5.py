"""Score the PCL-5 PTSD checklist.

Instrument: PTSD Checklist for DSM-5 (PCL-5), Weathers FW, Litz BT, Keane TM, Palmieri
PA, Marx BP, Schnurr PP, 2013; National Center for PTSD (NCPTSD), U.S. Department of
Veterans Affairs; public domain. Scoring follows the NCPTSD guidance "Using the PTSD
Checklist for DSM-5 (PCL-5)".

Scoring:
- Twenty items q1..q20, each 0-4; total 0-80.
- Provisional PTSD by cut-off: total >= cutoff. NCPTSD gives 31-33 as the range
  (Bovin MJ et al., Psychol Assess 2016;28(11):1379-1391); Lasting's default is 33
  (`DEFAULT_CUTOFF`), and a clinic may choose 31, 32 or 33 (`score(..., cutoff=31)` or
  `PCL5.with_cutoff(31)`). The two bands, "below_cutoff" and "provisional_ptsd", follow
  the cut-off.
- Provisional PTSD by the DSM-5 cluster rule: an item rated 2 ("Moderately") or more
  counts as endorsed; the rule needs at least 1 endorsed item in B (items 1-5), 1 in
  C (6-7), 2 in D (8-14) and 2 in E (15-20).
- Cluster severities are the sums of each cluster's items.
- No LOINC code for the PCL-5 has been confirmed, so none is given (never invent one).

Missing items: NCPTSD publishes no proration rule for the PCL-5, so any missing item
makes the score invalid (`valid=False`, no total, no band, cluster facts None).

`details` keys: cutoff; cluster_b..cluster_e (severity sums); cluster_b_endorsed ..
cluster_e_endorsed (counts of items >= 2); cluster_rule_met; provisional_by_cutoff.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from lasting_core.instruments.base import (
    Band,
    BandCode,
    Instrument,
    InstrumentCode,
    Item,
    Score,
    ScoreFlag,
)

DEFAULT_CUTOFF = 33
"""Default provisional-PTSD cut-off; a default, not a constant of nature: clinics choose."""

CUTOFF_RANGE = range(31, 34)
"""Cut-offs NCPTSD supports (31, 32, 33)."""

ENDORSED_AT = 2
"""Lowest item rating ("Moderately") that counts as a symptom endorsed."""

TOTAL_MAX = 80

CLUSTERS: Mapping[str, tuple[range, int]] = {
    "b": (range(1, 6), 1),
    "c": (range(6, 8), 1),
    "d": (range(8, 15), 2),
    "e": (range(15, 21), 2),
}
"""DSM-5 cluster -> (item numbers, endorsed items needed)."""


def build_bands(cutoff: int) -> tuple[Band, Band]:
    """Return the two bands for `cutoff`: below it, and provisional PTSD from it up."""
    check_cutoff(cutoff)
    return (
        Band(BandCode.BELOW_CUTOFF, "Below cut-off", 0, cutoff - 1),
        Band(BandCode.PROVISIONAL_PTSD, "Provisional PTSD", cutoff, TOTAL_MAX),
    )


def check_cutoff(cutoff: int) -> None:
    """Raise ValueError unless `cutoff` is a whole number NCPTSD supports (31-33)."""
    if isinstance(cutoff, bool) or not isinstance(cutoff, int) or cutoff not in CUTOFF_RANGE:
        raise ValueError(
            f"PCL-5 cutoff must be a whole number from {CUTOFF_RANGE.start} to "
            f"{CUTOFF_RANGE.stop - 1}, got {cutoff!r}"
        )


@dataclass(frozen=True)
class Pcl5Instrument(Instrument):
    """Score PCL-5 answers: total, cut-off band, cluster severities and the cluster rule."""

    cutoff: int = DEFAULT_CUTOFF

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.bands != build_bands(self.cutoff):
            raise ValueError("PCL-5 bands must follow the cutoff; use with_cutoff()")

    def with_cutoff(self, cutoff: int) -> Pcl5Instrument:
        """Return this instrument with another provisional-PTSD cut-off (31-33)."""
        return dataclasses.replace(self, cutoff=cutoff, bands=build_bands(cutoff))

    def score(self, answers: Mapping[str, int | None], *, cutoff: int | None = None) -> Score:
        """Score `answers`; `cutoff` overrides this instrument's cut-off for this call."""
        if cutoff is not None and cutoff != self.cutoff:
            return self.with_cutoff(cutoff).score(answers)
        checked = self.read_answers(answers)
        missing = tuple(key for key, value in checked.items() if value is None)
        details: dict[str, object] = {"cutoff": self.cutoff}
        if missing:
            for name in CLUSTERS:
                details[f"cluster_{name}"] = None
                details[f"cluster_{name}_endorsed"] = None
            details["cluster_rule_met"] = None
            details["provisional_by_cutoff"] = None
            return Score(
                instrument=self.code,
                version=self.version,
                answers=checked,
                total=None,
                band=None,
                valid=False,
                missing=missing,
                details=details,
            )

        values = {key: value for key, value in checked.items() if value is not None}
        total = sum(values.values())
        rule_met = True
        for name, (numbers, needed) in CLUSTERS.items():
            ratings = [values[f"q{n}"] for n in numbers]
            endorsed = sum(1 for rating in ratings if rating >= ENDORSED_AT)
            details[f"cluster_{name}"] = sum(ratings)
            details[f"cluster_{name}_endorsed"] = endorsed
            rule_met = rule_met and endorsed >= needed
        by_cutoff = total >= self.cutoff
        details["cluster_rule_met"] = rule_met
        details["provisional_by_cutoff"] = by_cutoff

        flags: set[ScoreFlag] = set()
        if by_cutoff:
            flags.add(ScoreFlag.PROVISIONAL_PTSD)
        if rule_met:
            flags.add(ScoreFlag.PTSD_CLUSTER_RULE_MET)
        return Score(
            instrument=self.code,
            version=self.version,
            answers=checked,
            total=total,
            band=self.get_band(total),
            valid=True,
            flags=frozenset(flags),
            details=details,
        )


PCL5 = Pcl5Instrument(
    code=InstrumentCode.PCL5,
    name="PCL-5",
    version="PCL-5 (Weathers 2013)",
    items=tuple(Item(f"q{n}", 0, 4) for n in range(1, 21)),
    total_min=0,
    total_max=TOTAL_MAX,
    bands=build_bands(DEFAULT_CUTOFF),
    loinc_panel=None,
    loinc_total=None,
)
