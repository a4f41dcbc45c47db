"""SIGKILL a worker in the middle of sending a reminder, run it again: the patient gets
the reminder exactly once: background jobs are delivered at least once, and a duplicate
reminder is what that must never cause (docs/clinical.md#check-ins-and-reminders).

Each step runs in its own process against a SQLite file and a real SMTP server on
127.0.0.1. The server holds its answer at the moment chosen, the test kills the sending
process there with SIGKILL, and a second process takes the reminder up after the lease.
The migrated file with its one queued reminder is built once and copied for each test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lasting.outreach.reminders import LEASE
from tests.smtp import smtp_listener

pytestmark = pytest.mark.slow(seconds=20)

PROCESS = Path(__file__).with_name("reminder_process.py")
ROOT = Path(__file__).resolve().parents[2]
AFTER_LEASE = str(LEASE.total_seconds() + 1)


def environment(var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LASTING_")}
    env |= {
        "LASTING_VAR_DIR": str(var_dir),
        "LASTING_SMTP_URL": f"smtp+plain://127.0.0.1:{port}",
        "LASTING_SECRET_KEY": "kill-test-" + "k" * 40,
        "PYTHONPATH": str(ROOT),
    }
    return env


def step(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, str(PROCESS), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def queued(tmp_path_factory) -> tuple[Path, str]:
    """A migrated SQLite file holding Paul's queued reminder, and the reminder's id."""
    var_dir = tmp_path_factory.mktemp("queued")
    reminder_id = str(step(environment(var_dir, 0), "setup"))
    return var_dir, reminder_id


def copy_of(queued: tuple[Path, str], var_dir: Path) -> str:
    """Copy the queued reminder's database into `var_dir`; return the reminder's id."""
    source, reminder_id = queued
    for database in source.glob("lasting.sqlite3*"):
        shutil.copy(database, var_dir / database.name)
    return reminder_id


def kill_while(env: dict[str, str], reminder_id: str, reached: Callable[[], bool]) -> None:
    """Start sending, wait until the server is holding the conversation, then SIGKILL."""
    sending = subprocess.Popen(
        [sys.executable, str(PROCESS), "send", reminder_id, "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not reached():
        assert sending.poll() is None, "the sending process ended before the kill"
        assert time.monotonic() < deadline, "the sending process never reached the server"
        time.sleep(0.05)
    time.sleep(0.2)  # it is now blocked waiting for the server's answer
    os.kill(sending.pid, signal.SIGKILL)
    assert sending.wait(timeout=10) == -signal.SIGKILL


def test_killed_before_the_hand_over_the_next_worker_sends_it_once(queued, tmp_path):
    reminder_id = copy_of(queued, tmp_path)
    with smtp_listener() as (mailbox, port):
        env = environment(tmp_path, port)
        mailbox.hold_rcpt.set()
        kill_while(env, reminder_id, lambda: bool(mailbox.recipients_asked))
        mailbox.hold_rcpt.clear()
        # Within the lease nobody touches it (it stays "sending")...
        assert step(env, "send", reminder_id, "0")["said"] == "sending"
        # ...after it, a new worker sends it; a duplicate job delivery then sends nothing.
        assert step(env, "send", reminder_id, AFTER_LEASE)["said"] == "sent"
        again = step(env, "send", reminder_id, AFTER_LEASE)
        assert len(mailbox.messages) == 1
    assert again["said"] == "sent"
    assert again["attempts"] == 2
    assert [outcome for outcome, _ in again["log"]] == ["retry", "sent"]


def test_killed_after_the_hand_over_it_is_never_sent_twice(queued, tmp_path):
    reminder_id = copy_of(queued, tmp_path)
    with smtp_listener() as (mailbox, port):
        env = environment(tmp_path, port)
        mailbox.hold_data.set()
        kill_while(env, reminder_id, lambda: bool(mailbox.messages))
        mailbox.hold_data.clear()
        assert step(env, "status", reminder_id)["status"] == "handed_over"
        assert step(env, "send", reminder_id, AFTER_LEASE)["said"] == "unknown"
        again = step(env, "send", reminder_id, AFTER_LEASE)
        assert len(mailbox.messages) == 1  # the one the killed worker handed over
    assert again["said"] == "unknown"
    assert again["log"] == [["unknown", "the worker stopped after handing over"]]
