"""Patient simulator: calibrated cohorts of ketamine patients (DESIGN section 7)."""

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

__all__ = [
    "DIAGNOSES",
    "PRESETS",
    "CalibrationReport",
    "Cohort",
    "MaintenancePolicy",
    "Preset",
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
]
