"""One step of a reminder's life in its own process, for the kill tests.

    python tests/web/reminder_process.py setup            -> prints the reminder's id
    python tests/web/reminder_process.py send ID SECONDS  -> sends at now + SECONDS, then
                                                             prints what it says and the state
    python tests/web/reminder_process.py status ID        -> prints the state
    python tests/web/reminder_process.py serve            -> runs each step it reads

`serve` loads Django once, then reads steps from stdin, one JSON list a line (e.g.
["send", "7", "0"]), and runs each in a new process forked from itself: a worker of its
own, which can be SIGKILLed, without paying Django's start-up again. For each step it
prints {"pid": PID} when the step starts, then {"exit": CODE, "output": TEXT} or
{"signal": N, "output": TEXT} when it ends. No database connection is open at the fork:
the server itself never touches the database.

The database is the SQLite file in LASTING_VAR_DIR; e-mail goes to LASTING_SMTP_URL.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from datetime import time, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lasting.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.urls import get_resolver  # noqa: E402
from django.utils import timezone  # noqa: E402

from lasting.accounts.models import Organization  # noqa: E402
from lasting.checkins.models import ScheduledCheckIn  # noqa: E402
from lasting.outreach.models import ContactPreference, Reminder  # noqa: E402
from lasting.outreach.reminders import queue_reminders, send_reminder  # noqa: E402
from lasting.patients.models import Patient  # noqa: E402


def setup() -> int:
    call_command("migrate", "--no-input", verbosity=0)
    clinic = Organization.objects.create(name="Kill Test Clinic", slug="kill-test")
    paul = Patient.objects.create(
        organization=clinic,
        record_number="K-1",
        given_name="Paul",
        family_name="Kill",
        date_of_birth="1980-05-17",
        email="paul@example.org",
    )
    ContactPreference.objects.create(
        organization=clinic, patient=paul, quiet_from=time(0, 0), quiet_until=time(0, 0)
    )
    now = timezone.now()
    ScheduledCheckIn.objects.create(
        organization=clinic,
        patient=paul,
        key="maintenance:kill",
        reason="maintenance",
        instruments=["phq9", "gad7"],
        due_on=now.date(),
        opens_at=now - timedelta(hours=1),
        expires_at=now + timedelta(days=2),
    )
    (reminder_id,) = queue_reminders(now)
    return reminder_id


def state(reminder_id: int) -> dict[str, object]:
    reminder = Reminder.objects.get(pk=reminder_id)
    log = list(reminder.attempts_log.values_list("outcome", "detail"))
    return {"status": reminder.status, "attempts": reminder.attempts, "log": log}


def run_forked(argv: list[str]) -> None:
    """Run one step in a forked process; report its pid, then how it ended and its output."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 1
        try:
            with os.fdopen(write_end, "w") as out, contextlib.redirect_stdout(out):
                main(argv)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    print(json.dumps({"pid": pid}), flush=True)
    with os.fdopen(read_end) as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    ended = (
        {"signal": os.WTERMSIG(status)}
        if os.WIFSIGNALED(status)
        else {"exit": os.WEXITSTATUS(status)}
    )
    print(json.dumps({**ended, "output": output}), flush=True)


def serve() -> None:
    # Load what every step would otherwise load again: the URL configuration (the link in
    # the message), which imports the chart modules.
    get_resolver().url_patterns  # noqa: B018
    for line in sys.stdin:
        run_forked([sys.argv[0], *json.loads(line)])


def main(argv: list[str]) -> None:
    step = argv[1]
    if step == "serve":
        serve()
    elif step == "setup":
        print(setup())
    elif step == "send":
        now = timezone.now() + timedelta(seconds=float(argv[3]))
        said = send_reminder(int(argv[2]), now)
        print(json.dumps({"said": said, **state(int(argv[2]))}))
    elif step == "status":
        print(json.dumps(state(int(argv[2]))))
    else:
        sys.exit(f"unknown step {step!r}")


if __name__ == "__main__":
    main(sys.argv)
