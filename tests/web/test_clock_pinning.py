"""`pytest --clock` really moves the wall clock, so the pinned CI runs test what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow(seconds=10)

ROOT = Path(__file__).resolve().parents[2]
PROBE = "tests/clock_probe.py"


def run_probe(*args: str, expects: str, workers: int = 0) -> subprocess.CompletedProcess[str]:
    """Run the probe under pytest: in this process, or in `workers` pytest-xdist workers."""
    env = {k: v for k, v in os.environ.items() if k != "LASTING_TEST_CLOCK"}
    env["PROBE_EXPECTS"] = expects
    options = ["-q", "-p", "no:cacheprovider", "-n", str(workers)]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *options, *args, PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ci_instants() -> list[str]:
    lines = (ROOT / "tests/clocks.txt").read_text().splitlines()
    return [line for line in lines if line[:1].isdigit()]


def test_the_clock_starts_at_the_pinned_instant_in_a_worker_too():
    """The suite runs in pytest-xdist workers: the clock is pinned in each of them."""
    instant = ci_instants()[0]
    done = run_probe("--clock", instant, expects=instant, workers=1)
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_the_option_the_clock_is_the_real_one():
    done = run_probe(expects="2001-01-01T00:00:00+00:00")
    assert done.returncode != 0
    assert "assert" in done.stdout


def test_an_instant_without_an_offset_is_refused():
    done = run_probe("--clock", "2026-12-02T00:30:00", expects="2026-12-02T00:30:00+00:00")
    assert done.returncode != 0
    assert "has no offset" in done.stderr
