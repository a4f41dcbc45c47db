"""Reads of alerts, scoped to the reader's organisation and role."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.http import Http404

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.alerts.models import PRIORITY_RANK, Alert, AlertKind, AlertStatus, ContactAttempt
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient


def visible_alerts(membership: Membership | None) -> QuerySet[Alert]:
    """The alerts the member's role may see: safety alerts for those who handle them, and
    the engine's alerts too for clinicians; PermissionDenied for anyone else."""
    if not rules.can_handle_safety_alerts(membership):
        raise PermissionDenied("Only clinicians and nurses handle alerts.")
    alerts = Alert.objects.filter(organization_id=membership.organization_id)
    if not rules.can_review_alerts(membership):
        alerts = alerts.filter(kind=AlertKind.SAFETY)
    return alerts


def list_alerts_for(membership: Membership | None, *, open_only: bool = True) -> QuerySet[Alert]:
    """Alerts of the member's organisation, most pressing first."""
    alerts = visible_alerts(membership)
    if open_only:
        alerts = alerts.exclude(status=AlertStatus.RESOLVED)
    rank = Case(
        *(When(priority=priority, then=Value(order)) for priority, order in PRIORITY_RANK.items()),
        output_field=IntegerField(),
    )
    status_rank = Case(
        When(status=AlertStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        alerts.select_related("patient", "assigned_to", "acknowledged_by", "resolved_by")
        .annotate(status_rank=status_rank, priority_rank=rank)
        .order_by("status_rank", "priority_rank", "-opened_at")
    )


def get_alert_for(
    membership: Membership | None, alert_id: int, *, actor: Actor, action: Action = Action.READ
) -> Alert:
    """The alert if the member may act on it: 403 for a role that may not, 404 for an alert
    of another organisation or none at all (never reveal existence). Refusals are audited
    with `action` and the id that was asked for, outside any transaction of the caller's
    making, so they survive the refusal."""
    try:
        return (
            visible_alerts(membership)
            .select_related("patient", "organization", "acknowledged_by", "resolved_by")
            .get(pk=alert_id)
        )
    except (Alert.DoesNotExist, PermissionDenied) as refused:
        record_event(actor, action, outcome=Outcome.DENIED, object_ref=("Alert", alert_id))
        if isinstance(refused, PermissionDenied):
            raise
        if (
            rules.can_handle_safety_alerts(membership)
            and Alert.objects.filter(
                pk=alert_id, organization_id=membership.organization_id
            ).exists()
        ):
            raise PermissionDenied("Only clinicians review the engine's alerts.") from refused
        raise Http404("No such alert.") from refused


def list_patient_alerts_for(membership: Membership | None, patient: Patient) -> list[Alert]:
    """Every alert of one patient the member may see, newest first, with its contact
    attempts and the people named on it (3 queries)."""
    attempts = ContactAttempt.objects.select_related("recorded_by").order_by("recorded_at", "pk")
    return list(
        visible_alerts(membership)
        .filter(patient=patient)
        .select_related("patient", "assigned_to", "acknowledged_by", "resolved_by", "escalated_to")
        .prefetch_related(Prefetch("contact_attempts", queryset=attempts))
        .order_by("-opened_at", "-pk")
    )
