"""Measure a simulated cohort against its calibration targets.

The targets are in docs/clinical.md#durability-anchors. The durability measure follows
docs/clinical.md#definitions: days from the end of induction to relapse, censored at the
last simulated day, summarised by a Kaplan-Meier curve. The PHQ-9 item-9
model is calibrated to a published outpatient rate (``calibrate_item9_log_odds``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lasting_core.simulation.cohort import Cohort, SimulatedPatient
from lasting_core.simulation.draws import FloatArray
from lasting_core.simulation.observations import item9_probabilities
from lasting_core.simulation.presets import Preset

PHQ9_MAX = 27.0


@dataclass(frozen=True)
class SurvivalCurve:
    """A Kaplan-Meier step function: ``survival[i]`` holds from ``times[i]`` on."""

    times: tuple[int, ...]
    survival: tuple[float, ...]
    at_risk: int
    events: int

    def at(self, day: float) -> float:
        """Return the estimated share still event-free after ``day`` days."""
        index = int(np.searchsorted(self.times, day, side="right")) - 1
        return 1.0 if index < 0 else self.survival[index]

    def median(self) -> float | None:
        """Return the first time the curve drops to 0.5 or below, None if it never does."""
        for time, value in zip(self.times, self.survival, strict=True):
            if value <= 0.5:
                return float(time)
        return None


def kaplan_meier(durations: Sequence[int], events: Sequence[bool]) -> SurvivalCurve:
    """Estimate survival from durations in days and event flags (False = censored).

    Steps: 1. sort the distinct event times; 2. at each, multiply the running survival by
    (1 - events / at risk), where everyone whose duration is at least that time is at risk.
    """
    if len(durations) != len(events):
        raise ValueError("durations and events must have the same length")
    duration = np.asarray(durations, dtype=np.int64)
    event = np.asarray(events, dtype=bool)
    times: list[int] = []
    survival: list[float] = []
    current = 1.0
    for time in np.unique(duration[event]).tolist():
        at_risk = int(np.count_nonzero(duration >= time))
        happened = int(np.count_nonzero((duration == time) & event))
        current *= 1.0 - happened / at_risk
        times.append(time)
        survival.append(current)
    return SurvivalCurve(
        times=tuple(times),
        survival=tuple(survival),
        at_risk=int(duration.size),
        events=int(np.count_nonzero(event)),
    )


def responder_durability(cohort: Cohort, *, completed_induction_only: bool = True) -> SurvivalCurve:
    """Return Kaplan-Meier survival of responders from the end of induction to relapse."""
    durations: list[int] = []
    events: list[bool] = []
    for patient in cohort.patients:
        if not _counts_for_durability(patient, completed_induction_only):
            continue
        assert patient.induction_end_day is not None
        if patient.relapse_day is not None:
            durations.append(patient.relapse_day - patient.induction_end_day)
            events.append(True)
        else:
            durations.append(cohort.days - 1 - patient.induction_end_day)
            events.append(False)
    return kaplan_meier(durations, events)


def _counts_for_durability(patient: SimulatedPatient, completed_induction_only: bool) -> bool:
    if not patient.responded or patient.induction_end_day is None:
        return False
    return patient.completed_induction or not completed_induction_only


@dataclass(frozen=True)
class CalibrationReport:
    """Outcome shares (intent-to-treat, among patients whose induction ended) and durability."""

    patients: int
    response_share: float
    remission_share: float
    worsen_share: float
    stop_after_first_share: float
    durability: SurvivalCurve

    @property
    def survival_28(self) -> float:
        return self.durability.at(28)

    @property
    def survival_56(self) -> float:
        return self.durability.at(56)

    @property
    def median_days(self) -> float | None:
        return self.durability.median()


def measure_calibration(cohort: Cohort) -> CalibrationReport:
    """Measure outcome shares and responder durability of a cohort."""
    treated = [p for p in cohort.patients if p.induction_end_day is not None]
    count = len(treated)
    if count == 0:
        raise ValueError("no simulated patient finished induction")
    return CalibrationReport(
        patients=count,
        response_share=sum(p.responded for p in treated) / count,
        remission_share=sum(p.remitted for p in treated) / count,
        worsen_share=sum(p.worsened for p in treated) / count,
        stop_after_first_share=sum(p.stopped_after_first for p in treated) / count,
        durability=responder_durability(cohort),
    )


def clipped_normal_grid(
    mean: float, sd: float, step: float = 0.05
) -> tuple[FloatArray, FloatArray]:
    """Return latent PHQ-9 points on 0-27 and their weights under N(mean, sd) clipped
    to 0-27 (the mass beyond each end sits on the end point)."""
    edges = np.arange(-step / 2, PHQ9_MAX + step, step)
    edges[0], edges[-1] = -math.inf, math.inf
    cdf = np.array([0.5 * (1.0 + math.erf((e - mean) / (sd * math.sqrt(2.0)))) for e in edges])
    points: FloatArray = np.clip((edges[:-1] + edges[1:]) / 2, 0.0, PHQ9_MAX)
    points[0], points[-1] = 0.0, PHQ9_MAX
    weights: FloatArray = np.diff(cdf)
    return points, weights


def expected_item9_rates(preset: Preset, mean: float, sd: float) -> tuple[float, float, float]:
    """Return the model's shares of item 9 >= 1, >= 2 and >= 3 when the latent PHQ-9 is
    N(mean, sd) clipped to 0-27 (exact integration on a fine grid, no sampling)."""
    points, weights = clipped_normal_grid(mean, sd)
    at_least = item9_probabilities(points, preset) @ weights
    return float(at_least[0]), float(at_least[1]), float(at_least[2])


def calibrate_item9_log_odds(
    preset: Preset, at_least: tuple[float, float, float], mean: float, sd: float
) -> tuple[float, float, float]:
    """Return the intercepts a_k that give the shares ``at_least`` (item 9 >= 1, >= 2,
    >= 3) in a population with latent PHQ-9 N(mean, sd), at the preset's slope.

    Each share rises with its intercept, so each is found by bisection.
    """
    points, weights = clipped_normal_grid(mean, sd)
    intercepts: list[float] = []
    for target in at_least:
        low, high = -30.0, 30.0
        for _ in range(80):
            middle = (low + high) / 2.0
            trial = dataclasses.replace(preset, item9_log_odds=(middle, middle, middle))
            share = float(item9_probabilities(points, trial)[0] @ weights)
            low, high = (middle, high) if share < target else (low, middle)
        intercepts.append((low + high) / 2.0)
    return intercepts[0], intercepts[1], intercepts[2]
