"""A patient's records as the engine reads them, and their packing into arrays.

The engine reads two streams per patient:

- stream A: PHQ-9 check-ins, sessions, clinician-entered events and stressful life events,
  in time order (at the same time: check-in, then event, then session: the questionnaire
  comes before the dose);
- stream D: daily checks (mood, sleep, stress) and the patient's personal warning-sign
  items, as day means: entries whose day numbers share an integer part form one cell
  ("day means, then an EWMA", docs/engine.md 2.4). Personal items are normalised by their
  threshold and direction (``PersonalItem.normalise``) and averaged into a fourth daily
  item; each also keeps whether its day mean crossed its threshold (docs/engine.md 2.9).

Packed arrays are time-major, (steps, patients), so the loop over steps reads contiguous
rows. Padding has day NaN and kind PAD, and leaves a patient's state exactly unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from lasting_core.definitions import ClinicalEventKind, SessionKind

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
Int8Array = npt.NDArray[np.int8]

# Stream A kinds; PAD leaves the state unchanged. Sessions are the codes >= INDUCTION;
# a life event has a negative code so that test still holds.
PAD, PHQ9, EVENT, INDUCTION, BOOSTER, MAINTENANCE = 0, 1, 2, 3, 4, 5
LIFE_EVENT = -1
SESSION_CODES = {
    SessionKind.INDUCTION: INDUCTION,
    SessionKind.BOOSTER: BOOSTER,
    SessionKind.MAINTENANCE: MAINTENANCE,
}
# Order of records at the same time.
_ORDER = {PHQ9: 0, EVENT: 1, LIFE_EVENT: 1, INDUCTION: 2, BOOSTER: 2, MAINTENANCE: 2}

DAILY_ITEMS = ("mood", "sleep", "stress")
# The fourth daily item: the day mean of the patient's normalised personal items.
PERSONAL = "personal"
PHQ9_MAX = 27.0
DAILY_MAX = 10.0
# Choice: a personal item's threshold sits at 5 on the daily items' 0-10 scale and the
# good end of its own scale at 0 (docs/engine.md 2.9), so a full swing from well to the
# threshold moves it about as far as a full swing of depression moves mood or stress.
PERSONAL_THRESHOLD_POINTS = 5.0


class WarningSide(StrEnum):
    """Which side of a personal threshold is the warning (the threshold included)."""

    BELOW = "below"  # e.g. "sleeping under 6 hours": a value below 6 is the warning
    ABOVE = "above"  # e.g. "craving above 7 of 10"; for a yes/no item: "yes" is the warning


class LifeEventKind(StrEnum):
    """Kinds of stressful life events a clinician records (the kind names it in words)."""

    LOSS = "loss"
    CONFLICT = "conflict"
    MOVE = "move"
    JOB = "job"
    ILLNESS = "illness"
    OTHER = "other"


LIFE_EVENT_KINDS = tuple(LifeEventKind)


@dataclass(frozen=True)
class PersonalItem:
    """A personal warning sign from the relapse-prevention plan, tracked in the daily check.

    ``key``: the caller's stable id (readings name it); ``label``: the words the sentence
    uses ("Sleep"); ``side``: which side of ``threshold`` is the warning; ``low``-``high``:
    the item's scale (0-10, hours 0-24, ...); ``unit``: shown after the threshold ("h").
    A yes/no item (``yes_no``) is answered 1 (yes) or 0 (no), has the scale 0-1 and the
    threshold 0.5: ``ABOVE`` means "yes" is the warning, ``BELOW`` means "no" is.
    """

    key: str
    label: str
    side: WarningSide
    threshold: float
    low: float = 0.0
    high: float = DAILY_MAX
    unit: str = ""
    yes_no: bool = False

    @classmethod
    def yes_no_item(cls, key: str, label: str, *, warning_answer: bool = True) -> PersonalItem:
        """Return a yes/no item whose ``warning_answer`` (yes by default) is the warning."""
        side = WarningSide.ABOVE if warning_answer else WarningSide.BELOW
        return cls(key, label, side, 0.5, 0.0, 1.0, "", yes_no=True)

    def __post_init__(self) -> None:
        if not self.key:
            raise ValueError("a personal item needs a key")
        if not self.label.strip():
            raise ValueError(f"personal item {self.key!r} needs a label")
        # Callers may pass the plain strings ("below"); keep the enum.
        object.__setattr__(self, "side", WarningSide(self.side))
        for name in ("threshold", "low", "high"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"personal item {self.key!r}: {name} must be a finite number")
        if not self.low < self.high:
            raise ValueError(f"personal item {self.key!r}: low must be below high")
        if self.yes_no and (self.low, self.high, self.threshold) != (0.0, 1.0, 0.5):
            raise ValueError(f"yes/no item {self.key!r} has the scale 0-1 and threshold 0.5")
        # The threshold must leave room on the good side (the normalisation divides by it).
        if not self.low <= self.threshold <= self.high or self.threshold == self.best:
            raise ValueError(
                f"personal item {self.key!r}: threshold {self.threshold:g} must lie in "
                f"{self.low:g}-{self.high:g} and not at its good end"
            )

    @property
    def best(self) -> float:
        """The good end of the scale: the far side from the warning."""
        return self.high if self.side == WarningSide.BELOW else self.low

    def crossed(self, value: float) -> bool:
        """Return whether ``value`` is at the threshold or on its warning side."""
        if self.side == WarningSide.BELOW:
            return value <= self.threshold
        return value >= self.threshold

    def normalise(self, value: float) -> float:
        """Return the value on the daily 0-10 scale: good end 0, threshold 5, worse higher."""
        load = (value - self.best) / (self.threshold - self.best)
        return min(max(PERSONAL_THRESHOLD_POINTS * load, 0.0), DAILY_MAX)


@dataclass(frozen=True)
class PersonalReading:
    """One answer to a personal item: engine day, the item's key, the value on its scale."""

    day: float
    item: str
    value: float


