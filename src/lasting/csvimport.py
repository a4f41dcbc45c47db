"""Read the import files (patients.csv, sessions.csv, observations.csv) into entries.

Each reader checks the whole file and returns either everything it read or every error
it found (line, column, reason; the header is line 1), never part of a file
(docs/formats.md#importing). Patients named by `patient_id` are the organisation's own
record numbers, matched without regard to case, as the database's constraint matches them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Organization
from lasting.checkins.models import CheckIn
from lasting.intake.imports import CheckInEntry
from lasting.patients.models import Diagnosis, Language, Patient
from lasting.patients.phones import to_e164
from lasting.treatment.models import Route, SessionKind, TreatmentSession
from lasting_core.csvformats import SCORE_RANGES, ObservationKind, parse_moment
from lasting_core.instruments import Score, ScoringError, get_instrument, score
from lasting_core.instruments.summary import score_total

T = TypeVar("T")
# Choice: a row dated without a time happened at noon on the patient's clock, far from
# either midnight, so its day is the same on every clock near the patient's.
DATE_ONLY_AT = time(12, 0)
# A value a spreadsheet would run as a formula is written with a leading ' (csvexport).
FORMULA_START = ("=", "+", "-", "@")

PATIENT_COLUMNS = ("patient_id", "given_name", "family_name", "date_of_birth")
PATIENT_OPTIONAL = (
    "time_zone",
    "preferred_language",
    "email",
    "phone",
    "diagnoses",
    "concurrent_antidepressant",
    "antidepressant_name",
    "in_therapy",
    "portal_access",
    "started_on",
)
SESSION_COLUMNS = ("patient_id", "session_on", "kind", "route", "dose_mg")
OBSERVATION_COLUMNS = ("patient_id", "observed_on", "instrument", "score")
OBSERVATION_OPTIONAL = ("item9", "items", "note")
DAILY_ITEMS = {
    ObservationKind.DAILY_MOOD: "mood",
    ObservationKind.DAILY_SLEEP: "sleep",
    ObservationKind.DAILY_STRESS: "stress",
    ObservationKind.DAILY_PAIN: "pain",
}
TOO_MANY_VALUES = "\0more values than columns"
YES_NO = {"yes": True, "no": False, "true": True, "false": False, "1": True, "0": False, "": False}


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class RowProblem(ValueError):
    """One bad value: the column it is in and why."""

    def __init__(self, column: str, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason
        self.line = line


@dataclass
class ReadResult(Generic[T]):
    items: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


class FileRefused(Exception):
    """The file as a whole cannot be read: missing, not UTF-8, or a wrong header."""


def read_table(
    path: Path, required: Sequence[str], optional: Sequence[str]
) -> list[tuple[int, dict[str, str]]]:
    """Return (line, row) for every non-blank row, after checking the header."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileRefused(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FileRefused(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise FileRefused(f"{path}: the file is not UTF-8 text") from None
    except OSError as error:
        raise FileRefused(f"{path}: cannot be read ({error.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip() for name in next(reader, [])]
    if not header:
        raise FileRefused(f"{path}, line 1: the file is empty (a header row is required)")
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in (*required, *optional)]
    repeated = sorted({name for name in header if header.count(name) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if repeated:
        problems.append(f"column(s) named twice: {', '.join(repeated)}")
    if problems:
        expected = ",".join(required) + "".join(f"[,{name}]" for name in optional)
        raise FileRefused(f"{path}, line 1: {'; '.join(problems)}. Expected {expected}")
    rows = []
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        row = {name: value.strip() for name, value in zip(header, values, strict=False)}
        if len(values) > len(header):
            row[TOO_MANY_VALUES] = ""
        rows.append((line, row))
    return rows


def collect(
    rows: Iterable[tuple[int, dict[str, str]]],
    parse: Callable[[int, dict[str, str]], T],
    result: ReadResult[T],
    tick: Callable[[], None],
) -> None:
    """Parse every row, keeping each result and each row's first problem."""
    for line, row in rows:
        result.rows += 1
        try:
            if TOO_MANY_VALUES in row:
                raise RowProblem("", "more values than header columns")
            result.items.append(parse(line, row))
        except RowProblem as problem:
            result.errors.append(RowError(line, problem.column, problem.reason))
        tick()


def text_value(row: dict[str, str], column: str) -> str:
    """A text cell, without the quote the export adds before a formula-like value."""
    value = row.get(column, "")
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def required(row: dict[str, str], column: str) -> str:
    value = text_value(row, column)
    if not value:
        raise RowProblem(column, "is empty")
    return value


def iso_date(row: dict[str, str], column: str) -> date:
    try:
        return date.fromisoformat(required(row, column))
    except ValueError:
        raise RowProblem(column, f"{row[column]!r} is not an ISO date (YYYY-MM-DD)") from None


def instant(row: dict[str, str], column: str, zone: str) -> datetime:
    """A date or datetime as an aware instant: with an offset as written, else on the
    patient's clock (a date alone at noon)."""
    try:
        moment = parse_moment(row.get(column, ""))
    except ValueError as error:
        raise RowProblem(column, str(error)) from None
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, DATE_ONLY_AT)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def number(row: dict[str, str], column: str) -> float:
    try:
        value = float(required(row, column))
    except ValueError:
        raise RowProblem(column, f"{row[column]!r} is not a number") from None
    if not math.isfinite(value):
        raise RowProblem(column, f"{row[column]!r} is not a finite number")
    return value


class PatientIndex:
    """The organisation's patients by record number, in any case."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.by_number = {
            patient.record_number.upper(): patient
            for patient in Patient.objects.filter(organization=organization)
        }

    def get(self, row: dict[str, str]) -> Patient:
        number = required(row, "patient_id")
        patient = self.by_number.get(number.upper())
        if patient is None:
            raise RowProblem(
                "patient_id",
                f"no patient {number!r} in {self.organization.slug} (import patients.csv first)",
            )
        return patient


def read_patients(
    path: Path, organization: Organization, tick: Callable[[], None]
) -> ReadResult[tuple[Patient, date]]:
    """Read patients.csv into unsaved patients with the start of their first course."""
    rows = read_table(path, PATIENT_COLUMNS, PATIENT_OPTIONAL)
    taken = set(PatientIndex(organization).by_number)
    today = today_in(organization.time_zone)

    def parse(_line: int, row: dict[str, str]) -> tuple[Patient, date]:
        number = required(row, "patient_id")
        if len(number) > 32:
            raise RowProblem("patient_id", "is longer than 32 characters")
        if number.upper() in taken:
            raise RowProblem("patient_id", f"{number!r} is already registered or in the file")
        patient = Patient(
            organization=organization,
            record_number=number,
            given_name=required(row, "given_name"),
            family_name=required(row, "family_name"),
            date_of_birth=iso_date(row, "date_of_birth"),
            time_zone=row.get("time_zone") or organization.time_zone,
            preferred_language=row.get("preferred_language") or Language.ENGLISH,
            email=row.get("email", ""),
            phone=phone(row),
            diagnoses=diagnoses(row),
            concurrent_antidepressant=yes_no(row, "concurrent_antidepressant"),
            antidepressant_name=text_value(row, "antidepressant_name"),
            in_therapy=yes_no(row, "in_therapy"),
            portal_access=yes_no(row, "portal_access"),
        )
        check_patient(patient)
        started_on = iso_date(row, "started_on") if row.get("started_on") else today
        taken.add(number.upper())
        return patient, started_on

    result: ReadResult[tuple[Patient, date]] = ReadResult()
    collect(rows, parse, result, tick)
    return result


def check_patient(patient: Patient) -> None:
    if patient.date_of_birth > today_in(patient.time_zone if is_zone(patient) else "UTC"):
        raise RowProblem("date_of_birth", "is in the future")
    if patient.preferred_language not in Language.values:
        raise RowProblem("preferred_language", f"must be one of {', '.join(Language.values)}")
    if not is_zone(patient):
        raise RowProblem("time_zone", f"{patient.time_zone!r} is not a time zone (IANA name)")
    if patient.email:
        try:
            validate_email(patient.email)
        except ValidationError:
            raise RowProblem("email", f"{patient.email!r} is not an e-mail address") from None
    for column, limit in (("given_name", 100), ("family_name", 100), ("antidepressant_name", 100)):
        if len(getattr(patient, column)) > limit:
            raise RowProblem(column, f"is longer than {limit} characters")


def is_zone(patient: Patient) -> bool:
    return patient.time_zone in known_zones()


@cache
def known_zones() -> frozenset[str]:
    """The IANA zones, as `accounts.models.validate_time_zone` accepts them, read once:
    reading them takes about 20 ms."""
    return frozenset(available_timezones())


def phone(row: dict[str, str]) -> str:
    try:
        return to_e164(row.get("phone", ""), settings.PHONE_REGION)
    except ValidationError as error:
        raise RowProblem("phone", error.messages[0]) from None


def diagnoses(row: dict[str, str]) -> list[str]:
    codes = [code.strip() for code in row.get("diagnoses", "").split(";") if code.strip()]
    unknown = [code for code in codes if code not in Diagnosis.values]
    if unknown:
        raise RowProblem(
            "diagnoses", f"{', '.join(unknown)} not among {', '.join(Diagnosis.values)}"
        )
    return codes


def yes_no(row: dict[str, str], column: str) -> bool:
    value = row.get(column, "").lower()
    if value not in YES_NO:
        raise RowProblem(column, f"{row[column]!r} must be yes or no")
    return YES_NO[value]


def read_sessions(
    path: Path, organization: Organization, tick: Callable[[], None]
) -> ReadResult[tuple[Patient, dict[str, Any]]]:
    """Read sessions.csv into each patient's session fields; a session already stored (the
    same patient and start) or twice in the file is refused."""
    rows = read_table(path, SESSION_COLUMNS, ())
    patients = PatientIndex(organization)
    seen = set(
        TreatmentSession.objects.filter(organization=organization).values_list(
            "patient_id", "started_at"
        )
    )

    def parse(_line: int, row: dict[str, str]) -> tuple[Patient, dict[str, Any]]:
        patient = patients.get(row)
        started_at = instant(row, "session_on", patient.time_zone)
        kind = required(row, "kind")
        if kind not in SessionKind.values:
            raise RowProblem("kind", f"{kind!r} is not one of {', '.join(SessionKind.values)}")
        route = required(row, "route")
        if route not in Route.values:
            raise RowProblem("route", f"{route!r} is not one of {', '.join(Route.values)}")
        try:
            dose_mg = Decimal(required(row, "dose_mg"))
        except InvalidOperation:
            raise RowProblem("dose_mg", f"{row['dose_mg']!r} is not a number") from None
        if (
            not dose_mg.is_finite()
            or not 0 <= dose_mg <= 1000
            or dose_mg != dose_mg.quantize(Decimal("0.1"))
        ):
            raise RowProblem("dose_mg", "must be 0-1000 mg with at most one decimal")
        if (patient.pk, started_at) in seen:
            raise RowProblem("session_on", "this patient has a session at this time already")
        seen.add((patient.pk, started_at))
        fields = {"kind": kind, "route": route, "dose_mg": dose_mg, "started_at": started_at}
        return patient, fields

    result: ReadResult[tuple[Patient, dict[str, Any]]] = ReadResult()
    collect(rows, parse, result, tick)
    return result


@dataclass
class Observation:
    line: int
    patient: Patient
    observed_at: datetime
    instrument: ObservationKind
    row: dict[str, str]


def read_checkins(
    path: Path, organization: Organization, tick: Callable[[], None]
) -> ReadResult[CheckInEntry]:
    """Read observations.csv into check-ins: the rows of one patient at one instant form
    one check-in, and its daily_* rows one daily check; each instrument scored by the core."""
    rows = read_table(path, OBSERVATION_COLUMNS, OBSERVATION_OPTIONAL)
    patients = PatientIndex(organization)

    def parse(line: int, row: dict[str, str]) -> Observation:
        patient = patients.get(row)
        observed_at = instant(row, "observed_on", patient.time_zone)
        try:
            kind = ObservationKind(row["instrument"])
        except ValueError:
            allowed = ", ".join(kind.value for kind in ObservationKind)
            raise RowProblem(
                "instrument", f"{row['instrument']!r} is not one of {allowed}"
            ) from None
        return Observation(line, patient, observed_at, kind, row)

    read: ReadResult[Observation] = ReadResult()
    collect(rows, parse, read, tick)
    result: ReadResult[CheckInEntry] = ReadResult(errors=read.errors, rows=read.rows)
    groups: dict[tuple[int, datetime], list[Observation]] = {}
    for observation in read.items:
        groups.setdefault((observation.patient.pk, observation.observed_at), []).append(observation)
    stored = set(
        CheckIn.objects.filter(organization=organization).values_list("patient_id", "submitted_at")
    )
    for (patient_id, observed_at), members in groups.items():
        try:
            if (patient_id, observed_at) in stored:
                raise RowProblem("observed_on", "this patient has a check-in at this time already")
            result.items.append(checkin_entry(members))
        except RowProblem as problem:
            line = problem.line or members[0].line
            result.errors.append(RowError(line, problem.column, problem.reason))
    result.errors.sort(key=lambda error: error.line)
    return result


def checkin_entry(members: Sequence[Observation]) -> CheckInEntry:
    """Score one check-in's rows; a problem carries the line of the row it is in."""
    scores: list[Score] = []
    daily: dict[str, int | None] = {}
    notes: set[str] = set()
    seen: set[ObservationKind] = set()
    for observation in members:
        try:
            if observation.instrument in seen:
                raise RowProblem("instrument", "named twice for this patient at this time")
            seen.add(observation.instrument)
            if note := text_value(observation.row, "note"):
                notes.add(note)
            if observation.instrument in DAILY_ITEMS:
                daily[DAILY_ITEMS[observation.instrument]] = whole(observation.row, 0, 10)
            else:
                scores.append(score_row(observation))
        except RowProblem as problem:
            problem.line = observation.line
            raise
    if len(notes) > 1:
        raise RowProblem("note", "the rows of one check-in carry different notes", members[-1].line)
    if daily:
        try:
            scores.append(score("daily", daily))
        except ScoringError as error:
            raise RowProblem(
                "instrument",
                f"a daily check needs daily_mood, daily_sleep and daily_stress at one time "
                f"({error})",
                members[0].line,
            ) from None
    first = members[0]
    return CheckInEntry(first.patient, first.observed_at, scores, next(iter(notes), ""))


