"""Patient simulators: calibrated cohorts of ketamine patients.

Two structurally different generators: ``simulate_cohort`` (presets, a fading relief after
a Weibull onset clock; the engine is tuned on it) and ``simulate_regime_cohort`` (hidden
regimes with a Gompertz onset hazard; the engine is reported on it).
"""

from lasting_core.simulation.calibration import (
    CalibrationReport,
    SurvivalCurve,
    kaplan_meier,
    measure_calibration,
    responder_durability,
)
from lasting_core.simulation.cohort import (
    Cohort,
    MaintenancePolicy,
    SessionKind,
    SimulatedObservation,
    SimulatedPatient,
    SimulatedSession,
    simulate_cohort,
)
from lasting_core.simulation.presets import DIAGNOSES, PRESETS, Preset, get_preset
from lasting_core.simulation.regime_cohort import (
    RegimeCohort,
    ReturnEpisode,
    simulate_regime_cohort,
)
from lasting_core.simulation.regime_settings import RegimeSettings

__all__ = [
    "DIAGNOSES",
    "PRESETS",
    "CalibrationReport",
    "Cohort",
    "MaintenancePolicy",
    "Preset",
    "RegimeCohort",
    "RegimeSettings",
    "ReturnEpisode",
    "SessionKind",
    "SimulatedObservation",
    "SimulatedPatient",
    "SimulatedSession",
    "SurvivalCurve",
    "get_preset",
    "kaplan_meier",
    "measure_calibration",
    "responder_durability",
    "simulate_cohort",
    "simulate_regime_cohort",
]
