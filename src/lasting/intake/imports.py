"""The one door's bulk entrance: check-ins and sessions imported from another system.

The rules of `lasting.intake.services` hold, in a form that suits thousands of rows of
history (docs/formats.md#importing):

1. Everything is stored in one transaction through the apps' bulk writers
   (`checkins.writers.record_checkins_in_bulk`, `treatment.writers.log_sessions_in_bulk`),
   each score computed by the core (`lasting_core.instruments`), audited per patient.
2. Safety: every imported PHQ-9 with item 9 >= 1 and every note that matches the screening
   phrase list is reviewed by a clinician. Choice: one safety alert per patient and per
   kind of signal (item 9, note) for the whole file, naming how many answers it covers,
   the highest item 9 and the dates, marked `imported` and "needs review"
   (`alerts.services.open_historical_alert`): listed with the alerts and in the
   needs-review queue, never e-mailed or escalated, because the answers are history and
   one alert per answer would bury the clinic's live alerts.
3. Every imported patient is re-assessed once, after the commit (`plans.services.
   reassess_many_after_commit`), never once per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Organization
from lasting.alerts.models import Alert
from lasting.alerts.services import ITEM9_WORDS, note_drivers, open_historical_alert
from lasting.audit.services import Actor
from lasting.checkins import writers as checkin_writers
from lasting.checkins.models import Instrument, Response, Source
from lasting.checkins.writers import CheckInEntry
from lasting.patients.models import Patient
from lasting.plans.services import reassess_many_after_commit
from lasting.treatment import writers as treatment_writers
from lasting_core.instruments import InstrumentCode, Score, ScoreFlag
from lasting_core.screening import screen_note

__all__ = ["CheckInEntry", "ImportedCheckIns", "import_checkins", "import_sessions"]


@dataclass
class ImportedCheckIns:
    checkins: int = 0
    responses: int = 0
    alerts: list[Alert] = field(default_factory=list)
    phq9_without_item9: int = 0


def import_checkins(
    actor: Actor, organization: Organization, entries: Sequence[CheckInEntry]
) -> ImportedCheckIns:
    """Store imported check-ins (source "import"), open the historical safety alerts their
    answers and notes call for, and re-assess their patients once after the commit."""
    result = ImportedCheckIns(checkins=len(entries))
    if not entries:
        return result
    with transaction.atomic():
        checkin_ids = checkin_writers.record_checkins_in_bulk(
            actor, organization.pk, entries, source=Source.IMPORT
        )
        result.responses = sum(len(entry.scores) for entry in entries)
        phq9 = [
            (entry, checkin_id, score)
            for entry, checkin_id in zip(entries, checkin_ids, strict=True)
            for score in entry.scores
            if score.instrument == InstrumentCode.PHQ9
        ]
        result.phq9_without_item9 = sum(1 for _e, _c, score in phq9 if score.answers["q9"] is None)
        result.alerts = [*open_item9_alerts(phq9), *open_note_alerts(entries, checkin_ids)]
        patients = {entry.patient.pk: entry.patient for entry in entries}
        reassess_many_after_commit(list(patients.values()))
    return result


def open_item9_alerts(phq9: Sequence[tuple[CheckInEntry, int, Score]]) -> list[Alert]:
    """One alert per patient whose imported PHQ-9s answer item 9 with 1 or more."""
    positive: dict[int, list[tuple[CheckInEntry, int, int]]] = {}
    for entry, checkin_id, score in phq9:
        item9 = score.answers["q9"]
        if ScoreFlag.ITEM9_POSITIVE in score.flags and item9 is not None:
            positive.setdefault(entry.patient.pk, []).append((entry, checkin_id, item9))
    response_ids = dict(
        Response.objects.filter(
            checkin_id__in=[
                checkin_id for answers in positive.values() for _e, checkin_id, _i in answers
            ],
            instrument=Instrument.PHQ9,
        ).values_list("checkin_id", "pk")
    )
    alerts = []
    for answers in positive.values():
        answers.sort(key=lambda answer: answer[0].submitted_at)
        entry, checkin_id, highest = max(
            answers, key=lambda answer: (answer[2], answer[0].submitted_at)
        )
        patient = entry.patient
        first_on = today_in(patient.time_zone, answers[0][0].submitted_at)
        last_on = today_in(patient.time_zone, answers[-1][0].submitted_at)
        reason = (
            f"Imported history: PHQ-9 item 9 (thoughts of self-harm) answered 1 or more on "
            f"{len(answers)} check-in(s) from {first_on:%b %-d, %Y} to {last_on:%b %-d, %Y}, "
            f"at most {highest} of 3 ({ITEM9_WORDS[highest]}). Review the history."
        )
        alerts.append(
            open_historical_alert(
                patient,
                reason,
                drivers={
                    "historical": True,
                    "item9": highest,
                    "answers": len(answers),
                    "first_on": first_on.isoformat(),
                    "last_on": last_on.isoformat(),
                },
                opened_at=entry.submitted_at,
                response_id=response_ids[checkin_id],
            )
        )
    return alerts


def open_note_alerts(entries: Sequence[CheckInEntry], checkin_ids: Sequence[int]) -> list[Alert]:
    """One alert per patient whose imported notes match the screening phrase list."""
    matched: dict[int, list[tuple[CheckInEntry, int]]] = {}
    for entry, checkin_id in zip(entries, checkin_ids, strict=True):
        if entry.note and screen_note(entry.note).matched:
            matched.setdefault(entry.patient.pk, []).append((entry, checkin_id))
    alerts = []
    for notes in matched.values():
        latest, checkin_id = max(notes, key=lambda pair: pair[0].submitted_at)
        patient = latest.patient
        alerts.append(
            open_historical_alert(
                patient,
                f"Imported history: {len(notes)} note(s) matched the screening phrase list, "
                f"the latest on {today_in(patient.time_zone, latest.submitted_at):%b %-d, %Y}. "
                "Read the notes in the patient's check-ins.",
                drivers={
                    **note_drivers(screen_note(latest.note)),
                    "historical": True,
                    "notes": len(notes),
                    "checkin_id": checkin_id,
                },
                opened_at=latest.submitted_at,
                response_id=None,
            )
        )
    return alerts


def import_sessions(
    actor: Actor,
    organization: Organization,
    sessions: Mapping[Patient, Sequence[Mapping[str, Any]]],
) -> int:
    """Store imported sessions (each patient's in time order) and re-assess their
    patients once after the commit; return how many were stored."""
    if not sessions:
        return 0
    with transaction.atomic():
        stored = treatment_writers.log_sessions_in_bulk(actor, organization.pk, sessions)
        reassess_many_after_commit(list(sessions))
    return stored
