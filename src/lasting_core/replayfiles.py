"""Replay from CSV files: observations.csv + sessions.csv in, alerts.csv rows out.

The engine reads PHQ-9 totals, the daily items and sessions; GAD-7, PCL-5 and pain rows
are checked and accepted but do not drive the engine yet. PHQ-9 rows with item 9 >= 1
give a safety alert each, on their own day: safety alerts are never deduplicated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from lasting_core.csvformats import (
    AlertKindCode,
    AlertRow,
    ObservationKind,
    ObservationRow,
    SessionRow,
    read_observations,
    read_sessions,
)
from lasting_core.daynumbers import date_of_day
from lasting_core.engine import (
    EngineSettings,
    PatientHistory,
    PopulationPrior,
    SignalKind,
    fit_population_prior,
    replay,
)

DAILY_ITEMS = {
    ObservationKind.DAILY_MOOD: 0,
    ObservationKind.DAILY_SLEEP: 1,
    ObservationKind.DAILY_STRESS: 2,
}
ALERT_KIND_OF_SIGNAL = {
    SignalKind.EARLY_WARNING: AlertKindCode.EARLY_WARNING,
    SignalKind.RELAPSE: AlertKindCode.RELAPSE,
    SignalKind.DISENGAGEMENT: AlertKindCode.DISENGAGEMENT,
}


def histories_from_rows(
    observations: Sequence[ObservationRow], sessions: Sequence[SessionRow]
) -> dict[str, PatientHistory]:
    """Group rows by patient into engine histories (daily items of one moment merge)."""
    phq9: dict[str, list[tuple[float, float]]] = defaultdict(list)
    daily: dict[str, dict[float, list[float | None]]] = defaultdict(dict)
    visits: dict[str, list[tuple[float, str]]] = defaultdict(list)
    patients: dict[str, None] = {}
    for row in observations:
        patients.setdefault(row.patient_id)
        if row.instrument == ObservationKind.PHQ9:
            phq9[row.patient_id].append((row.day, row.score))
        elif row.instrument in DAILY_ITEMS:
            items = daily[row.patient_id].setdefault(row.day, [None, None, None])
            items[DAILY_ITEMS[row.instrument]] = row.score
    for session in sessions:
        patients.setdefault(session.patient_id)
        visits[session.patient_id].append((session.day, session.kind.value))
    return {
        patient_id: PatientHistory(
            phq9=tuple(phq9[patient_id]),
            sessions=tuple(visits[patient_id]),
            daily=tuple(
                (day, items[0], items[1], items[2])
                for day, items in sorted(daily[patient_id].items())
            ),
        )
        for patient_id in patients
    }


def safety_rows(observations: Sequence[ObservationRow]) -> list[AlertRow]:
    return [
        AlertRow(
            row.patient_id,
            date_of_day(row.day),
            AlertKindCode.SAFETY,
            None,
            f"PHQ-9 item 9 (thoughts of self-harm) answered {row.item9} of 3.",
        )
        for row in observations
        if row.instrument == ObservationKind.PHQ9 and row.item9 is not None and row.item9 >= 1
    ]


def replay_files(
    observations_path: Path,
    sessions_path: Path,
    *,
    settings: EngineSettings | None = None,
    fit_prior: bool = False,
) -> list[AlertRow]:
    """Read both files completely (CsvFormatError on the first bad row), then replay.

    With `fit_prior`, the clinic prior is fitted on the same files: convenient for a
    clinic's own tuning, but it looks ahead (later relapses shape earlier forecasts), so
    the default is the published prior.
    """
    observations = read_observations(observations_path)
    sessions = read_sessions(sessions_path)
    histories = histories_from_rows(observations, sessions)
    prior = (
        fit_population_prior(list(histories.values())) if fit_prior else PopulationPrior.default()
    )
    alerts = [
        AlertRow(
            alert.patient_id,
            date_of_day(alert.alerted_day),
            ALERT_KIND_OF_SIGNAL[alert.kind],
            alert.p_relapse_28d,
            alert.reason,
        )
        for alert in replay(histories, settings, prior)
        if alert.kind in ALERT_KIND_OF_SIGNAL
    ]
    rows = alerts + safety_rows(observations)
    rows.sort(key=lambda row: (row.alerted_on, row.patient_id, row.kind.value))
    return rows
