"""The production task backend: jobs go through RQ on Redis and an RQ worker runs them
(`LASTING_TASK_BACKEND=rq`, see README.md). Needs the Redis at LASTING_TEST_REDIS_URL (default
127.0.0.1:6379, database 15, emptied before and after); CI sets LASTING_REQUIRE_REDIS=1,
so a missing Redis fails there instead of skipping."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import time, timedelta

import django_rq
import pytest
import redis
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus
from django_tasks_rq import Job
from rq import SimpleWorker

from lasting.checkins.models import ScheduledCheckIn
from lasting.cli import worker_commands
from lasting.outreach.models import ContactPreference, Reminder, ReminderStatus
from lasting.outreach.tasks import queue_reminders_task, send_reminder_task
from tests.factories import make_organization, make_patient

pytestmark = [pytest.mark.slow(seconds=5), pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("LASTING_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


@pytest.fixture
def rq_backend() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        message = f"no Redis at {REDIS_URL}"
        if os.environ.get("LASTING_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    connection.flushdb()
    queues = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}}
    with override_settings(TASKS=RQ_TASKS, RQ_QUEUES=queues):
        assert type(task_backends["default"]).__name__ == "RQBackend"
        yield connection
    connection.flushdb()


def run_rq_worker() -> None:
    """An RQ worker in burst mode: runs what is queued, then returns (in this process,
    so it sees the test database)."""
    worker = django_rq.get_worker("default", job_class=Job, worker_class=SimpleWorker)
    worker.work(burst=True)


def test_reminder_jobs_run_through_rq_and_send_once(rq_backend):
    clinic = make_organization()
    paul = make_patient(clinic, email="paul@example.org")
    now = timezone.now()
    ScheduledCheckIn.objects.create(
        organization=clinic,
        patient=paul,
        key="maintenance:rq",
        reason="maintenance",
        instruments=["phq9", "gad7"],
        due_on=now.date(),
        opens_at=now - timedelta(hours=2),
        expires_at=now + timedelta(days=2),
    )
    # No quiet hours in the way, whatever the hour the test runs at.
    ContactPreference.objects.create(
        organization=clinic, patient=paul, quiet_from=time(0, 0), quiet_until=time(0, 0)
    )
    queued = queue_reminders_task.enqueue()
    assert rq_backend.llen("rq:queue:default") == 1  # the job waits in Redis
    # The worker runs queue_reminders_task, which enqueues send_reminder_task through
    # RQ, and (bursting until the queue is empty) runs that too.
    run_rq_worker()
    queued.refresh()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert queued.return_value == 1
    assert rq_backend.llen("rq:queue:default") == 0

    reminder = Reminder.objects.get()
    assert reminder.status == ReminderStatus.SENT
    assert len(mail.outbox) == 1

    # At-least-once delivery: the same job delivered again sends nothing more.
    again = send_reminder_task.enqueue(reminder.pk)
    run_rq_worker()
    again.refresh()
    assert again.status == TaskResultStatus.SUCCESSFUL
    assert again.return_value == "sent"
    assert len(mail.outbox) == 1


def test_lasting_worker_runs_an_rq_worker_with_the_rq_backend(rq_backend):
    """`lasting worker` with LASTING_TASK_BACKEND=rq starts RQ's worker (here in burst
    mode, so it returns once the queue is empty)."""
    with override_settings(TASK_BACKEND="rq"):
        runner, scheduler = worker_commands()
    assert "rqworker" in runner
    assert "django_tasks_rq.Job" in runner
    assert scheduler[-1] == "scheduler"
    env = os.environ | {
        "LASTING_TASK_BACKEND": "rq",
        "LASTING_REDIS_URL": REDIS_URL,
        "LASTING_VAR_DIR": os.environ.get("LASTING_VAR_DIR", "var"),
    }
    done = subprocess.run(
        [*runner, "--burst"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Listening on default" in done.stderr + done.stdout
