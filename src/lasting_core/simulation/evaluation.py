"""What the engine's evaluation needs from the simulator (docs/engine.md 5).

- ``history_of``: a simulated patient as the engine sees them (the observed records only);
- ``observed_relapses``: ground-truth relapse dates under the observed-data definition of
  docs/clinical.md#definitions (the second of two confirming check-ins), which is what an
  early warning must precede;
- the two families of cohorts. The *tuning family* (``EVALUATION_PRESETS``) is the first
  generator: its calibrated presets and two parameter variants of them. The engine's
  settings are chosen on it. The *reporting family* (``REPORTING_FAMILY``) is the regime
  generator (``regimes``), structurally different; its settings, seeds and sizes are
  fixed here, and the engine is reported on it and never tuned on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lasting_core.definitions import track_relapse
from lasting_core.engine.history import PatientHistory
from lasting_core.simulation.cohort import SimulatedPatient
from lasting_core.simulation.presets import LAB, REAL_WORLD, Preset
from lasting_core.simulation.regime_settings import RegimeSettings


def history_of(patient: SimulatedPatient) -> PatientHistory:
    """Return the patient's observed records (PHQ-9, sessions, daily check) for the engine."""
    phq9 = tuple(
        (float(o.day), float(o.total))
        for o in patient.observations
        if o.instrument == "phq9" and o.total is not None
    )
    daily = tuple(
        (float(o.day), float(o.items[0]), float(o.items[1]), float(o.items[2]))
        for o in patient.observations
        if o.instrument == "daily"
    )
    sessions = tuple((float(s.day), str(s.kind)) for s in patient.sessions)
    return PatientHistory(phq9=phq9, sessions=sessions, daily=daily)


def observed_relapses(patient: SimulatedPatient) -> tuple[float, ...]:
    """Return the days the relapse criteria were met on the observed data."""
    history = history_of(patient)
    return track_relapse(history.phq9, history.sessions, history.events).relapse_days


# Held-out dynamics: parameters the engine's defaults were not chosen with.
# Faster-fading relief with a more regular timing (Weibull shape 2): where forecasting from
# each patient's own durability should matter most.
REGULAR_FADE = dataclasses.replace(
    REAL_WORLD,
    name="held-out-regular",
    weibull_shape=2.0,
    weibull_scale_days=60.0,
    rise_days_median=14.0,
    rise_days_range=(7.0, 24.0),
    durability_correlation=0.85,
)
# Noisier answers than the engine assumes (SD 3 instead of 2.2), sparser check-ins, fewer
# daily checks and slower returns.
NOISY_SPARSE = dataclasses.replace(
    REAL_WORLD,
    name="held-out-noisy",
    observation_sd=3.0,
    weekly_adherence=(0.85, 0.45),
    daily_share=0.2,
    rise_days_median=26.0,
    rise_days_range=(14.0, 28.0),
)

EVALUATION_PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        REAL_WORLD.name: REAL_WORLD,
        LAB.name: LAB,
        REGULAR_FADE.name: REGULAR_FADE,
        NOISY_SPARSE.name: NOISY_SPARSE,
    }
)


@dataclass(frozen=True)
class ReportingFamily:
    """The cohorts the engine is reported on: never used to choose any engine setting.

    ``past_seed`` simulates the clinic's history that the population prior is fitted on
    (as a clinic would on its own data); ``seed`` the cohort that is replayed and scored.
    With maintenance, ``reactive_share`` of the patients are treated by the reactive
    clinic; without it, nobody gets a booster.
    """

    name: str
    settings: RegimeSettings
    patients: int
    days: int
    seed: int
    past_seed: int
    reactive_share: float


# Frozen: a change here changes what the engine's figures mean (docs/engine.md), and
# ``tests/core/test_regimes.py`` pins it so such a change is a visible decision.
REPORTING_FAMILY = ReportingFamily(
    name="regimes",
    settings=RegimeSettings(),
    patients=1000,
    days=365,
    seed=16_0001,
    past_seed=16_0002,
    reactive_share=0.7,
)
