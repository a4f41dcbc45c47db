"""Replay: run the engine day by day over history, with no look-ahead (docs/engine.md 2.8).

Each calendar day d is assessed with every record whose day number is below d + 1 (the
whole of day d) and nothing later; alerts are dated d. The sweep runs once over all
records, recording each patient's state after every record; the tick of day d reads the
state after the patient's last record before d + 1, which is exactly the state a sweep of
the records up to d would reach. So cutting the input after day d never changes an alert
dated on or before d.

Episodes (deduplication; only an episode's first day raises an alert) follow
``lasting_core.engine.episodes``, the rule the app applies too:

- early warning: opens when the warning holds and no early-warning episode is open; it
  ends at the relapse, at a session given after it opened (treatment intervened), or
  once the warning has not held for ``episode_quiet_days`` days (recovered);
- relapse: one alert per confirmed relapse, on the day it is confirmed;
- disengagement: opens when check-ins are missed (default 2 in a row), ends once the
  patient has been back in contact for ``disengagement_fold_days`` days in a row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from lasting_core.definitions import PENDING, RESPONDING
from lasting_core.engine.assess import AssessmentArrays, assess_arrays
from lasting_core.engine.drift import DailyArrays
from lasting_core.engine.durability import PopulationPrior
from lasting_core.engine.episodes import WarningEnd, disengagement_ends, early_warning_ends
from lasting_core.engine.history import PatientHistory, pack_histories
from lasting_core.engine.parameters import EngineSettings
from lasting_core.engine.signals import SignalKind, explain
from lasting_core.engine.sweep import run_stream_a, run_stream_d, unflatten

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Patients per replay chunk: bounds the memory of the recorded states (about 50 MB).
_CHUNK = 1500


@dataclass(frozen=True)
class ReplayAlert:
    """An alert the engine would have raised (alerts.csv, docs/formats.md)."""

    patient_id: str
    alerted_day: float
    kind: SignalKind
    p_relapse_28d: float | None
    reason: str


@dataclass(frozen=True)
class ReplayEpisode:
    """One episode of an alert kind: from its alert to its end (None: still open)."""

    patient_id: str
    kind: SignalKind
    start_day: float
    end_day: float | None
    end_reason: str | None  # "relapse", "session", "quiet" or "checkin"
    p_relapse_28d: float | None
    reason: str


@dataclass(frozen=True)
class ReplayResult:
    alerts: tuple[ReplayAlert, ...]
    episodes: tuple[ReplayEpisode, ...]
    at_risk_days: Mapping[str, int]  # days each patient spent in response (could relapse)
    first_day: float
    last_day: float


def replay(
    histories: Mapping[str, PatientHistory],
    settings: EngineSettings | None = None,
    prior: PopulationPrior | None = None,
    start_day: float | None = None,
    end_day: float | None = None,
) -> list[ReplayAlert]:
    """Return the alerts the engine would have raised, day by day, deduplicated."""
    return list(run_replay(histories, settings, prior, start_day, end_day).alerts)


def run_replay(
    histories: Mapping[str, PatientHistory],
    settings: EngineSettings | None = None,
    prior: PopulationPrior | None = None,
    start_day: float | None = None,
    end_day: float | None = None,
) -> ReplayResult:
    """Replay every patient from ``start_day`` to ``end_day`` (default: the data's span)."""
    s = settings or EngineSettings()
    p = prior or PopulationPrior.default()
    ids = list(histories)
    firsts = [d for d in (histories[i].first_day() for i in ids) if d is not None]
    lasts = [d for d in (histories[i].last_day() for i in ids) if d is not None]
    if not firsts:
        return ReplayResult((), (), {}, math.nan, math.nan)
    first = math.floor(start_day if start_day is not None else min(firsts))
    last = math.floor(end_day if end_day is not None else max(lasts))
    alerts: list[ReplayAlert] = []
    episodes: list[ReplayEpisode] = []
    at_risk: dict[str, int] = {}
    for offset in range(0, len(ids), _CHUNK):
        chunk = ids[offset : offset + _CHUNK]
        at_risk |= _replay_chunk(
            chunk, [histories[i] for i in chunk], s, p, first, last, alerts, episodes
        )
    alerts.sort(key=lambda a: (a.alerted_day, a.patient_id))
    episodes.sort(key=lambda e: (e.start_day, e.patient_id))
    return ReplayResult(tuple(alerts), tuple(episodes), at_risk, float(first), float(last))


def _gather(
    records: Mapping[str, npt.NDArray[Any]], row: IntArray, columns: IntArray | None = None
) -> dict[str, Any]:
    """Return each patient's recorded state after ``row`` records (item-major kept)."""
    cols = np.arange(row.size) if columns is None else columns
    return {
        name: array[row, cols] if array.ndim == 2 else array[row, :, cols].T
        for name, array in records.items()
    }


def _advance(day: FloatArray, pointer: IntArray, as_of: float) -> None:
    """Move each patient's pointer past their records on or before ``as_of``."""
    columns = np.arange(pointer.size)
    if day.shape[0] == 0:
        return
    while True:
        nxt = day[np.minimum(pointer, day.shape[0] - 1), columns]
        move = (pointer < day.shape[0]) & (nxt <= as_of)
        if not move.any():
            return
        pointer += move


def _replay_chunk(
    ids: list[str],
    histories: list[PatientHistory],
    settings: EngineSettings,
    prior: PopulationPrior,
    first: int,
    last: int,
    alerts: list[ReplayAlert],
    episodes: list[ReplayEpisode],
) -> dict[str, int]:
    """Replay one chunk of patients, appending alerts and episodes; return at-risk days."""
    n = len(ids)
    arrays = pack_histories(histories)
    _, a_records = run_stream_a(arrays, settings, prior, record=True)
    _, d_records = run_stream_d(arrays, settings, record=True)
    assert a_records is not None
    assert d_records is not None
    a_pointer = np.zeros(n, dtype=np.int64)
    d_pointer = np.zeros(n, dtype=np.int64)

    warning_open = np.zeros(n, dtype=bool)
    warning_start = np.full(n, np.nan)
    warning_last = np.full(n, np.nan)
    warning_info: list[tuple[float | None, str] | None] = [None] * n
    disengaged_open = np.zeros(n, dtype=bool)
    disengaged_start = np.full(n, np.nan)
    disengaged_last = np.full(n, np.nan)
    disengaged_info: list[tuple[float | None, str] | None] = [None] * n
    relapse_count = np.zeros(n)
    at_risk_days = np.zeros(n, dtype=np.int64)

    def close(kind: SignalKind, rows: npt.NDArray[np.bool_], day: int, why: str) -> None:
        starts = warning_start if kind == SignalKind.EARLY_WARNING else disengaged_start
        infos = warning_info if kind == SignalKind.EARLY_WARNING else disengaged_info
        for i in np.flatnonzero(rows).tolist():
            info = infos[i]
            assert info is not None
            episodes.append(
                ReplayEpisode(ids[i], kind, float(starts[i]), float(day), why, info[0], info[1])
            )
            infos[i] = None

    for day in range(first, last + 1):
        as_of = math.nextafter(day + 1.0, -math.inf)
        _advance(arrays.a_day, a_pointer, as_of)
        _advance(arrays.d_day, d_pointer, as_of)
        a = unflatten(_gather(a_records, a_pointer))
        d = DailyArrays(**_gather(d_records, d_pointer))
        m = assess_arrays(a, d, np.full(n, as_of), settings, prior, crossing=False)
        at_risk_days += (m.state == RESPONDING) | (m.state == PENDING)

        # Early warnings.
        new_relapse = m.relapse_count > relapse_count
        relapse_count = m.relapse_count
        ends = early_warning_ends(
            float(day),
            m.early_warning,
            warning_start,
            warning_last,
            m.last_session,
            m.relapse_day,
            settings.episode_quiet_days,
        )
        ends[~warning_open] = WarningEnd.OPEN
        for end in (WarningEnd.RELAPSE, WarningEnd.SESSION, WarningEnd.QUIET):
            close(SignalKind.EARLY_WARNING, ends == end, day, end.reason)
        warning_open &= ends == WarningEnd.OPEN
        np.copyto(warning_last, float(day), where=m.early_warning)
        opens = m.early_warning & ~warning_open
        warning_open |= opens
        np.copyto(warning_start, float(day), where=opens)

        # Disengagement.
        back = disengaged_open & disengagement_ends(
            float(day), m.disengaged, disengaged_last, settings.disengagement_fold_days
        )
        close(SignalKind.DISENGAGEMENT, back, day, "checkin")
        disengaged_open &= ~back
        np.copyto(disengaged_last, float(day), where=m.disengaged)
        goes = m.disengaged & ~disengaged_open
        disengaged_open |= goes
        np.copyto(disengaged_start, float(day), where=goes)

        fired = opens | goes | new_relapse
        if fired.any():
            rows = np.flatnonzero(fired)
            detail = _assess_rows(
                a_records, d_records, a_pointer, d_pointer, rows, as_of, settings, prior
            )
            for j, i in enumerate(rows.tolist()):
                reason = explain(detail, j, settings, histories[i].personal_items)
                p28 = float(m.p28[i])
                p = None if math.isnan(p28) else p28
                if opens[i]:
                    warning_info[i] = (p, reason)
                    alerts.append(
                        ReplayAlert(ids[i], float(day), SignalKind.EARLY_WARNING, p, reason)
                    )
                if goes[i]:
                    disengaged_info[i] = (p, reason)
                    alerts.append(
                        ReplayAlert(ids[i], float(day), SignalKind.DISENGAGEMENT, p, reason)
                    )
                if new_relapse[i]:
                    alerts.append(ReplayAlert(ids[i], float(day), SignalKind.RELAPSE, None, reason))
                    episodes.append(
                        ReplayEpisode(
                            ids[i],
                            SignalKind.RELAPSE,
                            float(day),
                            float(day),
                            "relapse",
                            None,
                            reason,
                        )
                    )

    for kind, open_rows, starts, infos in (
        (SignalKind.EARLY_WARNING, warning_open, warning_start, warning_info),
        (SignalKind.DISENGAGEMENT, disengaged_open, disengaged_start, disengaged_info),
    ):
        for i in np.flatnonzero(open_rows).tolist():
            info = infos[i]
            assert info is not None
            episodes.append(
                ReplayEpisode(ids[i], kind, float(starts[i]), None, None, info[0], info[1])
            )
    return {ids[i]: int(at_risk_days[i]) for i in range(n)}


def _assess_rows(
    a_records: Mapping[str, npt.NDArray[Any]],
    d_records: Mapping[str, npt.NDArray[Any]],
    a_pointer: IntArray,
    d_pointer: IntArray,
    rows: IntArray,
    as_of: float,
    settings: EngineSettings,
    prior: PopulationPrior,
) -> AssessmentArrays:
    """Assess a few patients in full (with the crossing date) for their alert's reason."""
    a = unflatten(_gather(a_records, a_pointer[rows], rows))
    d = DailyArrays(**_gather(d_records, d_pointer[rows], rows))
    return assess_arrays(a, d, np.full(rows.size, as_of), settings, prior)
