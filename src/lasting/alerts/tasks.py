"""Background jobs for alerts: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from lasting.alerts.services import escalate_overdue_alerts


@task()
def escalate_overdue_alerts_task() -> int:
    """Escalate overdue safety alerts; return how many escalated."""
    return len(escalate_overdue_alerts())
