"""Named signals with their drivers, and the plain sentence a clinician can check.

Every signal stores its drivers as data, rounded exactly as the sentence shows them, so a
reader (or a test) can find each number of the drivers in the sentence, with three
exceptions said in words: a slope is its direction and size ("falling about 1.6 points a
week"), a crossing 0 days ahead is "already above" or "within a day" (a relapse 0 days ago
is "today"), and the 14-day probability is kept as data only (one horizon in words; the
patient page shows it in its detail).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
from lasting_core.engine.history import (
    DAILY_ITEMS,
    LIFE_EVENT_KINDS,
    PERSONAL,
    PersonalItem,
    WarningSide,
)
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
    # A personal item of the relapse-prevention plan beyond its threshold on
    # personal_streak_days days in a row (docs/engine.md 2.9); a driver, not an alert.
    PERSONAL_WARNING_SIGN = "personal_warning_sign"


# Signals that become alerts (alerts.csv, docs/formats.md); the others are drivers and nudges.
ALERT_KINDS = frozenset({SignalKind.EARLY_WARNING, SignalKind.RELAPSE, SignalKind.DISENGAGEMENT})


@dataclass(frozen=True)
class Signal:
    """One signal: what, dated when (engine day), why (drivers) and in words."""

    kind: SignalKind
    day: float
    drivers: Mapping[str, Driver]
    sentence: str


_ITEM_NAMES = {
    "mood": "mood",
    "sleep": "sleep quality",
    "stress": "stress",
    PERSONAL: "personal warning-sign score (0-10, 5 at each threshold)",
}


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

    def personal(self, item: int) -> tuple[int, float]:
        """Return the item's current run of crossed days (0: no sign) and its latest day."""
        if item >= self.m.personal_run.shape[0]:
            return 0, math.nan
        run = float(self.m.personal_run[item, self.i])
        return int(run), float(self.m.personal_day[item, self.i])


TREND_SOURCE = "the engine's trend estimate from all check-ins"


def trend_words(slope_per_week: float | int) -> str:
    """Say the engine's trend in words: its direction, then its size."""
    size = abs(slope_per_week)
    points = "point" if size == 1 else "points"
    if slope_per_week > 0:
        return f"rising about {size} {points} a week"
    if slope_per_week < 0:
        return f"falling about {size} {points} a week"
    return "holding steady (0 points a week)"


def trend_part(r: _Row) -> tuple[dict[str, Driver], str]:
    """Describe the PHQ-9 since the nadir, with one estimate of the trend: the filter's.

    The rise from the nadir is told as two scores, not as a rate: the filter weighs every
    check-in against the measurement noise, so its slope is the one trend the page shows.
    """
    slope = _number(r.slope_per_week)
    latest = _number(r.latest)
    trend = trend_words(slope)
    if _ok(r.nadir) and r.latest > r.nadir and r.latest_day > r.nadir_day:
        nadir = _number(r.nadir)
        _, span = _span(r.latest_day - r.nadir_day)
        drivers: dict[str, Driver] = {
            "from_phq9": nadir,
            "to_phq9": latest,
            "over": span,
            "slope_per_week": slope,
        }
        return drivers, (
            f"PHQ-9 {latest}, up from {nadir} at its lowest {span} earlier; {trend} "
            f"({TREND_SOURCE}, which weighs each score against measurement noise)"
        )
    return (
        {"phq9": latest, "slope_per_week": slope},
        f"PHQ-9 {latest}; {trend} ({TREND_SOURCE})",
    )


def _interval_words(low_days: int, high_text: str, interval: int) -> str:
    """Say the crossing's interval; one day when it collapses to one day."""
    if high_text == str(low_days):
        return f"{interval} % interval: that day"
    return f"{interval} % interval {low_days}–{high_text} days"


def forecast_part(r: _Row, settings: EngineSettings) -> tuple[dict[str, Driver], str]:
    """Describe the forecast crossing of the relapse level and the 28-day probability.

    One horizon in words: the 14-day probability stays in the drivers (the patient page
    shows it in its detail). A level already at or above the relapse level is said so,
    never "in about 0 days".
    """
    bar = _number(r.bar)
    p14, p28 = _percent(r.p14), _percent(r.p28)
    drivers: dict[str, Driver] = {
        "relapse_bar": bar,
        "p_relapse_14d_percent": p14,
        "p_relapse_28d_percent": p28,
    }
    median, low, high = r.crossing(1), r.crossing(0), r.crossing(2)
    interval = round(100 * settings.crossing_interval)
    level = f"the relapse level (PHQ-9 {bar})"
    if _ok(median):
        days, low_days = round(median), round(low)
        high_text = str(round(high)) if _ok(high) else f"{int(settings.forecast_max_days)}+"
        drivers |= {"crossing_in_days": days, "low_days": low_days, "high_days": high_text}
        if _ok(r.level) and r.level >= r.bar:
            crossing = (
                f"PHQ-9 is already above {level}: the engine's estimate of the level "
                f"now is {_number(r.level)}"
            )
        else:
            when = "within a day" if days == 0 else f"in about {days} {_days(days)}"
            crossing = (
                f"forecast reaches {level} {when} "
                f"({_interval_words(low_days, high_text, interval)})"
            )
    else:
        limit = int(settings.forecast_max_days)
        drivers["crossing_in_days"] = None
        crossing = f"forecast stays below {level} for the next {limit} days"
    return drivers, f"{crossing}; chance of meeting the relapse criteria within 28 days: {p28} %"


