"""Read and write Lasting's CSV exchange formats (docs/formats.md).

Every reader checks the whole file before returning anything: a bad row raises
`CsvFormatError` naming its line number and what is wrong, so a caller can refuse the
whole file and change nothing. UTF-8, a header row, ISO dates.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from lasting_core.daynumbers import day_number

T = TypeVar("T")


class CsvFormatError(ValueError):
    """A CSV file does not follow its format; `line` is 1-based, counting the header."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}, line {line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class ObservationKind(StrEnum):
    PHQ9 = "phq9"
    GAD7 = "gad7"
    PCL5 = "pcl5"
    PAIN_NRS = "pain_nrs"
    DAILY_MOOD = "daily_mood"
    DAILY_SLEEP = "daily_sleep"
    DAILY_STRESS = "daily_stress"
    DAILY_PAIN = "daily_pain"


SCORE_RANGES: dict[ObservationKind, tuple[float, float]] = {
    ObservationKind.PHQ9: (0, 27),
    ObservationKind.GAD7: (0, 21),
    ObservationKind.PCL5: (0, 80),
    ObservationKind.PAIN_NRS: (0, 10),
    ObservationKind.DAILY_MOOD: (0, 10),
    ObservationKind.DAILY_SLEEP: (0, 10),
    ObservationKind.DAILY_STRESS: (0, 10),
    ObservationKind.DAILY_PAIN: (0, 10),
}


class SessionKindCode(StrEnum):
    INDUCTION = "induction"
    BOOSTER = "booster"
    MAINTENANCE = "maintenance"


class RouteCode(StrEnum):
    IV = "iv"
    IM = "im"
    INTRANASAL_ESKETAMINE = "intranasal_esketamine"
    OTHER = "other"


class AlertKindCode(StrEnum):
    SAFETY = "safety"
    EARLY_WARNING = "early_warning"
    RELAPSE = "relapse"
    DISENGAGEMENT = "disengagement"


@dataclass(frozen=True)
class ObservationRow:
    line: int
    patient_id: str
    observed_at: datetime | date
    day: float
    instrument: ObservationKind
    score: float
    item9: int | None


@dataclass(frozen=True)
class SessionRow:
    line: int
    patient_id: str
    session_on: datetime | date
    day: float
    kind: SessionKindCode
    route: RouteCode | None
    dose_mg: float | None


@dataclass(frozen=True)
class AlertRow:
    patient_id: str
    alerted_on: date
    kind: AlertKindCode
    p_relapse_28d: float | None
    reason: str


class WarningWhen(StrEnum):
    """When a personal item is a warning: below or above its threshold, or answered yes/no."""

    BELOW = "below"
    ABOVE = "above"
    YES = "yes"
    NO = "no"


class LifeEventCode(StrEnum):
    LOSS = "loss"
    CONFLICT = "conflict"
    MOVE = "move"
    JOB = "job"
    ILLNESS = "illness"
    OTHER = "other"


@dataclass(frozen=True)
class PersonalItemRow:
    """One personal warning sign of a patient's relapse-prevention plan."""

    line: int
    patient_id: str
    item: str
    label: str
    warning_when: WarningWhen
    threshold: float | None  # None for a yes/no item
    low: float
    high: float
    unit: str

    @property
    def yes_no(self) -> bool:
        return self.warning_when in (WarningWhen.YES, WarningWhen.NO)


@dataclass(frozen=True)
class PersonalObservationRow:
    line: int
    patient_id: str
    observed_at: datetime | date
    day: float
    item: str
    value: float  # a yes/no answer as 1 (yes) or 0 (no)


@dataclass(frozen=True)
class LifeEventRow:
    line: int
    patient_id: str
    occurred_at: datetime | date
    day: float
    kind: LifeEventCode
    weight: float


OBSERVATION_COLUMNS = ("patient_id", "observed_on", "instrument", "score")
PERSONAL_ITEM_COLUMNS = ("patient_id", "item", "label", "warning_when")
PERSONAL_OBSERVATION_COLUMNS = ("patient_id", "observed_on", "item", "value")
LIFE_EVENT_COLUMNS = ("patient_id", "occurred_on", "kind", "weight")
SESSION_COLUMNS = ("patient_id", "session_on", "kind")
ALERT_COLUMNS = ("patient_id", "alerted_on", "kind", "p_relapse_28d", "reason")


def parse_moment(text: str) -> datetime | date:
    """Parse an ISO date or datetime; raise ValueError with a plain reason."""
    value = text.strip()
    if not value:
        raise ValueError("is empty")
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO date (YYYY-MM-DD) or datetime") from None


