"""Shared test set-up: fast hashing, the longest modules first, and a wall clock that can be
pinned for the whole run (in every pytest-xdist worker).

`--clock 2026-12-02T00:30:00Z` (or LASTING_TEST_CLOCK) starts the run at that UTC instant,
the clock ticking on from there, so a test that builds "today" from the wrong clock (the
server's UTC date where the code uses the organisation's or the patient's) fails at any
hour of the day it would fail at in CI. `.ci/run` runs the suite at each instant of
`tests/clocks.txt`: just after and just before UTC midnight, and on both US
daylight-saving change days.
"""

from __future__ import annotations

import os
import string
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import django.middleware.csrf
import hypothesis
import pytest
import time_machine
from django.conf import settings

pytest_plugins = ["tests.logscan"]

# Property tests check correctness, not speed: on a shared 2-core machine one example can
# take longer than Hypothesis's default 200 ms deadline without anything being wrong.
hypothesis.settings.register_profile("lasting", deadline=None)
hypothesis.settings.load_profile("lasting")

# A page's CSRF tokens are random, of mixed case: one spelled "GAD" on a page a test
# checks for the absence of "GAD". In tests they are drawn from lower-case letters and
# digits (Django's token functions read this module constant when called), so no word
# with a capital letter can appear in one by chance.
django.middleware.csrf.CSRF_ALLOWED_CHARS = string.ascii_lowercase + string.digits

CLOCK_ENV = "LASTING_TEST_CLOCK"
E2E_SECONDS = 4.0  # about what one real-browser test takes
_pinned: list[time_machine.travel] = []


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="INSTANT",
        default=os.environ.get(CLOCK_ENV, ""),
        help="start the wall clock at this UTC instant (ISO 8601, e.g. 2026-12-02T00:30:00Z)",
    )


def parse_instant(text: str) -> datetime:
    """Return the aware UTC instant an ISO 8601 string names; a bare time is refused."""
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as error:
        raise pytest.UsageError(f"--clock {text!r} is not an ISO 8601 date and time") from error
    if instant.tzinfo is None:
        raise pytest.UsageError(f"--clock {text!r} has no offset: write it in UTC, with Z")
    return instant.astimezone(UTC)


def pytest_configure(config: pytest.Config) -> None:
    # Argon2 costs ~0.1 s a hash; tests check behaviour, not hashing strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test process anchors its own audit trail, never the installation's var/.
    settings.AUDIT_ANCHOR_FILE = Path(tempfile.mkdtemp(prefix="lasting-anchors-")) / "anchors"
    if text := config.getoption("--clock"):
        traveller = time_machine.travel(parse_instant(text), tick=True)
        traveller.start()
        _pinned.append(traveller)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start with the longest modules: `slow(seconds=…)`, then the browser tests (`e2e`).

    pytest-xdist hands each worker whole modules in this order; a module of 20 seconds
    handed out last would leave one core idle while the other finishes it. The order
    within a module, and among the rest, stays as collected.
    """

    def seconds(item: pytest.Item) -> float:
        if slow := item.get_closest_marker("slow"):
            return float(slow.kwargs.get("seconds", E2E_SECONDS))
        return E2E_SECONDS if item.get_closest_marker("e2e") else 0.0

    items.sort(key=seconds, reverse=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _pinned:
        _pinned.pop().stop()


def pytest_report_header(config: pytest.Config) -> str:
    text = config.getoption("--clock")
    return f"wall clock pinned: starts at {parse_instant(text):%Y-%m-%dT%H:%M:%SZ}" if text else ""
