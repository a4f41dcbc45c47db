"""The patient-facing check-in: store the answers and open safety alerts in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from lasting.alerts.services import open_safety_alerts
from lasting.audit.services import Actor
from lasting.checkins.models import CheckInLink, Source
from lasting.checkins.services import RecordedCheckIn, record_checkin
from lasting_core.instruments import Score


@transaction.atomic
def submit_checkin_by_link(
    actor: Actor, link: CheckInLink, scores: Sequence[Score], idempotency_key: str, note: str
) -> RecordedCheckIn:
    """Record the check-in; a safety alert is committed with it or not at all."""
    recorded = record_checkin(
        actor,
        link.patient,
        scores,
        source=Source.LINK,
        link=link,
        idempotency_key=idempotency_key,
        note=note,
    )
    if recorded.created:
        open_safety_alerts(recorded.checkin)
    return recorded