def parse_number(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {text.strip()!r}")
    return value


def open_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) after checking the header names every required column."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvFormatError(str(path), 1, "the file is not UTF-8 text") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    if not header:
        raise CsvFormatError(str(path), 1, "the file is empty (a header row is required)")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise CsvFormatError(str(path), 1, f"column(s) named twice: {', '.join(repeated)}")
    missing = [column for column in required if column not in header]
    if missing:
        raise CsvFormatError(
            str(path), 1, f"missing column(s) {', '.join(missing)}; header is {','.join(header)}"
        )
    reader.fieldnames = header
    for row in reader:
        line = reader.line_num
        if None in row:
            raise CsvFormatError(str(path), line, "more values than header columns")
        yield line, {key: (value or "").strip() for key, value in row.items()}


def read_observations(path: Path) -> list[ObservationRow]:
    """Read observations.csv: patient_id, observed_on, instrument, score[, item9]."""
    rows: list[ObservationRow] = []
    for line, row in open_rows(path, OBSERVATION_COLUMNS):
        try:
            rows.append(observation_from(line, row))
        except ValueError as error:
            raise CsvFormatError(str(path), line, str(error)) from None
    return rows


def observation_from(line: int, row: dict[str, str]) -> ObservationRow:
    patient_id = row["patient_id"]
    if not patient_id:
        raise ValueError("patient_id is empty")
    try:
        instrument = ObservationKind(row["instrument"])
    except ValueError:
        allowed = ", ".join(kind.value for kind in ObservationKind)
        raise ValueError(f"instrument {row['instrument']!r} is not one of {allowed}") from None
    observed = parse_moment(row["observed_on"])
    score = parse_number(row["score"], "score")
    low, high = SCORE_RANGES[instrument]
    if not low <= score <= high:
        raise ValueError(f"score {score:g} is outside {low:g}–{high:g} for {instrument.value}")
    item9: int | None = None
    raw_item9 = row.get("item9", "")
    if raw_item9:
        if instrument != ObservationKind.PHQ9:
            raise ValueError("item9 is only allowed on phq9 rows")
        value = parse_number(raw_item9, "item9")
        if value not in (0, 1, 2, 3):
            raise ValueError(f"item9 {raw_item9!r} must be 0, 1, 2 or 3")
        item9 = int(value)
        if item9 > score:
            raise ValueError(f"item9 {item9} is larger than the PHQ-9 total {score:g}")
    return ObservationRow(
        line, patient_id, observed, day_number(observed), instrument, score, item9
    )


def read_sessions(path: Path) -> list[SessionRow]:
    """Read sessions.csv: patient_id, session_on, kind[, route, dose_mg]."""
    rows: list[SessionRow] = []
    for line, row in open_rows(path, SESSION_COLUMNS):
        try:
            rows.append(session_from(line, row))
        except ValueError as error:
            raise CsvFormatError(str(path), line, str(error)) from None
    return rows


def session_from(line: int, row: dict[str, str]) -> SessionRow:
    patient_id = row["patient_id"]
    if not patient_id:
        raise ValueError("patient_id is empty")
    try:
        kind = SessionKindCode(row["kind"])
    except ValueError:
        allowed = ", ".join(kind.value for kind in SessionKindCode)
        raise ValueError(f"kind {row['kind']!r} is not one of {allowed}") from None
    moment = parse_moment(row["session_on"])
    route: RouteCode | None = None
    if row.get("route"):
        try:
            route = RouteCode(row["route"])
        except ValueError:
            allowed = ", ".join(code.value for code in RouteCode)
            raise ValueError(f"route {row['route']!r} is not one of {allowed}") from None
    dose_mg: float | None = None
    if row.get("dose_mg"):
        dose_mg = parse_number(row["dose_mg"], "dose_mg")
        if dose_mg < 0:
            raise ValueError(f"dose_mg must not be negative, got {dose_mg:g}")
    return SessionRow(line, patient_id, moment, day_number(moment), kind, route, dose_mg)


def _choice(enum: type[StrEnum], column: str, text: str) -> str:
    try:
        return enum(text).value
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ValueError(f"{column} {text!r} is not one of {allowed}") from None


def _read(
    path: Path, required: Sequence[str], parse: Callable[[int, dict[str, str]], T]
) -> list[T]:
    rows: list[T] = []
    for line, row in open_rows(path, required):
        try:
            rows.append(parse(line, row))
        except ValueError as error:
            raise CsvFormatError(str(path), line, str(error)) from None
    return rows


def read_personal_items(path: Path) -> list[PersonalItemRow]:
    """Read personal_items.csv: patient_id, item, label, warning_when[, threshold, low,
    high, unit]; an item is named once per patient."""
    rows = _read(path, PERSONAL_ITEM_COLUMNS, personal_item_from)
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if (row.patient_id, row.item) in seen:
            raise CsvFormatError(
                str(path), row.line, f"item {row.item!r} is named twice for {row.patient_id}"
            )
        seen.add((row.patient_id, row.item))
    return rows


