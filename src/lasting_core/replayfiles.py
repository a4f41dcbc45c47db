"""Replay from CSV files: observations.csv + sessions.csv in, alerts.csv rows out.

The engine reads PHQ-9 totals, the daily items and sessions; GAD-7, PCL-5 and pain rows
are checked and accepted but do not drive the engine yet. PHQ-9 rows with item 9 >= 1
give a safety alert each, on their own day: safety alerts are never deduplicated.

Three optional files join them when they sit in the same folder as observations.csv
(docs/formats.md): personal_items.csv and personal_observations.csv (the warning signs of
each patient's relapse-prevention plan and their daily answers) and life_events.csv.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from lasting_core.csvformats import (
    AlertKindCode,
    AlertRow,
    LifeEventRow,
    ObservationKind,
    ObservationRow,
    PersonalItemRow,
    PersonalObservationRow,
    SessionRow,
    WarningWhen,
    read_life_events,
    read_observations,
    read_personal_items,
    read_personal_observations,
    read_sessions,
)
from lasting_core.daynumbers import date_of_day
from lasting_core.engine import (
    EngineSettings,
    LifeEvent,
    LifeEventKind,
    PatientHistory,
    PersonalItem,
    PersonalReading,
    PopulationPrior,
    SignalKind,
    WarningSide,
    fit_population_prior,
    replay,
)

# The optional files, found next to observations.csv.
PERSONAL_ITEMS_FILE = "personal_items.csv"
PERSONAL_OBSERVATIONS_FILE = "personal_observations.csv"
LIFE_EVENTS_FILE = "life_events.csv"

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


def personal_item_of(row: PersonalItemRow) -> PersonalItem:
    """Return the engine's personal item for a personal_items.csv row."""
    if row.yes_no:
        return PersonalItem.yes_no_item(
            row.item, row.label, warning_answer=row.warning_when == WarningWhen.YES
        )
    assert row.threshold is not None
    side = WarningSide.BELOW if row.warning_when == WarningWhen.BELOW else WarningSide.ABOVE
    return PersonalItem(row.item, row.label, side, row.threshold, row.low, row.high, row.unit)


def histories_from_rows(
    observations: Sequence[ObservationRow],
    sessions: Sequence[SessionRow],
    personal_items: Sequence[PersonalItemRow] = (),
    personal_observations: Sequence[PersonalObservationRow] = (),
    life_events: Sequence[LifeEventRow] = (),
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
    plan_items: dict[str, list[PersonalItem]] = defaultdict(list)
    for item in personal_items:
        patients.setdefault(item.patient_id)
        plan_items[item.patient_id].append(personal_item_of(item))
    readings: dict[str, list[PersonalReading]] = defaultdict(list)
    for reading in personal_observations:
        readings[reading.patient_id].append(
            PersonalReading(reading.day, reading.item, reading.value)
        )
    events: dict[str, list[LifeEvent]] = defaultdict(list)
    for event in life_events:
        patients.setdefault(event.patient_id)
        events[event.patient_id].append(
            LifeEvent(event.day, LifeEventKind(event.kind.value), event.weight)
        )
    return {
        patient_id: PatientHistory(
            phq9=tuple(phq9[patient_id]),
            sessions=tuple(visits[patient_id]),
            daily=tuple(
                (day, items[0], items[1], items[2])
                for day, items in sorted(daily[patient_id].items())
            ),
            personal_items=tuple(plan_items[patient_id]),
            personal=tuple(readings[patient_id]),
            life_events=tuple(events[patient_id]),
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


def optional_file(given: Path | None, observations_path: Path, name: str) -> Path | None:
    """Return ``given``, else ``name`` next to observations.csv when it exists, else None."""
    if given is not None:
        return given
    found = observations_path.parent / name
    return found if found.is_file() else None


def replay_files(
    observations_path: Path,
    sessions_path: Path,
    *,
    personal_items_path: Path | None = None,
    personal_observations_path: Path | None = None,
    life_events_path: Path | None = None,
    settings: EngineSettings | None = None,
    fit_prior: bool = False,
) -> list[AlertRow]:
    """Read every file completely (CsvFormatError on the first bad row), then replay.

    The optional files default to personal_items.csv, personal_observations.csv and
    life_events.csv next to observations.csv, read when they exist. Personal observations
    need personal_items.csv. With `fit_prior`, the clinic prior is fitted on the same
    files: convenient for a clinic's own tuning, but it looks ahead (later relapses shape
    earlier forecasts), so the default is the published prior.
    """
    observations = read_observations(observations_path)
    sessions = read_sessions(sessions_path)
    items_path = optional_file(personal_items_path, observations_path, PERSONAL_ITEMS_FILE)
    answers_path = optional_file(
        personal_observations_path, observations_path, PERSONAL_OBSERVATIONS_FILE
    )
    events_path = optional_file(life_events_path, observations_path, LIFE_EVENTS_FILE)
    items = read_personal_items(items_path) if items_path is not None else []
    answers = read_personal_observations(answers_path, items) if answers_path is not None else []
    events = read_life_events(events_path) if events_path is not None else []
    histories = histories_from_rows(observations, sessions, items, answers, events)
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
