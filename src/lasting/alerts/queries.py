"""Reads of alerts, scoped to the reader's organisation and role."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, QuerySet, Value, When

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.alerts.models import PRIORITY_RANK, Alert, AlertStatus


def list_alerts_for(membership: Membership | None, *, open_only: bool = True) -> QuerySet[Alert]:
    """Alerts of the member's organisation, most pressing first."""
    if not rules.can_review_alerts(membership):
        raise PermissionDenied("Only clinicians review alerts.")
    alerts = Alert.objects.filter(organization_id=membership.organization_id)
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
        alerts.select_related("patient", "assigned_to", "acknowledged_by")
        .annotate(status_rank=status_rank, priority_rank=rank)
        .order_by("status_rank", "priority_rank", "-opened_at")
    )
