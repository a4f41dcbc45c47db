"""Enqueue Lasting's periodic jobs on a schedule (run by `lasting worker`).

Every job is idempotent (escalation marks each alert once under a row lock; a sweep
overwrites the day's assessment), so two schedulers running side by side cost CPU,
never correctness.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from lasting.accounts.models import Organization
from lasting.alerts.tasks import escalate_overdue_alerts_task
from lasting.api.tasks import purge_idempotency_keys_task
from lasting.audit.tasks import write_anchor_task
from lasting.costs.tasks import forecast_organization_task
from lasting.outcomes.tasks import refresh_outcomes_task
from lasting.outreach.tasks import plan_checkins_task, queue_reminders_task
from lasting.plans.tasks import sweep_organization_task
from lasting.risk.tasks import refresh_alert_performance_task

log = logging.getLogger("lasting.periodic")


@dataclass
class PeriodicJob:
    name: str
    every_seconds: float
    enqueue: Callable[[], object]
    last_enqueued: float | None = None

    def due(self, now: float) -> bool:
        return self.last_enqueued is None or now - self.last_enqueued >= self.every_seconds


def enqueue_sweeps() -> None:
    """One sweep job per organisation, so a network of clinics spreads over workers."""
    for organization_id in Organization.objects.values_list("pk", flat=True):
        sweep_organization_task.enqueue(organization_id)


def enqueue_planning() -> None:
    for organization_id in Organization.objects.values_list("pk", flat=True):
        plan_checkins_task.enqueue(organization_id)


def enqueue_cost_forecasts() -> None:
    """One cost-forecast job per organisation; each simulates only changed patients."""
    for organization_id in Organization.objects.values_list("pk", flat=True):
        forecast_organization_task.enqueue(organization_id)


def enqueue_alert_performance() -> None:
    """One replay of the last 12 months per organisation (the analytics page reads it)."""
    for organization_id in Organization.objects.values_list("pk", flat=True):
        refresh_alert_performance_task.enqueue(organization_id)


ALERT_PERFORMANCE_SECONDS = 24 * 3600  # the replay's figures move slowly: once a day
IDEMPOTENCY_PURGE_SECONDS = 3600  # keys are kept 7 days; an hour late is harmless


def enqueue_outcome_refreshes() -> None:
    """One job per organisation recomputes the stored outcome rows the analytics read."""
    for organization_id in Organization.objects.values_list("pk", flat=True):
        refresh_outcomes_task.enqueue(organization_id)


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob(
            "escalate overdue safety alerts",
            settings.ESCALATION_CHECK_SECONDS,
            lambda: escalate_overdue_alerts_task.enqueue(),
        ),
        PeriodicJob(
            "sweep every patient's risk",
            settings.RISK_SWEEP_MINUTES * 60,
            enqueue_sweeps,
        ),
        PeriodicJob(
            "forecast maintenance costs",
            settings.RISK_SWEEP_MINUTES * 60,
            enqueue_cost_forecasts,
        ),
        PeriodicJob(
            "replay the last 12 months' alerts",
            ALERT_PERFORMANCE_SECONDS,
            enqueue_alert_performance,
        ),
        PeriodicJob(
            "refresh clinic outcomes",
            settings.RISK_SWEEP_MINUTES * 60,
            enqueue_outcome_refreshes,
        ),
        PeriodicJob(
            "plan check-ins",
            settings.CHECKIN_PLANNING_MINUTES * 60,
            enqueue_planning,
        ),
        PeriodicJob(
            "send due reminders",
            settings.REMINDER_CHECK_SECONDS,
            lambda: queue_reminders_task.enqueue(),
        ),
        PeriodicJob(
            "anchor the audit trail",
            settings.AUDIT_ANCHOR_MINUTES * 60,
            lambda: write_anchor_task.enqueue(),
        ),
        PeriodicJob(
            "forget API idempotency keys older than 7 days",
            IDEMPOTENCY_PURGE_SECONDS,
            lambda: purge_idempotency_keys_task.enqueue(),
        ),
    ]


def run_scheduler(*, once: bool = False, tick_seconds: float = 5.0) -> None:
    """Enqueue each job whenever it falls due; with `once`, one pass and return."""
    jobs = periodic_jobs()
    while True:
        now = time.monotonic()
        for job in jobs:
            if job.due(now):
                try:
                    job.enqueue()
                except Exception:  # a busy database must not stop the schedule
                    log.exception("could not enqueue %s; trying again next tick", job.name)
                    continue
                job.last_enqueued = now
                log.info("enqueued: %s", job.name)
        if once:
            return
        time.sleep(tick_seconds)