@dataclass(frozen=True)
class LifeEvent:
    """A stressful life event: engine day, kind and weight.

    ``weight`` in 0-1 says how stressful (a documented choice, docs/engine.md 2.10):
    1 the most stressful (the death of someone close, a violent assault), about 0.67
    moderate (a separation, losing a job), about 0.33 mild (a move, a conflict at work).
    """

    day: float
    kind: LifeEventKind
    weight: float

    def __post_init__(self) -> None:
        _check_day(self.day)
        object.__setattr__(self, "kind", LifeEventKind(self.kind))
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"life event weight {self.weight} on day {self.day} lies outside 0-1")


@dataclass(frozen=True)
class PatientHistory:
    """One patient's records. Days are engine day numbers (any epoch; floats).

    ``phq9``: (day, total 0-27); ``sessions``: (day, "induction" | "booster" |
    "maintenance"); ``daily``: (day, mood, sleep, stress), each item 0-10 or None;
    ``events``: (day, "hospitalisation" | "suicide_related") entered by a clinician;
    ``missed_checkins``: the day each scheduled check-in expired unanswered, or None when
    no schedule is known (then missed check-ins are estimated from the time since the
    last contact; docs/engine.md 2.8); ``personal_items``: the warning signs of the
    patient's relapse-prevention plan, with ``personal`` their readings (each naming an
    item's key, its value on the item's scale); ``life_events``: stressful life events.
    Records need not be sorted.
    """

    phq9: tuple[tuple[float, float], ...] = ()
    sessions: tuple[tuple[float, str], ...] = ()
    daily: tuple[tuple[float, float | None, float | None, float | None], ...] = ()
    events: tuple[tuple[float, str], ...] = ()
    missed_checkins: tuple[float, ...] | None = None
    personal_items: tuple[PersonalItem, ...] = ()
    personal: tuple[PersonalReading, ...] = ()
    life_events: tuple[LifeEvent, ...] = ()

    def __post_init__(self) -> None:
        for day, score in self.phq9:
            _check_day(day)
            if not 0.0 <= score <= PHQ9_MAX:
                raise ValueError(f"PHQ-9 total {score} on day {day} lies outside 0-27")
        for day, kind in self.sessions:
            _check_day(day)
            SessionKind(kind)
        for day, *answers in self.daily:
            _check_day(day)
            for answer in answers:
                if answer is not None and not 0.0 <= answer <= DAILY_MAX:
                    raise ValueError(f"daily item {answer} on day {day} lies outside 0-10")
        for day, kind in self.events:
            _check_day(day)
            ClinicalEventKind(kind)
        for day in self.missed_checkins or ():
            _check_day(day)
        by_key = {item.key: item for item in self.personal_items}
        if len(by_key) != len(self.personal_items):
            raise ValueError("personal items need distinct keys")
        for reading in self.personal:
            _check_day(reading.day)
            item = by_key.get(reading.item)
            if item is None:
                raise ValueError(f"reading on day {reading.day} names no personal item")
            if not item.low <= reading.value <= item.high:
                raise ValueError(
                    f"{item.key} {reading.value} on day {reading.day} lies outside "
                    f"{item.low:g}-{item.high:g}"
                )
            if item.yes_no and reading.value not in (0.0, 1.0):
                raise ValueError(f"yes/no item {item.key} on day {reading.day} must be 0 or 1")

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
            personal_items=self.personal_items,
            personal=tuple(r for r in self.personal if r.day <= day),
            life_events=tuple(e for e in self.life_events if e.day <= day),
        )

    def _days(self) -> list[float]:
        days = [r[0] for r in self.phq9] + [r[0] for r in self.sessions]
        days += [r[0] for r in self.daily] + [r[0] for r in self.events]
        days += [r.day for r in self.personal] + [e.day for e in self.life_events]
        return days

    def last_day(self) -> float | None:
        """Return the day of the latest record, None when there is none."""
        days = self._days()
        return max(days) if days else None

    def first_day(self) -> float | None:
        """Return the day of the earliest record, None when there is none."""
        days = self._days()
        return min(days) if days else None


