"""Background jobs for alerts: thin wrappers over services, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from lasting.alerts.escalation import escalate_overdue_alerts, notify_alert, notify_pending_alerts


@task()
def escalate_overdue_alerts_task() -> int:
    """Retry failed alert e-mails, then escalate overdue safety alerts; return escalations."""
    notify_pending_alerts()
    return len(escalate_overdue_alerts())


@task()
def notify_alert_task(alert_id: int) -> bool:
    """E-mail the clinicians about a new alert (once; retried by the periodic job)."""
    return notify_alert(alert_id)
