"""Named signals with their drivers, and the plain sentence a clinician can check.

Every signal stores its drivers as data, rounded exactly as the sentence shows them, so a
reader (or a test) can find each number of the drivers in the sentence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from lasting_core.definitions import (
    NO_BASELINE,
    NOT_ASSESSED,
    NOT_RESPONDED,
    NOT_STARTED,
    RELAPSED,
)
from lasting_core.engine.assess import AssessmentArrays
from lasting_core.engine.history import DAILY_ITEMS
from lasting_core.engine.parameters import EngineSettings

Driver = float | int | str | None


class SignalKind(StrEnum):
    """The engine's named signals.

    Safety alerts stay in the app (docs/clinical.md#safety-alerts).
    """

    EARLY_WARNING = "early_warning"
    RELAPSE = "relapse"
    DISENGAGEMENT = "disengagement"
    DRIFT = "drift"
    DAILY_DECLINE = "daily_decline"
    RELIABLE_WORSENING = "reliable_worsening"


# Signals that become alerts (alerts.csv, docs/formats.md); the others are drivers and nudges.
ALERT_KINDS = frozenset({SignalKind.EARLY_WARNING, SignalKind.RELAPSE, SignalKind.DISENGAGEMENT})


@dataclass(frozen=True)
class Signal:
    """One signal: what, dated when (engine day), why (drivers) and in words."""

    kind: SignalKind
    day: float
    drivers: Mapping[str, Driver]
    sentence: str


_ITEM_NAMES = {"mood": "mood", "sleep": "sleep quality", "stress": "stress"}


def _number(value: float, digits: int = 1) -> float | int:
    """Round for display: whole numbers as int, others to ``digits`` decimals."""
    rounded = round(float(value), digits)
    return int(rounded) if rounded == int(rounded) else rounded


def _percent(probability: float) -> int:
    return round(100.0 * probability)


def _span(days: float) -> tuple[int, str]:
    if days >= 14.0:
        weeks = round(days / 7.0)
        return weeks, f"{weeks} weeks"
    whole = round(days)
    return whole, f"{whole} day" if whole == 1 else f"{whole} days"


def _ok(value: float) -> bool:
    return not math.isnan(value)


class _Row:
    """Read one patient's numbers out of the assessment arrays."""

    def __init__(self, m: AssessmentArrays, i: int) -> None:
        self.m = m
        self.i = i

    def __getattr__(self, name: str) -> float:
        return float(getattr(self.m, name)[self.i])

    def flag(self, name: str) -> bool:
        return bool(getattr(self.m, name)[self.i])

    def crossing(self, which: int) -> float:
        return float(self.m.crossing[which, self.i])


def trend_part(r: _Row) -> tuple[dict[str, Driver], str]:
    """Describe the PHQ-9 trend since the nadir, with the filter's slope."""
    slope = _number(r.slope_per_week)
    latest = _number(r.latest)
    if _ok(r.nadir) and r.latest > r.nadir and r.latest_day > r.nadir_day:
        nadir = _number(r.nadir)
        _, span = _span(r.latest_day - r.nadir_day)
        drivers: dict[str, Driver] = {
            "from_phq9": nadir,
            "to_phq9": latest,
            "over": span,
            "slope_per_week": slope,
        }
        return drivers, f"PHQ-9 rose from {nadir} to {latest} over {span} (slope {slope:+}/week)"
    return (
        {"phq9": latest, "slope_per_week": slope},
        f"PHQ-9 {latest} (slope {slope:+}/week)",
    )


def forecast_part(r: _Row, settings: EngineSettings) -> tuple[dict[str, Driver], str]:
    """Describe the forecast crossing of the relapse bar and the relapse probabilities."""
    bar = _number(r.bar)
    p14, p28 = _percent(r.p14), _percent(r.p28)
    drivers: dict[str, Driver] = {
        "relapse_bar": bar,
        "p_relapse_14d_percent": p14,
        "p_relapse_28d_percent": p28,
    }
    median, low, high = r.crossing(1), r.crossing(0), r.crossing(2)
    interval = round(100 * settings.crossing_interval)
    if _ok(median):
        days, low_days = round(median), round(low)
        high_text = str(round(high)) if _ok(high) else f"{int(settings.forecast_max_days)}+"
        drivers |= {"crossing_in_days": days, "low_days": low_days, "high_days": high_text}
        crossing = (
            f"forecast crosses {bar} in about {days} days "
            f"({interval} % interval {low_days}–{high_text})"
        )
    else:
        limit = int(settings.forecast_max_days)
        drivers["crossing_in_days"] = None
        crossing = f"forecast stays below {bar} for the next {limit} days"
    return drivers, (
        f"{crossing}; relapse criteria met within 14 days: {p14} %, within 28 days: {p28} %"
    )


def daily_part(r: _Row) -> tuple[dict[str, Driver], str]:
    item = DAILY_ITEMS[int(r.daily_item)]
    name = _ITEM_NAMES[item]
    points = _number(abs(r.daily_deviation))
    side = "below" if r.daily_deviation < 0 else "above"
    days = math.floor(r.as_of - r.daily_since) + 1
    drivers: dict[str, Driver] = {"item": item, "points_from_usual": points, "for_days": days}
    unit = "day" if days == 1 else "days"
    return drivers, f"daily {name} {points} points {side} usual for {days} {unit}"


def session_part(r: _Row) -> tuple[dict[str, Driver], str] | None:
    if not _ok(r.last_session):
        return None
    since = math.floor(r.as_of - r.last_session)
    usual = round(r.usual_interval)
    own = int(r.past_intervals)
    drivers: dict[str, Driver] = {
        "days_since_session": since,
        "usual_interval_days": usual,
        "own_intervals": own,
    }
    whose = (
        "for this patient"
        if own > 0
        else "at this clinic (no earlier interval of this patient yet)"
    )
    return (
        drivers,
        f"last session {since} days ago; relief usually lasts about {usual} days {whose}",
    )


def disengagement_part(r: _Row) -> tuple[dict[str, Driver], str]:
    days = math.floor(r.as_of - r.last_contact)
    missed = int(r.missed)
    drivers: dict[str, Driver] = {"days_since_contact": days, "missed_checkins": missed}
    return drivers, (
        f"no check-in or session for {days} days ({missed} check-ins missed): no data, "
        "not a sign of being well"
    )


def drift_part(r: _Row, settings: EngineSettings) -> tuple[dict[str, Driver], str]:
    cusum = _number(r.cusum)
    run = int(r.cusum_run)
    limit = _number(settings.cusum_h)
    drivers: dict[str, Driver] = {"cusum": cusum, "checkins": run, "limit": limit}
    return drivers, (
        f"PHQ-9 above the model's forecast over {run} check-ins (CUSUM {cusum}, limit {limit})"
    )


def worsening_part(r: _Row) -> tuple[dict[str, Driver], str]:
    nadir, latest = _number(r.nadir), _number(r.latest)
    points = _number(r.latest - r.nadir)
    drivers: dict[str, Driver] = {"nadir": nadir, "phq9": latest, "points": points}
    return drivers, f"PHQ-9 {latest} is {points} points above the nadir of {nadir}"


def relapse_part(r: _Row) -> tuple[dict[str, Driver], str]:
    days = math.floor(r.as_of - r.relapse_day)
    bar = _number(r.bar)
    drivers: dict[str, Driver] = {"days_ago": days, "relapse_bar": bar}
    return drivers, f"relapse criteria met {days} days ago (bar {bar})"


def state_part(r: _Row) -> str | None:
    if r.state == NOT_STARTED:
        return "no induction session yet"
    if r.state == NO_BASELINE:
        return "no PHQ-9 before induction, so response cannot be judged"
    if r.state == NOT_ASSESSED:
        return (
            "response not judged yet: it is judged on the first PHQ-9 1-14 days after "
            "the last induction session"
        )
    if r.state == NOT_RESPONDED:
        baseline = _number(r.baseline)
        latest = _number(r.latest)
        return f"no response yet (baseline {baseline}, latest PHQ-9 {latest})"
    return None


def build_signals(m: AssessmentArrays, i: int, settings: EngineSettings) -> tuple[Signal, ...]:
    """Return the signals that hold for patient ``i`` at the assessment time."""
    r = _Row(m, i)
    signals: list[Signal] = []

    def add(kind: SignalKind, day: float, part: tuple[dict[str, Driver], str]) -> None:
        drivers, sentence = part
        signals.append(Signal(kind, day, MappingProxyType(drivers), _sentence(sentence)))

    if r.flag("relapsed"):
        add(SignalKind.RELAPSE, r.relapse_day, relapse_part(r))
    if r.flag("early_warning"):
        trend_drivers, trend = trend_part(r)
        forecast_drivers, forecast = forecast_part(r, settings)
        add(
            SignalKind.EARLY_WARNING,
            r.as_of,
            (trend_drivers | forecast_drivers, f"{trend}; {forecast}"),
        )
    if r.flag("disengaged"):
        due = (
            r.last_contact
            + settings.checkin_grace_days
            + settings.missed_checkins * settings.expected_checkin_interval_days
        )
        add(SignalKind.DISENGAGEMENT, due, disengagement_part(r))
    if r.flag("drift"):
        add(SignalKind.DRIFT, r.cusum_since, drift_part(r, settings))
    if r.flag("daily_decline"):
        add(SignalKind.DAILY_DECLINE, r.daily_since, daily_part(r))
    if r.flag("reliable_worsening"):
        add(SignalKind.RELIABLE_WORSENING, r.latest_day, worsening_part(r))
    return tuple(signals)


def explain(m: AssessmentArrays, i: int, settings: EngineSettings) -> str:
    """Return one plain paragraph with the numbers behind the assessment."""
    r = _Row(m, i)
    if not _ok(r.latest):
        return "No PHQ-9 yet."
    parts: list[str] = []
    state = state_part(r)
    if state is not None:
        parts.append(state)
    if r.state == RELAPSED:
        parts.append(relapse_part(r)[1])
    parts.append(trend_part(r)[1])
    if _ok(r.p28):
        parts.append(forecast_part(r, settings)[1])
    if r.flag("drift"):
        parts.append(drift_part(r, settings)[1])
    if r.flag("reliable_worsening"):
        parts.append(worsening_part(r)[1])
    if r.flag("daily_decline"):
        parts.append(daily_part(r)[1])
    session = session_part(r)
    if session is not None:
        parts.append(session[1])
    if _ok(r.missed) and r.missed >= 1:
        parts.append(disengagement_part(r)[1])
    return _sentence("; ".join(parts))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