def whole(row: dict[str, str], low: int, high: int) -> int:
    value = number(row, "score")
    if value != int(value) or not low <= value <= high:
        raise RowProblem("score", f"{row['score']} must be a whole number from {low} to {high}")
    return int(value)


def score_row(observation: Observation) -> Score:
    """Score a phq9, gad7, pcl5 or pain_nrs row with the core: from its items when given,
    else from its total (`score_total`)."""
    row, kind = observation.row, observation.instrument
    instrument = get_instrument(kind.value)
    item9 = None
    if row.get("item9"):
        if kind != ObservationKind.PHQ9:
            raise RowProblem("item9", "is only allowed on phq9 rows")
        item9 = whole({"score": row["item9"]}, 0, 3) if row["item9"] else None
    if row.get("items"):
        values = row["items"].split(";")
        if len(values) != len(instrument.items):
            raise RowProblem(
                "items",
                f"has {len(values)} answers; {kind.value} has {len(instrument.items)} "
                f"items ({';'.join(item.key for item in instrument.items)})",
            )
        try:
            answers = {
                item.key: int(value) if value.strip() else None
                for item, value in zip(instrument.items, values, strict=True)
            }
            scored = score(kind.value, answers)
        except (ValueError, ScoringError) as error:
            raise RowProblem("items", str(error)) from None
        if row.get("score") and (scored.total is None or number(row, "score") != scored.total):
            raise RowProblem("score", f"does not match the items' total ({scored.total})")
        if item9 is not None and answers.get("q9") != item9:
            raise RowProblem("item9", "does not match item 9 in items")
        return scored
    low, high = SCORE_RANGES[kind]
    if kind == ObservationKind.PAIN_NRS:
        return score(kind.value, {"pain": whole(row, int(low), int(high))})
    try:
        return score_total(kind.value, whole(row, int(low), int(high)), item9=item9)
    except ScoringError as error:
        raise RowProblem("item9" if error.item else "score", str(error)) from None
