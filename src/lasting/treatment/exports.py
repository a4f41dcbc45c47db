"""The life-context export: life events, medication changes and therapy as one CSV file.

The format (`life_context.csv`) is documented in docs/formats.md. It carries no names and
no notes: patient ids, dates on the patient's calendar and coded values, for analysis
beside `observations.csv` and `sessions.csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping

from lasting.treatment.queries import LifeContext

# Columns typed by people; a spreadsheet would run a cell starting with one of FORMULA.
FREE_TEXT = ("drug_name", "dose", "therapy")
FORMULA = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "patient_id",
    "on",
    "record",
    "kind",
    "weight",
    "drug_class",
    "drug_name",
    "dose",
    "therapy",
    "source",
)


def life_context_rows(contexts: Mapping[int, LifeContext]) -> Iterator[dict[str, str]]:
    """Yield one row per life event, medication change and therapy entry, per patient by
    date (life events, then medication, then therapy on the same day)."""
    for patient_id, context in contexts.items():
        rows: list[dict[str, str]] = []
        for event in context.life_events:
            rows.append(
                {
                    "on": event.occurred_on.isoformat(),
                    "record": "life_event",
                    "kind": event.kind,
                    "weight": str(event.weight),
                    "source": event.source,
                }
            )
        for change in context.medication_changes:
            rows.append(
                {
                    "on": change.changed_on.isoformat(),
                    "record": "medication",
                    "kind": change.change,
                    "drug_class": change.drug_class,
                    "drug_name": change.drug_name,
                    "dose": change.dose_text,
                    "source": change.source,
                }
            )
        for therapy in context.therapy:
            rows.append(
                {
                    "on": therapy.occurred_on.isoformat(),
                    "record": "therapy",
                    "kind": therapy.kind,
                    "therapy": therapy.therapy,
                    "source": therapy.source,
                }
            )
        # A stable sort keeps the record order within a day.
        for row in sorted(rows, key=lambda row: row["on"]):
            cells = {column: row.get(column, "") for column in COLUMNS}
            for column in FREE_TEXT:
                if cells[column].startswith(FORMULA):
                    cells[column] = "'" + cells[column]
            yield cells | {"patient_id": str(patient_id)}


def life_context_csv(contexts: Mapping[int, LifeContext]) -> str:
    """The whole file as text: a header row, then `life_context_rows`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(life_context_rows(contexts))
    return out.getvalue()