def _check_day(day: float) -> None:
    if not math.isfinite(day):
        raise ValueError(f"day {day} is not a finite number")


@dataclass(frozen=True)
class CohortArrays:
    """Packed streams of n patients, time-major.

    ``a_day``/``a_kind``/``a_value``: (steps, n), a life event's value its weight;
    ``a_detail``: (steps, n) a life event's kind (index in ``LIFE_EVENT_KINDS``), None when
    the pack has no life event; ``d_day``: (cells, n) the integer day of each daily cell;
    ``d_value``: (cells, items, n) day means of mood, sleep and stress, and, when any
    patient of the pack has personal items, a fourth item: the mean of the normalised
    personal items (item-major, so each item of a step is contiguous), NaN where missing;
    ``d_personal``: (cells, k, n) for each of a patient's k personal items 1.0 where its
    day mean crossed the threshold, 0.0 where it did not, NaN where it was not answered;
    None when no patient has personal items.
    """

    a_day: FloatArray
    a_kind: Int8Array
    a_value: FloatArray
    d_day: FloatArray
    d_value: Float32Array
    a_detail: Int8Array | None = None
    d_personal: Float32Array | None = None

    @property
    def n_patients(self) -> int:
        return int(self.a_day.shape[1])

    @property
    def daily_items(self) -> int:
        """Return the daily items per cell: 3, or 4 with the personal composite."""
        return int(self.d_value.shape[1])

    @property
    def personal_items(self) -> int:
        """Return the personal items per patient the pack has room for (k)."""
        return 0 if self.d_personal is None else int(self.d_personal.shape[1])

    def __post_init__(self) -> None:
        n = self.a_day.shape[1]
        if self.a_kind.shape != self.a_day.shape or self.a_value.shape != self.a_day.shape:
            raise ValueError("stream A arrays must share one shape")
        if self.a_detail is not None and self.a_detail.shape != self.a_day.shape:
            raise ValueError("stream A arrays must share one shape")
        cells = self.d_day.shape[0]
        items = self.d_value.shape[1] if self.d_value.ndim == 3 else 0
        if self.d_day.shape[1] != n or self.d_value.shape != (cells, items, n):
            raise ValueError("daily arrays must be (cells, n) and (cells, items, n)")
        if items != (3 if self.d_personal is None else 4):
            raise ValueError("daily cells hold 3 items, or 4 with personal items")
        if self.d_personal is not None and (
            self.d_personal.shape[0] != cells or self.d_personal.shape[2] != n
        ):
            raise ValueError("personal crossings must be (cells, k, n)")


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
    detail: list[int] = []
    for i, history in enumerate(histories):
        for d, score in history.phq9:
            if d <= cut:
                patient.append(i)
                day.append(d)
                kind.append(PHQ9)
                value.append(score)
                detail.append(0)
        for d, event in history.events:
            if d <= cut:
                patient.append(i)
                day.append(d)
                kind.append(EVENT)
                value.append(0.0)
                detail.append(0)
                ClinicalEventKind(event)
        for life in history.life_events:
            if life.day <= cut:
                patient.append(i)
                day.append(life.day)
                kind.append(LIFE_EVENT)
                value.append(life.weight)
                detail.append(LIFE_EVENT_KINDS.index(LifeEventKind(life.kind)))
        for d, session in history.sessions:
            if d <= cut:
                patient.append(i)
                day.append(d)
                kind.append(SESSION_CODES[SessionKind(session)])
                value.append(0.0)
                detail.append(0)
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
    a_detail: Int8Array | None = None
    if any(history.life_events for history in histories):
        a_detail = np.zeros((steps, n), dtype=np.int8)
        a_detail[position, a_patient] = np.asarray(detail, dtype=np.int8)[sort]

    k = max((len(history.personal_items) for history in histories), default=0)
    width = 3 + k
    d_patient: list[int] = []
    d_rows: list[list[float]] = []
    for i, history in enumerate(histories):
        for d, mood, sleep, stress in history.daily:
            if d <= cut:
                d_patient.append(i)
                d_rows.append([d, _item(mood), _item(sleep), _item(stress)] + [math.nan] * k)
        columns = {item.key: 3 + j for j, item in enumerate(history.personal_items)}
        for reading in history.personal:
            if reading.day <= cut:
                row = [reading.day] + [math.nan] * width
                row[1 + columns[reading.item]] = float(reading.value)
                d_patient.append(i)
                d_rows.append(row)
    d_day, means = _daily_cells(np.asarray(d_patient, dtype=np.int64), d_rows, n, width)
    if k == 0:
        return CohortArrays(
            a_day=a_day,
            a_kind=a_kind,
            a_value=a_value,
            d_day=d_day,
            d_value=means.astype(np.float32),
            a_detail=a_detail,
        )
    composite, crossed = _personal_cells(means[:, 3:, :], histories, k)
    d_value = np.concatenate([means[:, :3, :], composite[:, None, :]], axis=1)
    return CohortArrays(
        a_day=a_day,
        a_kind=a_kind,
        a_value=a_value,
        d_day=d_day,
        d_value=d_value.astype(np.float32),
        a_detail=a_detail,
        d_personal=crossed,
    )


