"""Writes started from the clinic's pages that span several apps."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.alerts.services import submit_checkin
from lasting.audit.services import Actor
from lasting.checkins.models import Source
from lasting.checkins.services import RecordedCheckIn
from lasting.patients.models import Patient
from lasting.plans.services import refresh_patient
from lasting_core.instruments import Score

log = logging.getLogger("lasting.clinic")


def enter_clinic_checkin(
    actor: Actor,
    membership: Membership | None,
    patient: Patient,
    scores: Sequence[Score],
    *,
    taken_at: datetime,
    idempotency_key: str,
    now: datetime | None = None,
) -> RecordedCheckIn:
    """Store a questionnaire taken in clinic, as the patient's own check-in would be.

    1. Only clinicians and nurses of the patient's organisation may enter one.
    2. It is stored through ``submit_checkin`` (source "clinic", dated when it was
       taken), so a positive or missing item 9 opens its safety alert in the same
       transaction, exactly as for a check-in from a link.
    3. The patient is re-assessed at once; a PHQ-9 taken before the first induction
       session becomes the baseline (DESIGN 2).
    """
    if not rules.can_enter_checkins(membership) or (
        membership.organization_id != patient.organization_id
    ):
        raise PermissionDenied("Your role cannot enter check-ins.")
    if taken_at > (now or timezone.now()):
        raise ValidationError("The time taken cannot be in the future.")
    recorded = submit_checkin(
        actor,
        patient,
        scores,
        source=Source.CLINIC,
        idempotency_key=idempotency_key,
        submitted_at=taken_at,
    )
    if recorded.created:
        try:
            refresh_patient(patient)
        except Exception:  # the check-in and its alerts are stored; the next sweep assesses
            log.exception("patient %s: re-assessment after a clinic check-in failed", patient.pk)
    return recorded
