"""Every write of the outreach app that staff make by hand: the log of reaching out."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.outreach.models import OutreachAttempt, OutreachChannel, OutreachOutcome
from lasting.patients.models import Patient


def log_outreach(
    actor: Actor,
    membership: Membership | None,
    patient: Patient,
    *,
    channel: OutreachChannel,
    outcome: OutreachOutcome,
    note: str = "",
) -> OutreachAttempt:
    """Record one attempt to reach a patient (the front desk and the clinical team); audited.

    The patient stays on the "Not checked in" list whatever the outcome: only a check-in
    takes them off it.
    """
    if not rules.can_edit_contact_details(membership) or (
        membership.organization_id != patient.organization_id
    ):
        raise PermissionDenied("Your role cannot log contact with patients.")
    assert actor.user_id is not None
    with transaction.atomic():
        attempt = OutreachAttempt.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            channel=channel,
            outcome=outcome,
            note=note.strip(),
            recorded_at=timezone.now(),
            recorded_by_id=actor.user_id,
        )
        record_event(
            actor,
            Action.CREATE,
            patient_id=patient.pk,
            organization_id=patient.organization_id,
            obj=attempt,
        )
    return attempt
