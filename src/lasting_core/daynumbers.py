"""Day numbers: the engine's clock. Days since 0001-01-01 with the time of day as a fraction.

The engine never cares about the epoch; the apps and CSV readers convert dates and
wall-clock datetimes (in the patient's own time zone) with these two functions.
"""

from __future__ import annotations

import math
from datetime import date, datetime


def day_number(moment: datetime | date) -> float:
    """Return the day number of a date (midnight) or a wall-clock datetime."""
    if isinstance(moment, datetime):
        seconds = moment.hour * 3600 + moment.minute * 60 + moment.second
        return moment.toordinal() + seconds / 86400
    return float(moment.toordinal())


def date_of_day(day: float) -> date:
    """Return the calendar date a day number falls on."""
    return date.fromordinal(math.floor(day))
