"""Background jobs for the engine's adapter: the daily alert performance, one organisation
per job."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from lasting.risk.performance import refresh_alert_performance


@task()
def refresh_alert_performance_task(organization_id: int) -> int:
    """Replay the organisation's last 12 months; safe to run twice (one row per day)."""
    return refresh_alert_performance(organization_id, timezone.now()).patients_replayed
