"""Periodic jobs go through the database task queue and the worker runs them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from lasting.accounts.models import Role
from lasting.alerts.models import Alert
from lasting.periodic import run_scheduler
from lasting.risk.models import RiskAssessment
from tests.factories import make_member, make_organization, make_patient, make_phq9

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_scheduler_enqueues_escalation_and_the_worker_runs_it():
    clinic = make_organization(alert_ack_sla_minutes=0)
    dr_ana = make_member(clinic, Role.CLINICIAN, "dr_ana")
    make_member(clinic, Role.CLINICIAN, "dr_ben")
    paul = make_patient(clinic, assigned_clinician=dr_ana.user)
    make_phq9(paul, 20, item9=2, submitted_at=timezone.now() - timedelta(minutes=1))
    alert = Alert.objects.get(patient=paul)

    # Opening the alert queued its notification; the scheduler queues the escalation.
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    run_scheduler(once=True)
    queued = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert queued == [
        "lasting.alerts.tasks.escalate_overdue_alerts_task",
        "lasting.alerts.tasks.notify_alert_task",
        "lasting.api.tasks.purge_idempotency_keys_task",
        "lasting.audit.tasks.write_anchor_task",
        "lasting.costs.tasks.forecast_organization_task",
        "lasting.outcomes.tasks.refresh_outcomes_task",
        "lasting.outreach.tasks.plan_checkins_task",
        "lasting.outreach.tasks.queue_reminders_task",
        "lasting.plans.tasks.sweep_organization_task",
        "lasting.risk.tasks.refresh_alert_performance_task",
    ]

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    alert.refresh_from_db()
    assert alert.notified_at is not None
    assert alert.escalated_at is not None
    assert alert.escalation_notified_at is not None
    assert RiskAssessment.objects.filter(patient=paul).exists()  # the sweep ran
    subjects = sorted(message.subject for message in mail.outbox)
    assert subjects == [
        "Lasting: a new safety alert",
        "Lasting: a safety alert is waiting for acknowledgement",
    ]
