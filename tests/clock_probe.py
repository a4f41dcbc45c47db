"""Run only by test_clock_pinning.py, under `pytest --clock`: reports the clock it sees."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from django.utils import timezone


def test_every_clock_starts_at_the_pinned_instant():
    pinned = datetime.fromisoformat(os.environ["PROBE_EXPECTS"])
    for seen in (datetime.now(UTC), timezone.now()):
        assert pinned <= seen < pinned + timedelta(minutes=5)