def relapse_level_part(r: _Row, settings: EngineSettings) -> str | None:
    """Explain the patient's relapse level in words (docs/clinical.md#definitions).

    The bar is max(floor, best + share (baseline - best)), so above the floor the best
    score follows from the bar and the baseline: best = (bar - share baseline) / (1 - share).
    """
    if not _ok(r.bar):
        return None
    definitions = settings.definitions()
    share = definitions.relapse_improvement_lost_share
    floor = _number(definitions.relapse_threshold)
    way = "half way" if share == 0.5 else f"{_percent(share)} % of the way"
    bar = _number(r.bar)
    if not _ok(r.baseline):
        return (
            f"the relapse level for this patient, PHQ-9 {bar}, is {way} back from their best "
            f"score to their baseline, and never below {floor}"
        )
    baseline = _number(r.baseline)
    if r.bar > definitions.relapse_threshold and share < 1:
        best = _number((r.bar - share * r.baseline) / (1.0 - share))
        return (
            f"the relapse level for this patient, PHQ-9 {bar}, is {way} back from their best "
            f"score ({best}) to their baseline ({baseline}), and never below {floor}"
        )
    return (
        f"the relapse level for this patient is PHQ-9 {bar}, the floor: {way} back from "
        f"their best score to their baseline ({baseline}) would be lower"
    )


def _days(count: int) -> str:
    return "day" if count == 1 else "days"


def daily_part(r: _Row) -> tuple[dict[str, Driver], str]:
    item = (*DAILY_ITEMS, PERSONAL)[int(r.daily_item)]
    name = _ITEM_NAMES[item]
    points = _number(abs(r.daily_deviation))
    side = "below" if r.daily_deviation < 0 else "above"
    days = math.floor(r.as_of - r.daily_since) + 1
    drivers: dict[str, Driver] = {"item": item, "points_from_usual": points, "for_days": days}
    unit = "day" if days == 1 else "days"
    return drivers, f"daily {name} {points} points {side} usual for {days} {unit}"


def personal_parts(r: _Row, items: Sequence[PersonalItem]) -> list[tuple[int, float, str, str]]:
    """Describe each personal warning sign: (item index, start day, key, words) per item.

    'personal warning sign "Sleep": 5 h or less on 2 days in a row'; a yes/no item says
    the answer: 'personal warning sign "Withdrew from friends": yes on 2 days in a row'.
    The label is the caller's (the plan's words), used as given and quoted.
    """
    parts: list[tuple[int, float, str, str]] = []
    for index, item in enumerate(items):
        run, last = r.personal(index)
        if run <= 0:
            continue
        if item.yes_no:
            what = "yes" if item.side == WarningSide.ABOVE else "no"
        else:
            unit = f" {item.unit}" if item.unit else ""
            bound = "or less" if item.side == WarningSide.BELOW else "or more"
            what = f"{_number(item.threshold)}{unit} {bound}"
        words = f'personal warning sign "{item.label}": {what} on {run} {_days(run)} in a row'
        parts.append((index, last - run + 1, item.key, words))
    return parts


def personal_drivers(item: PersonalItem, run: int) -> dict[str, Driver]:
    return {
        "item": item.key,
        "label": item.label,
        "side": item.side.value,
        "threshold": _number(item.threshold),
        "unit": item.unit,
        "days_in_a_row": run,
    }


def life_event_part(r: _Row, settings: EngineSettings) -> str | None:
    """Name the latest life event while its extra hazard is still felt."""
    if not _ok(r.life_event_day):
        return None
    days = math.floor(r.as_of - r.life_event_day)
    when = "today" if days == 0 else f"{days} {_days(days)} ago"
    kind = LIFE_EVENT_KINDS[int(r.life_event_kind)].value
    weight = _number(r.life_event_weight, 2)
    weeks = round(settings.life_event_words_days / 7.0)
    return (
        f"a stressful life event ({kind}, weight {weight} of 1) {when} raises the chance "
        f"that a return begins, fading over about {weeks} weeks"
    )


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
    when = "today" if days == 0 else f"{days} {_days(days)} ago"
    return drivers, f"relapse criteria met {when} (relapse level PHQ-9 {bar})"


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


def build_signals(
    m: AssessmentArrays,
    i: int,
    settings: EngineSettings,
    items: Sequence[PersonalItem] = (),
) -> tuple[Signal, ...]:
    """Return the signals that hold for patient ``i`` at the assessment time.

    ``items``: the patient's personal items, in the order the history gave them.
    """
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
    for index, start, _, words in personal_parts(r, items):
        run, _ = r.personal(index)
        add(SignalKind.PERSONAL_WARNING_SIGN, start, (personal_drivers(items[index], run), words))
    return tuple(signals)


def explain(
    m: AssessmentArrays,
    i: int,
    settings: EngineSettings,
    items: Sequence[PersonalItem] = (),
) -> str:
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
    level = relapse_level_part(r, settings)
    if level is not None:
        parts.append(level)
    if _ok(r.p28):
        parts.append(forecast_part(r, settings)[1])
    if r.flag("drift"):
        parts.append(drift_part(r, settings)[1])
    if r.flag("reliable_worsening"):
        parts.append(worsening_part(r)[1])
    if r.flag("daily_decline"):
        parts.append(daily_part(r)[1])
    parts += [words for *_, words in personal_parts(r, items)]
    life = life_event_part(r, settings)
    if life is not None:
        parts.append(life)
    session = session_part(r)
    if session is not None:
        parts.append(session[1])
    if _ok(r.missed) and r.missed >= 1:
        parts.append(disengagement_part(r)[1])
    return _sentence("; ".join(parts))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
