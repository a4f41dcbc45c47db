"""SIGKILL a worker in the middle of sending a reminder, run it again: the patient gets
the reminder exactly once: background jobs are delivered at least once, and a duplicate
reminder is what that must never cause (docs/clinical.md#check-ins-and-reminders).

Each step runs in its own process against a SQLite file and a real SMTP server on
127.0.0.1. The server holds its answer at the moment chosen, the test kills the sending
process there with SIGKILL, and a second process takes the reminder up after the lease.
The steps are forked from one process that loaded Django once (`reminder_process.py
serve`); the migrated file with its one queued reminder is built once and put back
before each test.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lasting.outreach.reminders import LEASE
from tests.smtp import Mailbox, smtp_listener

pytestmark = pytest.mark.slow(seconds=8)

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


def last_line(output: str) -> Any:
    return json.loads(output.strip().splitlines()[-1])


class Workers:
    """`reminder_process.py serve`: each step runs in a process forked from it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, str(PROCESS), "serve"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
        )
        self.pending = b""

    def start(self, *args: str) -> int:
        """Start a step in a new process; return that process's id."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(args).encode() + b"\n")
        self.process.stdin.flush()
        return int(self.read(timeout=120)["pid"])

    def ended(self) -> bool:
        """Whether the step started last has already ended (without waiting for it)."""
        assert self.process.stdout is not None
        return b"\n" in self.pending or bool(select.select([self.process.stdout], [], [], 0)[0])

    def read(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            assert left > 0, "no answer from the worker: " + self.log.read_text()[-3000:]
            if select.select([self.process.stdout], [], [], left)[0]:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                assert chunk, "the server stopped: " + self.log.read_text()[-3000:]
                self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return dict(json.loads(line))

    def step(self, *args: str) -> Any:
        """Run a step to its end in a process of its own; return what it printed."""
        self.start(*args)
        done = self.read(timeout=120)
        assert done.get("exit") == 0, self.log.read_text()[-3000:]
        return last_line(done["output"])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0, self.log.read_text()[-3000:]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Mailbox, Workers, Path, str]]:
    """A real SMTP server, the workers that send through it, and a copy of the migrated
    database holding Paul's queued reminder (with the reminder's id), built once."""
    var_dir = tmp_path_factory.mktemp("kill")
    with smtp_listener() as (mailbox, port):
        workers = Workers(environment(var_dir, port), var_dir / "workers.log")
        try:
            reminder_id = str(workers.step("setup"))
            queued = var_dir / "queued"
            queued.mkdir()
            for database in var_dir.glob("lasting.sqlite3*"):
                shutil.copy(database, queued / database.name)
            yield mailbox, workers, queued, reminder_id
        finally:
            workers.close()


@pytest.fixture
def reminder_id(served) -> str:
    """Put back the database as it was with the reminder just queued; return its id."""
    mailbox, _, queued, reminder_id = served
    for database in queued.parent.glob("lasting.sqlite3*"):
        database.unlink()
    for database in queued.glob("lasting.sqlite3*"):
        shutil.copy(database, queued.parent / database.name)
    mailbox.messages.clear()
    mailbox.recipients_asked.clear()
    return reminder_id


@pytest.fixture
def mailbox_and_workers(served, reminder_id) -> tuple[Mailbox, Workers]:
    return served[0], served[1]


def kill_while(workers: Workers, reminder_id: str, reached: Callable[[], bool]) -> None:
    """Start sending, wait until the server is holding the conversation, then SIGKILL."""
    sending = workers.start("send", reminder_id, "0")
    deadline = time.monotonic() + 60
    while not reached():
        assert not workers.ended(), "the sending process ended before the kill"
        assert time.monotonic() < deadline, "the sending process never reached the server"
        time.sleep(0.05)
    time.sleep(0.2)  # it is now blocked waiting for the server's answer
    os.kill(sending, signal.SIGKILL)
    assert workers.read(timeout=10)["signal"] == signal.SIGKILL


def test_killed_before_the_hand_over_the_next_worker_sends_it_once(
    reminder_id, mailbox_and_workers
):
    mailbox, workers = mailbox_and_workers
    mailbox.hold_rcpt.set()
    kill_while(workers, reminder_id, lambda: bool(mailbox.recipients_asked))
    mailbox.hold_rcpt.clear()
    # Within the lease nobody touches it (it stays "sending")...
    assert workers.step("send", reminder_id, "0")["said"] == "sending"
    # ...after it, a new worker sends it; a duplicate job delivery then sends nothing.
    assert workers.step("send", reminder_id, AFTER_LEASE)["said"] == "sent"
    again = workers.step("send", reminder_id, AFTER_LEASE)
    assert len(mailbox.messages) == 1
    assert again["said"] == "sent"
    assert again["attempts"] == 2
    assert [outcome for outcome, _ in again["log"]] == ["retry", "sent"]


def test_killed_after_the_hand_over_it_is_never_sent_twice(reminder_id, mailbox_and_workers):
    mailbox, workers = mailbox_and_workers
    mailbox.hold_data.set()
    kill_while(workers, reminder_id, lambda: bool(mailbox.messages))
    mailbox.hold_data.clear()
    assert workers.step("status", reminder_id)["status"] == "handed_over"
    assert workers.step("send", reminder_id, AFTER_LEASE)["said"] == "unknown"
    again = workers.step("send", reminder_id, AFTER_LEASE)
    assert len(mailbox.messages) == 1  # the one the killed worker handed over
    assert again["said"] == "unknown"
    assert again["log"] == [["unknown", "the worker stopped after handing over"]]
