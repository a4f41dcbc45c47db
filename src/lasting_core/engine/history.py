"""A patient's records as the engine reads them, and their packing into arrays.

The engine reads two streams per patient:

- stream A: PHQ-9 check-ins, sessions and clinician-entered events, in time order (at the
  same time: check-in, then event, then session: the questionnaire comes before the dose);
- stream D: daily checks (mood, sleep, stress), as day means: entries whose day numbers
  share an integer part form one cell ("day means, then an EWMA", docs/engine.md 2.4).

Packed arrays are time-major, (steps, patients), so the loop over steps reads contiguous
rows. Padding has day NaN and kind PAD, and leaves a patient's state exactly unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.definitions import ClinicalEventKind, SessionKind

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
Int8Array = npt.NDArray[np.int8]

# Stream A kinds; PAD leaves the state unchanged.
PAD, PHQ9, EVENT, INDUCTION, BOOSTER, MAINTENANCE = 0, 1, 2, 3, 4, 5
SESSION_CODES = {
    SessionKind.INDUCTION: INDUCTION,
    SessionKind.BOOSTER: BOOSTER,
    SessionKind.MAINTENANCE: MAINTENANCE,
}
# Order of records at the same time.
_ORDER = {PHQ9: 0, EVENT: 1, INDUCTION: 2, BOOSTER: 2, MAINTENANCE: 2}

DAILY_ITEMS = ("mood", "sleep", "stress")
PHQ9_MAX = 27.0
DAILY_MAX = 10.0


@dataclass(frozen=True)
class PatientHistory:
    """One patient's records. Days are engine day numbers (any epoch; floats).

    ``phq9``: (day, total 0-27); ``sessions``: (day, "induction" | "booster" |
    "maintenance"); ``daily``: (day, mood, sleep, stress), each item 0-10 or None;
    ``events``: (day, "hospitalisation" | "suicide_related") entered by a clinician;
    ``missed_checkins``: the day each scheduled check-in expired unanswered, or None when
    no schedule is known (then missed check-ins are estimated from the time since the
    last contact; docs/engine.md 2.8). Records need not be sorted.
    """

    phq9: tuple[tuple[float, float], ...] = ()
    sessions: tuple[tuple[float, str], ...] = ()
    daily: tuple[tuple[float, float | None, float | None, float | None], ...] = ()
    events: tuple[tuple[float, str], ...] = ()
    missed_checkins: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        for day, score in self.phq9:
            _check_day(day)
            if not 0.0 <= score <= PHQ9_MAX:
                raise ValueError(f"PHQ-9 total {score} on day {day} lies outside 0-27")
        for day, kind in self.sessions:
            _check_day(day)
            SessionKind(kind)
        for day, *items in self.daily:
            _check_day(day)
            for item in items:
                if item is not None and not 0.0 <= item <= DAILY_MAX:
                    raise ValueError(f"daily item {item} on day {day} lies outside 0-10")
        for day, kind in self.events:
            _check_day(day)
            ClinicalEventKind(kind)
        for day in self.missed_checkins or ():
            _check_day(day)

    def until(self, day: float) -> PatientHistory:
        """Return the records on or before ``day``."""
        return PatientHistory(
            phq9=tuple(r for r in self.phq9 if r[0] <= day),
            sessions=tuple(r for r in self.sessions if r[0] <= day),
            daily=tuple(r for r in self.daily if r[0] <= day),
            events=tuple(r for r in self.events if r[0] <= day),
            missed_checkins=None
            if self.missed_checkins is None
            else tuple(d for d in self.missed_checkins if d <= day),
        )

    def last_day(self) -> float | None:
        """Return the day of the latest record, None when there is none."""
        days = [r[0] for r in self.phq9] + [r[0] for r in self.sessions]
        days += [r[0] for r in self.daily] + [r[0] for r in self.events]
        return max(days) if days else None

    def first_day(self) -> float | None:
        """Return the day of the earliest record, None when there is none."""
        days = [r[0] for r in self.phq9] + [r[0] for r in self.sessions]
        days += [r[0] for r in self.daily] + [r[0] for r in self.events]
        return min(days) if days else None


def _check_day(day: float) -> None:
    if not math.isfinite(day):
        raise ValueError(f"day {day} is not a finite number")


@dataclass(frozen=True)
class CohortArrays:
    """Packed streams of n patients, time-major.

    ``a_day``/``a_kind``/``a_value``: (steps, n); ``d_day``: (cells, n) the integer day of
    each daily cell; ``d_value``: (cells, 3, n) day means of mood, sleep and stress
    (item-major, so each item of a step is contiguous), NaN where an item is missing.
    """

    a_day: FloatArray
    a_kind: Int8Array
    a_value: FloatArray
    d_day: FloatArray
    d_value: Float32Array

    @property
    def n_patients(self) -> int:
        return int(self.a_day.shape[1])

    def __post_init__(self) -> None:
        n = self.a_day.shape[1]
        if self.a_kind.shape != self.a_day.shape or self.a_value.shape != self.a_day.shape:
            raise ValueError("stream A arrays must share one shape")
        cells = self.d_day.shape[0]
        if self.d_day.shape[1] != n or self.d_value.shape != (cells, 3, n):
            raise ValueError("daily arrays must be (cells, n) and (cells, 3, n)")


def _positions(patient: npt.NDArray[np.int64], n: int) -> tuple[npt.NDArray[np.int64], int]:
    """Return each row's position within its patient (rows sorted by patient) and the max."""
    counts = np.bincount(patient, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(patient.size) - starts[patient]
    return position, int(counts.max()) if n else 0


def pack_histories(
    histories: Sequence[PatientHistory], as_of_day: float | None = None
) -> CohortArrays:
    """Pack histories (records on or before ``as_of_day``) into time-major arrays."""
    n = len(histories)
    cut = math.inf if as_of_day is None else as_of_day
    patient: list[int] = []
    day: list[float] = []
    kind: list[int] = []
    value: list[float] = []
    for i, history in enumerate(histories):
        for d, score in history.phq9:
            if d <= cut:
                patient.append(i)
                day.append(d)
                kind.append(PHQ9)
                value.append(score)
        for d, event in history.events:
            if d <= cut:
                patient.append(i)
                day.append(d)
                kind.append(EVENT)
                value.append(0.0)
                ClinicalEventKind(event)
        for d, session in history.sessions:
            if d <= cut:
                patient.append(i)
                day.append(d)
                kind.append(SESSION_CODES[SessionKind(session)])
                value.append(0.0)
    a_patient = np.asarray(patient, dtype=np.int64)
    a_day_flat = np.asarray(day, dtype=np.float64)
    a_kind_flat = np.asarray(kind, dtype=np.int8)
    order = np.asarray([_ORDER[k] for k in kind], dtype=np.int64)
    sort = np.lexsort((np.arange(a_patient.size), order, a_day_flat, a_patient))
    a_patient, a_day_flat, a_kind_flat = a_patient[sort], a_day_flat[sort], a_kind_flat[sort]
    a_value_flat = np.asarray(value, dtype=np.float64)[sort]
    position, steps = _positions(a_patient, n)
    a_day = np.full((steps, n), np.nan)
    a_kind = np.zeros((steps, n), dtype=np.int8)
    a_value = np.zeros((steps, n))
    a_day[position, a_patient] = a_day_flat
    a_kind[position, a_patient] = a_kind_flat
    a_value[position, a_patient] = a_value_flat

    d_patient: list[int] = []
    d_rows: list[tuple[float, float, float, float]] = []
    for i, history in enumerate(histories):
        for d, mood, sleep, stress in history.daily:
            if d <= cut:
                d_patient.append(i)
                d_rows.append((d, _item(mood), _item(sleep), _item(stress)))
    d_day, d_value = _daily_cells(np.asarray(d_patient, dtype=np.int64), d_rows, n)
    return CohortArrays(a_day=a_day, a_kind=a_kind, a_value=a_value, d_day=d_day, d_value=d_value)


def _item(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _daily_cells(
    patient: npt.NDArray[np.int64], rows: list[tuple[float, float, float, float]], n: int
) -> tuple[FloatArray, Float32Array]:
    """Average the entries of each (patient, integer day) cell; lay the cells out by time."""
    table = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
    cell_day = np.floor(table[:, 0])
    sort = np.lexsort((cell_day, patient))
    patient, cell_day, items = patient[sort], cell_day[sort], table[sort, 1:]
    new_cell = np.ones(patient.size, dtype=bool)
    new_cell[1:] = (patient[1:] != patient[:-1]) | (cell_day[1:] != cell_day[:-1])
    cell_index = np.cumsum(new_cell) - 1
    cells = int(new_cell.sum())
    present = ~np.isnan(items)
    sums = np.zeros((cells, 3))
    counts = np.zeros((cells, 3))
    np.add.at(sums, cell_index, np.where(present, items, 0.0))
    np.add.at(counts, cell_index, present)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    cell_patient = patient[new_cell]
    position, steps = _positions(cell_patient, n)
    d_day = np.full((steps, n), np.nan)
    d_value = np.full((steps, 3, n), np.nan, dtype=np.float32)
    d_day[position, cell_patient] = cell_day[new_cell]
    d_value[position, :, cell_patient] = means.astype(np.float32)
    return d_day, d_value
