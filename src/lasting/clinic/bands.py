"""The 28-day relapse probability in words (high, raised, low), at each organisation's own
early-warning threshold."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q

from lasting.risk.services import settings_for
from lasting_core.engine.parameters import EngineSettings


class RiskBand(StrEnum):
    """The 28-day relapse probability in words, by the organisation's `RiskBands`."""

    HIGH = "high"
    RAISED = "raised"
    LOW = "low"
    UNKNOWN = "unknown"


# "Raised" starts at 20 % (a choice: about twice a stable responder's usual 28-day risk in
# the simulated cohorts, docs/engine.md), or at half the early-warning threshold when a
# clinic's calibration put that threshold below 40 %.
RAISED_FROM = 0.20


@dataclass(frozen=True)
class RiskBands:
    """Where "high" and "raised" start for one organisation. "High" is the engine's
    early-warning threshold in that organisation's settings (its latest calibration, else
    the default), so a patient the engine warns about is never shown as merely raised."""

    high_from: float
    raised_from: float

    @classmethod
    def at_threshold(cls, early_warning_probability: float) -> RiskBands:
        return cls(early_warning_probability, min(RAISED_FROM, early_warning_probability / 2))

    def band(self, p_relapse_28d: float | None) -> RiskBand:
        if p_relapse_28d is None:
            return RiskBand.UNKNOWN
        if p_relapse_28d >= self.high_from:
            return RiskBand.HIGH
        return RiskBand.RAISED if p_relapse_28d >= self.raised_from else RiskBand.LOW

    def filter(self, band: str) -> Q:
        """The patients whose latest 28-day estimate (annotated `p28`) falls in `band`."""
        if band == RiskBand.HIGH:
            return Q(p28__gte=self.high_from)
        if band == RiskBand.RAISED:
            return Q(p28__gte=self.raised_from, p28__lt=self.high_from)
        if band == RiskBand.LOW:
            return Q(p28__lt=self.raised_from)
        return Q(p28__isnull=True)

    def labels(self) -> dict[RiskBand, str]:
        high, raised = percent(self.high_from), percent(self.raised_from)
        return {
            RiskBand.HIGH: f"High (the clinic's early-warning level, {high} or more)",
            RiskBand.RAISED: f"Raised ({raised} or more)",
            RiskBand.LOW: f"Low (under {raised})",
            RiskBand.UNKNOWN: "No estimate",
        }


def percent(probability: float) -> str:
    return f"{probability * 100:.0f} %"


DEFAULT_BANDS = RiskBands.at_threshold(EngineSettings().early_warning_probability)


def risk_bands_for(organization_id: int) -> RiskBands:
    return RiskBands.at_threshold(settings_for(organization_id).early_warning_probability)
