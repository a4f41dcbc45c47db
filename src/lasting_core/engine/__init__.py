"""Early-warning and forecasting engine (docs/engine.md): pure, vectorised, explainable.

Modules: ``kalman`` (continuous-time local level + damped trend: level, slope and the
innovations), ``drift`` (CUSUM on innovations, daily-item EWMA), ``durability`` (personal
rate of return, empirical Bayes), ``returns`` (two-regime filter: stable or returning,
switching with the personal hazard), ``forecast`` (crossing date), ``sweep`` (the loop over
time steps, vectorised across patients), ``assess`` (numbers at a point in time, P(relapse
criteria met within 14 / 28 days)), ``signals`` (named signals, drivers and sentences),
``lifeevents`` (the fading extra hazard of stressful life events), ``patients`` (the batch
and one-patient paths), ``episodes`` (when an alert's episode
ends, for the replay and the app), ``replay`` (day-by-day backtest with deduplicated
episodes).
"""

from lasting_core.definitions import RelapseState
from lasting_core.engine.durability import PopulationPrior, fit_population_prior
from lasting_core.engine.history import (
    CohortArrays,
    LifeEvent,
    LifeEventKind,
    PatientHistory,
    PersonalItem,
    PersonalReading,
    WarningSide,
    pack_histories,
)
from lasting_core.engine.parameters import EngineSettings, WarningRule
from lasting_core.engine.patients import (
    Assessment,
    EngineState,
    assess_cohort,
    assess_packed,
    assess_patient,
)
from lasting_core.engine.replay import (
    ReplayAlert,
    ReplayEpisode,
    ReplayResult,
    replay,
    run_replay,
)
from lasting_core.engine.signals import ALERT_KINDS, Signal, SignalKind

__all__ = [
    "ALERT_KINDS",
    "Assessment",
    "CohortArrays",
    "EngineSettings",
    "EngineState",
    "LifeEvent",
    "LifeEventKind",
    "PatientHistory",
    "PersonalItem",
    "PersonalReading",
    "PopulationPrior",
    "RelapseState",
    "ReplayAlert",
    "ReplayEpisode",
    "ReplayResult",
    "Signal",
    "SignalKind",
    "WarningRule",
    "WarningSide",
    "assess_cohort",
    "assess_packed",
    "assess_patient",
    "fit_population_prior",
    "pack_histories",
    "replay",
    "run_replay",
]