def _item(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _personal_cells(
    means: FloatArray, histories: Sequence[PatientHistory], k: int
) -> tuple[FloatArray, Float32Array]:
    """Return each cell's personal composite and each item's crossing, from day means.

    ``means``: (cells, k, n) each personal item's day mean on its own scale. The composite
    is the mean of the answered items' normalised values (``PersonalItem.normalise``).
    """
    n = len(histories)
    best = np.full((k, n), np.nan)
    threshold = np.full((k, n), np.nan)
    sign = np.zeros((k, n))
    for i, history in enumerate(histories):
        for j, item in enumerate(history.personal_items):
            best[j, i] = item.best
            threshold[j, i] = item.threshold
            sign[j, i] = 1.0 if item.side == WarningSide.ABOVE else -1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        load = (means - best) / (threshold - best)
        normalised = np.clip(PERSONAL_THRESHOLD_POINTS * load, 0.0, DAILY_MAX)
        answered = ~np.isnan(normalised)
        count = answered.sum(axis=1)
        composite = np.where(
            count > 0, np.where(answered, normalised, 0.0).sum(axis=1) / count, np.nan
        )
    crossed = np.where(np.isnan(means), np.nan, (sign * (means - threshold) >= 0.0) * 1.0)
    return composite, crossed.astype(np.float32)


def _daily_cells(
    patient: npt.NDArray[np.int64], rows: list[list[float]], n: int, width: int
) -> tuple[FloatArray, FloatArray]:
    """Average the entries of each (patient, integer day) cell; lay the cells out by time.

    Returns the cells' days (cells, n) and the day mean of each column (cells, width, n).
    """
    table = np.asarray(rows, dtype=np.float64).reshape(-1, 1 + width)
    cell_day = np.floor(table[:, 0])
    sort = np.lexsort((cell_day, patient))
    patient, cell_day, items = patient[sort], cell_day[sort], table[sort, 1:]
    new_cell = np.ones(patient.size, dtype=bool)
    new_cell[1:] = (patient[1:] != patient[:-1]) | (cell_day[1:] != cell_day[:-1])
    cell_index = np.cumsum(new_cell) - 1
    cells = int(new_cell.sum())
    present = ~np.isnan(items)
    sums = np.zeros((cells, width))
    counts = np.zeros((cells, width))
    np.add.at(sums, cell_index, np.where(present, items, 0.0))
    np.add.at(counts, cell_index, present)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    cell_patient = patient[new_cell]
    position, steps = _positions(cell_patient, n)
    d_day = np.full((steps, n), np.nan)
    d_value = np.full((steps, width, n), np.nan)
    d_day[position, cell_patient] = cell_day[new_cell]
    d_value[position, :, cell_patient] = means
    return d_day, d_value
