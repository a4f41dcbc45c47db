"""The episode rule the replay and the app share (lasting_core.engine.episodes)."""

from __future__ import annotations

import math

import numpy as np

from lasting_core.engine.episodes import (
    WarningEnd,
    disengagement_ends,
    early_warning_end,
    early_warning_ends,
)

QUIET = 21.0


def end(
    day: float = 115.0,
    *,
    holds: bool = False,
    last_session_day: float | None = 90.0,
    last_relapse_day: float | None = None,
) -> WarningEnd:
    """An episode that opened on day 100, the warning last held on day 110."""
    return early_warning_end(
        day,
        holds=holds,
        start_day=100.0,
        last_warning_day=110.0,
        last_session_day=last_session_day,
        last_relapse_day=last_relapse_day,
        quiet_days=QUIET,
    )


def test_an_episode_goes_on_while_nothing_ended_it() -> None:
    assert end() == WarningEnd.OPEN


def test_a_relapse_on_the_day_it_opened_or_later_ends_it() -> None:
    assert end(last_relapse_day=100.4) == WarningEnd.RELAPSE
    assert end(last_relapse_day=99.9) == WarningEnd.OPEN


def test_a_session_on_a_later_day_ends_it_but_not_one_on_its_first_day() -> None:
    assert end(last_session_day=101.2) == WarningEnd.SESSION
    assert end(last_session_day=100.8) == WarningEnd.OPEN


def test_a_relapse_takes_precedence_over_a_session() -> None:
    assert end(last_session_day=105.0, last_relapse_day=108.0) == WarningEnd.RELAPSE


def test_quiet_days_without_the_warning_end_it() -> None:
    assert end(day=110.0 + QUIET) == WarningEnd.QUIET
    assert end(day=110.0 + QUIET - 1) == WarningEnd.OPEN


def test_a_warning_that_holds_again_on_the_quiet_day_keeps_its_episode() -> None:
    """Seen daily, the warning's return on day 131 comes before day 131 ends it quietly."""
    assert end(day=110.0 + QUIET, holds=True) == WarningEnd.OPEN
    assert end(day=110.0 + QUIET + 1, holds=True) == WarningEnd.QUIET


def test_the_array_form_agrees_with_one_patient_at_a_time() -> None:
    rng = np.random.default_rng(16)
    n = 400
    start = rng.integers(0, 50, n).astype(float)
    last_warning = start + rng.integers(0, 30, n)
    day = last_warning + rng.integers(0, 30, n)
    holds = rng.random(n) < 0.5
    session = np.where(rng.random(n) < 0.3, start + rng.uniform(-5, 40, n), np.nan)
    relapse = np.where(rng.random(n) < 0.2, start + rng.uniform(-5, 40, n), np.nan)
    codes = early_warning_ends(day, holds, start, last_warning, session, relapse, QUIET)
    for i in range(n):
        one = early_warning_end(
            float(day[i]),
            holds=bool(holds[i]),
            start_day=float(start[i]),
            last_warning_day=float(last_warning[i]),
            last_session_day=None if math.isnan(session[i]) else float(session[i]),
            last_relapse_day=None if math.isnan(relapse[i]) else float(relapse[i]),
            quiet_days=QUIET,
        )
        assert codes[i] == one
    assert set(codes.tolist()) == {int(end) for end in WarningEnd}


def test_a_disengagement_of_one_day_fold_ends_at_the_next_check_in() -> None:
    assert not disengagement_ends(60.0, True, 59.0, 1.0)
    assert disengagement_ends(60.0, False, 59.0, 1.0)


def test_a_new_silence_within_the_fold_joins_the_open_disengagement_episode() -> None:
    """Disengaged until day 59, back in contact, disengaged again on day 75."""
    assert not disengagement_ends(75.0, True, 59.0, 28.0)
    assert disengagement_ends(88.0, True, 59.0, 28.0)
    assert disengagement_ends(np.array([75.0, 88.0]), True, 59.0, 28.0).tolist() == [False, True]