def personal_item_from(line: int, row: dict[str, str]) -> PersonalItemRow:
    patient_id = row["patient_id"]
    if not patient_id:
        raise ValueError("patient_id is empty")
    item = row["item"]
    if not item:
        raise ValueError("item is empty")
    label = row["label"]
    if not label:
        raise ValueError("label is empty")
    warning_when = WarningWhen(_choice(WarningWhen, "warning_when", row["warning_when"]))
    unit = row.get("unit", "")
    if warning_when in (WarningWhen.YES, WarningWhen.NO):
        for column in ("threshold", "low", "high", "unit"):
            if row.get(column):
                raise ValueError(f"{column} must be empty for a yes/no item")
        return PersonalItemRow(line, patient_id, item, label, warning_when, None, 0.0, 1.0, "")
    if not row.get("threshold"):
        raise ValueError("threshold is required for a below/above item")
    threshold = parse_number(row["threshold"], "threshold")
    low = parse_number(row["low"], "low") if row.get("low") else 0.0
    high = parse_number(row["high"], "high") if row.get("high") else 10.0
    if not low < high:
        raise ValueError(f"low {low:g} must be below high {high:g}")
    good_end = high if warning_when == WarningWhen.BELOW else low
    if not low <= threshold <= high or threshold == good_end:
        raise ValueError(
            f"threshold {threshold:g} must lie in {low:g}–{high:g} and not at its good end "
            f"({good_end:g}) for warning_when {warning_when.value}"
        )
    return PersonalItemRow(line, patient_id, item, label, warning_when, threshold, low, high, unit)


def read_personal_observations(
    path: Path, items: Sequence[PersonalItemRow]
) -> list[PersonalObservationRow]:
    """Read personal_observations.csv: patient_id, observed_on, item, value; each row must
    name an item of that patient in ``items`` and lie on its scale."""
    by_key = {(item.patient_id, item.item): item for item in items}

    def parse(line: int, row: dict[str, str]) -> PersonalObservationRow:
        return personal_observation_from(line, row, by_key)

    return _read(path, PERSONAL_OBSERVATION_COLUMNS, parse)


def personal_observation_from(
    line: int, row: dict[str, str], items: dict[tuple[str, str], PersonalItemRow]
) -> PersonalObservationRow:
    patient_id = row["patient_id"]
    if not patient_id:
        raise ValueError("patient_id is empty")
    item = items.get((patient_id, row["item"]))
    if item is None:
        raise ValueError(f"item {row['item']!r} is not in personal_items.csv for {patient_id}")
    observed = parse_moment(row["observed_on"])
    text = row["value"]
    if item.yes_no:
        answers = {"yes": 1.0, "no": 0.0, "1": 1.0, "0": 0.0}
        if text.lower() not in answers:
            raise ValueError(f"value {text!r} must be yes or no (or 1 or 0) for {item.item}")
        value = answers[text.lower()]
    else:
        value = parse_number(text, "value")
        if not item.low <= value <= item.high:
            raise ValueError(
                f"value {value:g} is outside {item.low:g}–{item.high:g} for {item.item}"
            )
    return PersonalObservationRow(
        line, patient_id, observed, day_number(observed), item.item, value
    )


def read_life_events(path: Path) -> list[LifeEventRow]:
    """Read life_events.csv: patient_id, occurred_on, kind, weight (0-1)."""
    return _read(path, LIFE_EVENT_COLUMNS, life_event_from)


def life_event_from(line: int, row: dict[str, str]) -> LifeEventRow:
    patient_id = row["patient_id"]
    if not patient_id:
        raise ValueError("patient_id is empty")
    kind = LifeEventCode(_choice(LifeEventCode, "kind", row["kind"]))
    moment = parse_moment(row["occurred_on"])
    weight = parse_number(row["weight"], "weight")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight {weight:g} is outside 0–1")
    return LifeEventRow(line, patient_id, moment, day_number(moment), kind, weight)


def write_alerts(path: Path, alerts: Iterable[AlertRow]) -> int:
    """Write alerts.csv atomically (a temporary file renamed into place); return the count."""
    partial = path.with_name(path.name + ".partial")
    count = 0
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(ALERT_COLUMNS)
            for alert in alerts:
                probability = "" if alert.p_relapse_28d is None else f"{alert.p_relapse_28d:.3f}"
                writer.writerow(
                    [
                        alert.patient_id,
                        alert.alerted_on.isoformat(),
                        alert.kind.value,
                        probability,
                        alert.reason,
                    ]
                )
                count += 1
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return count
