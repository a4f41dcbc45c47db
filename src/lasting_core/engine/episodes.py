"""When an engine alert's episode ends: one rule for the replay and for the app.

Only an episode's first day raises an alert, so a clinician sees one alert per episode
(docs/engine.md 2.8). The replay applies these rules to arrays of patients, one calendar
day at a time; the app applies them to one patient at each assessment, from the alerts
it has stored. Every function takes numbers or numpy arrays alike. Days are calendar
days (the integer part of an engine day number, on the patient's clock); NaN means
"never".

- Early warning: an episode ends, in this order of precedence, (1) at a relapse
  confirmed on or after the day it opened, (2) at a session on a later day than the one
  it opened on (treatment intervened), or (3) once the warning has not held for
  ``quiet_days`` days in a row (recovered). Only then can a new one open.
- Relapse: one episode per confirmation day.
- Disengagement: opens on the day check-ins count as missed; ends once the patient has
  been back in contact for ``fold_days`` days in a row. A new silence within that time is
  the same episode, so a patient who keeps drifting away and back raises one alert, not
  one per silence (``fold_days`` = 1: each silence is its own episode, ending at the next
  check-in).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Days = float | FloatArray


class WarningEnd(IntEnum):
    """Why an early-warning episode ended (``OPEN``: it has not)."""

    OPEN = 0
    RELAPSE = 1
    SESSION = 2
    QUIET = 3

    @property
    def reason(self) -> str:
        """Return the end reason as the replay's episodes name it."""
        return self.name.lower()


def early_warning_ends(
    day: Days,
    holds: bool | npt.NDArray[np.bool_],
    start_day: Days,
    last_warning_day: Days,
    last_session_day: Days,
    last_relapse_day: Days,
    quiet_days: float,
) -> IntArray:
    """Return why each open early-warning episode has ended by ``day`` (a WarningEnd code).

    ``holds`` says whether the warning holds on ``day``; ``last_warning_day`` is the last
    day before it on which the warning held (the day it opened at the latest). The
    episode ended quietly when, on some day from then to ``day`` on which the warning did
    not hold, ``quiet_days`` had passed since it last held: on ``day`` itself when it does
    not hold, otherwise by the day before.
    """
    relapse = np.floor(last_relapse_day) >= start_day
    session = np.floor(last_session_day) > start_day
    quiet = _quiet_for(day, holds, last_warning_day, quiet_days)
    ends: IntArray = np.select(
        [relapse, session, quiet],
        [WarningEnd.RELAPSE, WarningEnd.SESSION, WarningEnd.QUIET],
        WarningEnd.OPEN,
    ).astype(np.int64)
    return ends


def early_warning_end(
    day: float,
    *,
    holds: bool,
    start_day: float,
    last_warning_day: float,
    last_session_day: float | None,
    last_relapse_day: float | None,
    quiet_days: float,
) -> WarningEnd:
    """Return why one patient's open early-warning episode has ended by ``day``."""
    code = early_warning_ends(
        day,
        holds,
        start_day,
        last_warning_day,
        np.nan if last_session_day is None else last_session_day,
        np.nan if last_relapse_day is None else last_relapse_day,
        quiet_days,
    )
    return WarningEnd(int(code))


def disengagement_ends(
    day: Days,
    holds: bool | npt.NDArray[np.bool_],
    last_disengaged_day: Days,
    fold_days: float,
) -> npt.NDArray[np.bool_]:
    """Return whether each open disengagement episode has ended by ``day``.

    ``holds`` says whether the patient is disengaged on ``day``; ``last_disengaged_day``
    is the last day before it on which they were. The episode ended once they had been in
    contact for ``fold_days`` days in a row (the same count as an early warning's quiet
    days).
    """
    return _quiet_for(day, holds, last_disengaged_day, fold_days)


def _quiet_for(
    day: Days, holds: bool | npt.NDArray[np.bool_], last_day: Days, days: float
) -> npt.NDArray[np.bool_]:
    """Return whether a signal last seen on ``last_day`` was absent ``days`` days in a row.

    Counted on the latest day it was absent: ``day`` itself when it does not hold then,
    otherwise the day before (seen daily, a signal that holds again on the day the count
    is reached keeps its episode).
    """
    latest_absent_day = np.asarray(day, dtype=np.float64) - np.asarray(holds, dtype=np.float64)
    quiet: npt.NDArray[np.bool_] = np.asarray(latest_absent_day - last_day >= days)
    return quiet
