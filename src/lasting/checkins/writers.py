"""Store a check-in: the writer behind the one door (`lasting.intake.services`).

Only `lasting.intake` and this app may import this module (an import-linter contract):
a check-in stored any other way would skip its safety alerts and re-assessment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event, record_patients_shown
from lasting.bulkinsert import insert_rows
from lasting.checkins.models import CheckIn, CheckInLink, Response, ScheduledCheckIn, Source
from lasting.checkins.services import (
    IdempotencyConflict,
    LinkError,
    LinkProblem,
    RecordedCheckIn,
    response_fields,
    response_from_score,
)
from lasting.patients.models import Patient
from lasting_core.instruments import Score


def fingerprint(patient: Patient, scores: Sequence[Score], note: str) -> str:
    """Hash who submitted what, to tell a retry from a different body under the same key."""
    body = {
        "patient": patient.pk,
        "responses": {str(score.instrument): dict(score.answers) for score in scores},
        "note": note,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def record_checkin(
    actor: Actor,
    patient: Patient,
    scores: Sequence[Score],
    *,
    source: Source = Source.LINK,
    link: CheckInLink | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    submitted_at: datetime | None = None,
) -> RecordedCheckIn:
    """Store a check-in and all its scored responses in one transaction.

    1. The same idempotency key with the same body returns the stored check-in (created=False).
    2. The same key with a different body raises IdempotencyConflict; nothing is stored.
    3. A used link raises LinkError(USED); the link is marked used in the same transaction.
    """
    body_hash = fingerprint(patient, scores, note)
    try:
        with transaction.atomic():
            # Lock the link first: a concurrent duplicate waits here, then finds the key.
            locked = (
                CheckInLink.objects.select_for_update().get(pk=link.pk)
                if link is not None
                else None
            )
            if idempotency_key:
                existing = CheckIn.objects.filter(
                    patient=patient, idempotency_key=idempotency_key
                ).first()
                if existing is not None:
                    return replay(existing, body_hash)
            submitted_at = submitted_at or timezone.now()
            if locked is not None:
                if locked.used_at is not None:
                    raise LinkError(LinkProblem.USED)
                locked.used_at = submitted_at
                locked.save(update_fields=["used_at"])
            checkin = CheckIn.objects.create(
                organization_id=patient.organization_id,
                patient=patient,
                submitted_at=submitted_at,
                source=source,
                link=link,
                idempotency_key=idempotency_key or None,
                body_hash=body_hash,
                note=note,
            )
            Response.objects.bulk_create([response_from_score(checkin, score) for score in scores])
            mark_scheduled_answered(checkin, [str(score.instrument) for score in scores])
            record_event(
                actor,
                Action.CREATE,
                patient_id=patient.pk,
                organization_id=patient.organization_id,
                obj=checkin,
            )
            return RecordedCheckIn(checkin, created=True)
    except IntegrityError:
        # A concurrent duplicate won the race on the unique key: answer as a retry.
        if not idempotency_key:
            raise
        existing = CheckIn.objects.get(patient=patient, idempotency_key=idempotency_key)
        return replay(existing, body_hash)


def mark_scheduled_answered(checkin: CheckIn, instruments: Sequence[str]) -> int:
    """Mark the scheduled check-ins this check-in answers; return how many.

    The one its link was sent for, and any other of the patient's scheduled check-ins
    open at the time whose first instrument was answered (a check-in entered in clinic
    during a window answers it too).
    """
    scheduled = ScheduledCheckIn.objects.filter(patient_id=checkin.patient_id, answered_by=None)
    in_window = scheduled.filter(
        opens_at__lte=checkin.submitted_at, expires_at__gt=checkin.submitted_at
    ).values_list("pk", "instruments")
    answered = [pk for pk, asked in in_window if asked and asked[0] in instruments]
    matches = models.Q(pk__in=answered)
    if checkin.link_id is not None:
        matches |= models.Q(link_id=checkin.link_id)
    return scheduled.filter(matches).update(answered_by=checkin)


def replay(existing: CheckIn, body_hash: str) -> RecordedCheckIn:
    if existing.body_hash != body_hash:
        raise IdempotencyConflict("This submission key was already used for different answers.")
    return RecordedCheckIn(existing, created=False)


@dataclass(frozen=True)
class CheckInEntry:
    """One check-in of an import: whose, when, its scored responses and its note."""

    patient: Patient
    submitted_at: datetime
    scores: Sequence[Score]
    note: str = ""


def record_checkins_in_bulk(
    actor: Actor, organization_id: int, entries: Sequence[CheckInEntry], *, source: Source
) -> list[int]:
    """Store many check-ins and their responses in a few statements; return the check-ins'
    ids, in the order of `entries`.

    The bulk twin of `record_checkin` for an import of history: the same rows (every
    answer, total, band, version and flags from the core's score, `response_fields`),
    without a link, an idempotency key or its body hash, and without marking scheduled
    check-ins answered (the windows of the past are not the file's). Inserted with
    prepared statements (`lasting.bulkinsert`). Audited once per patient (object type
    "CheckInImport").
    """
    checkin_ids = insert_rows(
        CheckIn,
        [
            {
                "organization_id": organization_id,
                "patient_id": entry.patient.pk,
                "submitted_at": entry.submitted_at,
                "source": source.value,
                "note": entry.note,
            }
            for entry in entries
        ],
        return_ids=True,
    )
    insert_rows(
        Response,
        [
            {
                "organization_id": organization_id,
                "checkin_id": checkin_id,
                "patient_id": entry.patient.pk,
                "observed_at": entry.submitted_at,
                **response_fields(score),
            }
            for checkin_id, entry in zip(checkin_ids, entries, strict=True)
            for score in entry.scores
        ],
    )
    record_patients_shown(
        actor,
        Action.CREATE,
        list(dict.fromkeys(entry.patient.pk for entry in entries)),
        organization_id=organization_id,
        list_name="CheckInImport",
    )
    return checkin_ids
