"""Background jobs for check-in schedules and reminders; each is safe to run twice."""

from __future__ import annotations

from django_tasks import task

from lasting.outreach.planning import plan_organization
from lasting.outreach.reminders import queue_reminders, send_reminder


@task()
def plan_checkins_task(organization_id: int) -> int:
    """Plan an organisation's check-ins for the coming days; return how many were new."""
    return plan_organization(organization_id)


@task()
def queue_reminders_task() -> int:
    """Create the reminders of open check-ins and enqueue those due; return how many."""
    due = queue_reminders()
    for reminder_id in due:
        send_reminder_task.enqueue(reminder_id)
    return len(due)


@task()
def send_reminder_task(reminder_id: int) -> str:
    """Send one reminder (at most once, whatever the queue delivers twice)."""
    return send_reminder(reminder_id)
