"""Write an organisation's patients, sessions and check-ins as the import files.

patients.csv, sessions.csv and observations.csv in exactly the form `lasting import`
reads (docs/formats.md#importing), so an export imported into an empty organisation
gives the same records. Times are written on the patient's clock with its offset; a text
cell a spreadsheet would run as a formula gets a leading ' (the import takes it off).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from lasting.accounts.models import Organization
from lasting.checkins.models import Instrument, Response
from lasting.csvimport import (
    DAILY_ITEMS,
    FORMULA_START,
    OBSERVATION_COLUMNS,
    OBSERVATION_OPTIONAL,
    PATIENT_COLUMNS,
    PATIENT_OPTIONAL,
    SESSION_COLUMNS,
)
from lasting.patients.models import Course, Patient
from lasting.treatment.models import TreatmentSession
from lasting_core.instruments import get_instrument

DAILY_COLUMNS = {item: kind.value for kind, item in DAILY_ITEMS.items()}


def safe(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_START) else text


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def number_text(value: float) -> str:
    return f"{value:g}" if value == int(value) else repr(value)


def to_csv(header: tuple[str, ...], rows: Iterator[list[str]]) -> tuple[str, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return buffer.getvalue(), count


def patients_csv(organization: Organization) -> tuple[str, list[int]]:
    """patients.csv of the organisation, in record-number order; and the patients' ids."""
    patients = list(Patient.objects.filter(organization=organization).order_by("record_number"))
    first_course = dict(
        Course.objects.filter(organization=organization, number=1).values_list(
            "patient_id", "started_on"
        )
    )

    def rows() -> Iterator[list[str]]:
        for patient in patients:
            started_on = first_course.get(patient.pk)
            yield [
                safe(patient.record_number),
                safe(patient.given_name),
                safe(patient.family_name),
                patient.date_of_birth.isoformat(),
                patient.time_zone,
                patient.preferred_language,
                patient.email,
                patient.phone,
                ";".join(patient.diagnoses),
                yes_no(patient.concurrent_antidepressant),
                safe(patient.antidepressant_name),
                yes_no(patient.in_therapy),
                yes_no(patient.portal_access),
                started_on.isoformat() if started_on else "",
            ]

    text, _count = to_csv((*PATIENT_COLUMNS, *PATIENT_OPTIONAL), rows())
    return text, [patient.pk for patient in patients]


def patient_clocks(organization: Organization) -> dict[int, tuple[str, ZoneInfo]]:
    return {
        pk: (number, ZoneInfo(zone))
        for pk, number, zone in Patient.objects.filter(organization=organization).values_list(
            "pk", "record_number", "time_zone"
        )
    }


def sessions_csv(organization: Organization) -> tuple[str, list[int]]:
    """sessions.csv of the organisation, patient by patient, oldest first."""
    clocks = patient_clocks(organization)
    sessions = (
        TreatmentSession.objects.filter(organization=organization)
        .order_by("patient_id", "started_at", "pk")
        .values_list("patient_id", "started_at", "kind", "route", "dose_mg")
    )
    exported: dict[int, None] = {}

    def rows() -> Iterator[list[str]]:
        for patient_id, started_at, kind, route, dose_mg in sessions.iterator(chunk_size=5000):
            number, zone = clocks[patient_id]
            exported[patient_id] = None
            yield [safe(number), started_at.astimezone(zone).isoformat(), kind, route, f"{dose_mg}"]

    text, _count = to_csv(SESSION_COLUMNS, rows())
    return text, list(exported)


def observations_csv(organization: Organization) -> tuple[str, list[int]]:
    """observations.csv of the organisation: one row per instrument (a daily check one row
    per answered item), every answer in `items`, the check-in's note on its first row."""
    clocks = patient_clocks(organization)
    responses = (
        Response.objects.filter(organization=organization)
        .order_by("patient_id", "observed_at", "checkin_id", "pk")
        .values_list(
            "patient_id",
            "checkin_id",
            "observed_at",
            "instrument",
            "answers",
            "total",
            "checkin__note",
        )
    )
    exported: dict[int, None] = {}

    def rows() -> Iterator[list[str]]:
        noted: set[int] = set()
        for patient_id, checkin_id, observed_at, code, answers, total, note in responses.iterator(
            chunk_size=5000
        ):
            number, zone = clocks[patient_id]
            exported[patient_id] = None
            moment = observed_at.astimezone(zone).isoformat()
            first = checkin_id not in noted
            noted.add(checkin_id)
            note_text = safe(note) if first else ""
            if code == Instrument.DAILY:
                for item, value in answers.items():
                    if value is not None:
                        yield [
                            safe(number),
                            moment,
                            DAILY_COLUMNS[item],
                            str(value),
                            "",
                            "",
                            note_text,
                        ]
                        note_text = ""
                continue
            yield [
                safe(number),
                moment,
                code,
                "" if total is None else number_text(total),
                item9_text(code, answers),
                items_text(code, answers, total),
                note_text,
            ]

    text, _count = to_csv((*OBSERVATION_COLUMNS, *OBSERVATION_OPTIONAL), rows())
    return text, list(exported)


def item9_text(code: str, answers: dict[str, int | None]) -> str:
    value = answers.get("q9") if code == Instrument.PHQ9 else None
    return "" if value is None else str(value)


def items_text(code: str, answers: dict[str, int | None], total: float | None) -> str:
    """Every answer in item order; empty for pain NRS (the score is its answer) and for a
    summary score, known by its total (and item 9) alone."""
    if code == Instrument.PAIN_NRS:
        return ""
    instrument = get_instrument(code)
    others = [answers.get(item.key) for item in instrument.items if item.key != "q9"]
    if total is not None and all(value is None for value in others):
        return ""
    return ";".join(
        "" if answers.get(item.key) is None else str(answers[item.key]) for item in instrument.items
    )
