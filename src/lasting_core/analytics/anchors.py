"""Published figures of how long ketamine's benefit lasts, to stand beside a clinic's curve.

Each anchor names its source and what was measured; a clinic's own Kaplan-Meier curve is
compared with them in words that never overclaim (different people, treatments and
definitions of relapse). The figures are those of docs/clinical.md#durability-anchors
and tests/reference/durability_anchors.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DurabilityAnchor:
    """One published durability figure: a median in days and/or S(days) points."""

    source: str
    population: str
    measure: str
    median_days: float | None = None
    survival: tuple[tuple[int, float], ...] = ()  # (days, share still well)
    diagnosis: str | None = None  # a diagnosis group code when the study is of one

    def survival_at(self, days: int) -> float | None:
        """The published S(days), or None when the source gives none at that horizon."""
        return dict(self.survival).get(days)


DURABILITY_ANCHORS: tuple[DurabilityAnchor, ...] = (
    DurabilityAnchor(
        source="McInnes 2022",
        population="537 real-world patients, PHQ-9; responders without maintenance",
        measure="Kaplan-Meier share still responding",
        survival=((28, 0.80), (56, 0.60)),
    ),
    DurabilityAnchor(
        source="Murrough 2013",
        population="Treatment-resistant depression, 6 IV infusions over 12 days, "
        "no antidepressants; responders",
        measure="Median time to relapse after the last infusion",
        median_days=18.0,
        diagnosis="trd_mdd",
    ),
    DurabilityAnchor(
        source="KetECT 2022",
        population="Ketamine remitters",
        measure="Median days in remission",
        median_days=57.0,
        diagnosis="trd_mdd",
    ),
    DurabilityAnchor(
        source="Feder 2021",
        population="PTSD, responders",
        measure="Median days gains were held",
        median_days=27.5,
        diagnosis="ptsd",
    ),
)


def anchors_for(diagnosis: str | None = None) -> tuple[DurabilityAnchor, ...]:
    """The anchors that speak to a diagnosis group: its own studies and the general ones
    (all of them without a diagnosis)."""
    if diagnosis is None:
        return DURABILITY_ANCHORS
    return tuple(
        anchor
        for anchor in DURABILITY_ANCHORS
        if anchor.diagnosis is None or anchor.diagnosis == diagnosis
    )
