"""Assessment at a point in time, vectorised across patients (docs/engine.md).

``assess_arrays`` turns the swept state of n patients into every number an assessment
reports: level and slope with uncertainty, the relapse forecast, the crossing date, and
each signal's condition and drivers. The batch path, the one-patient path and the replay
all call it, so they report the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lasting_core.definitions import (
    PENDING,
    RELAPSED,
    RESPONDING,
    judged_state_codes,
    series_may_continue,
)
from lasting_core.engine.drift import WORSE_DIRECTION, DailyArrays, daily_change
from lasting_core.engine.durability import PopulationPrior, posterior_median
from lasting_core.engine.forecast import IntArray, Probability, crossing_quantiles
from lasting_core.engine.kalman import KalmanArrays, predict
from lasting_core.engine.parameters import EngineSettings, WarningRule
from lasting_core.engine.recalibration import apply_probability_map
from lasting_core.engine.returns import (
    Hazard,
    ReturnArrays,
    predict_returns,
    two_readings,
    with_daily_evidence,
)
from lasting_core.engine.returns import crossing as returns_crossing
from lasting_core.engine.sweep import StreamState, hazard

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AssessmentArrays:
    """Per-patient numbers of an assessment; NaN where a number does not apply."""

    as_of: FloatArray
    level: FloatArray
    level_sd: FloatArray
    slope_per_week: FloatArray
    slope_sd_per_week: FloatArray
    state: FloatArray  # RelapseState code
    baseline: FloatArray
    nadir: FloatArray
    nadir_day: FloatArray
    latest: FloatArray
    latest_day: FloatArray
    bar: FloatArray  # relapse bar of the current or latest response; NaN before any
    p14: FloatArray
    p28: FloatArray
    crossing: FloatArray  # (3, n): days to the 10th, 50th and 90th percentile (80 %)
    last_session: FloatArray
    last_session_kind: FloatArray
    usual_interval: FloatArray  # personal posterior median relief, days
    past_intervals: FloatArray
    last_contact: FloatArray  # the latest check-in or session
    missed: FloatArray  # check-ins missed since the latest contact; NaN before any check-in
    cusum: FloatArray
    cusum_since: FloatArray
    cusum_run: FloatArray
    daily_item: FloatArray  # index of the most declined item; NaN if none flagged
    daily_deviation: FloatArray  # its EWMA minus its usual level, points
    daily_since: FloatArray  # day its flag began
    # (k, n): days in a row each personal item has crossed its threshold, where that is a
    # current personal warning sign (at least personal_streak_days), else 0.
    personal_run: FloatArray
    personal_day: FloatArray  # (k, n) the latest day each item crossed; NaN if it did not
    life_event_day: FloatArray  # the latest life event while it is named; NaN otherwise
    life_event_kind: FloatArray  # its kind (index in LIFE_EVENT_KINDS)
    life_event_weight: FloatArray
    relapse_day: FloatArray
    relapse_count: FloatArray
    early_warning: BoolArray
    relapsed: BoolArray
    disengaged: BoolArray
    drift: BoolArray
    daily_decline: BoolArray
    reliable_worsening: BoolArray
    personal_warning: BoolArray


@dataclass(frozen=True)
class ScheduledMisses:
    """Scheduled check-ins that expired unanswered, per patient (docs/engine.md 2.8).

    ``known``: (n,) whether the patient has a schedule; ``days``: (n, k) the day each
    missed check-in expired, NaN-padded.
    """

    known: BoolArray
    days: FloatArray

    @classmethod
    def pack(cls, missed: Sequence[Sequence[float] | None]) -> ScheduledMisses:
        width = max((len(days) for days in missed if days), default=0)
        days = np.full((len(missed), width), np.nan)
        for i, row in enumerate(missed):
            if row:
                days[i, : len(row)] = sorted(row)
        known = np.array([row is not None for row in missed], dtype=bool)
        return cls(known=known, days=days)

    def rows(self, start: int, stop: int) -> ScheduledMisses:
        """Return patients start:stop."""
        return ScheduledMisses(known=self.known[start:stop], days=self.days[start:stop])

    def count_between(self, after: FloatArray, until: FloatArray) -> FloatArray:
        """Missed check-ins that expired after ``after`` (NaN: ever) and on or before ``until``."""
        since = np.where(np.isnan(after), -np.inf, after)[:, None]
        inside = (self.days > since) & (self.days <= until[:, None])
        counted: FloatArray = inside.sum(axis=1).astype(np.float64)
        return counted


def _copy_kalman(k: KalmanArrays) -> KalmanArrays:
    return KalmanArrays(
        level=k.level.copy(),
        slope=k.slope.copy(),
        p11=k.p11.copy(),
        p12=k.p12.copy(),
        p22=k.p22.copy(),
        day=k.day.copy(),
    )


def assess_arrays(
    a: StreamState,
    d: DailyArrays,
    as_of: FloatArray,
    settings: EngineSettings,
    prior: PopulationPrior,
    *,
    crossing: bool = True,
    scheduled: ScheduledMisses | None = None,
) -> AssessmentArrays:
    """Return the assessment of every patient at ``as_of`` (the states are not changed).

    With ``scheduled``, a patient with a schedule counts the scheduled check-ins they
    missed; without one, missed check-ins are estimated from the expected interval.
    """
    kalman = _copy_kalman(a.kalman)
    has_checkin = ~np.isnan(a.relapse.latest_day)
    predict(kalman, np.where(has_checkin, as_of, np.nan), settings)
    r = a.relapse
    definitions = settings.definitions()
    # While the induction series may continue, response is not judged yet
    # (docs/clinical.md#definitions): no relapse bar, no forecast, no early warning.
    state = judged_state_codes(r, as_of, definitions)
    in_response = (state == RESPONDING) | (state == PENDING)
    bar = np.where(series_may_continue(r, as_of, definitions), np.nan, r.bar(definitions))

    u = a.durability
    forecast_bar = np.where(in_response, bar, np.nan)
    h = hazard(a, as_of, settings, prior)
    moved = predict_returns(a.returns, as_of, h, settings)
    # The daily check's change since the post-session baseline, when it follows the latest
    # session (otherwise the baseline belongs to an earlier interval).
    change, change_sd = daily_change(d, as_of, settings)
    follows = d.session_day >= a.last_session
    change = np.where(follows, change, np.nan)
    moved.returning[...] = with_daily_evidence(
        moved, change, change_sd, forecast_bar - r.best, settings
    )
    p14 = criteria_probability(moved, forecast_bar, state, 14.0, h, settings)
    p28 = criteria_probability(moved, forecast_bar, state, 28.0, h, settings)
    p28 = np.fmax(p28, p14)  # "within 28 days" includes "within 14 days"
    # The clinic's recalibration (monotone, so P28 >= P14 still holds).
    p14 = apply_probability_map(p14, settings.probability_map)
    p28 = apply_probability_map(p28, settings.probability_map)
    if crossing:
        tail = (1.0 - settings.crossing_interval) / 2.0
        quantiles = (tail, 0.5, 1.0 - tail)
        rows = np.flatnonzero(~np.isnan(forecast_bar))
        tiled = moved.take(rows, len(quantiles))
        tiled_bar = np.tile(forecast_bar[rows], len(quantiles))
        tiled_hazard = h.take(rows, len(quantiles))

        def probability_on(positions: IntArray | None) -> Probability:
            moved_at, bar_at, hazard_at = tiled, tiled_bar, tiled_hazard
            if positions is not None:
                moved_at = tiled.take(positions)
                bar_at = tiled_bar[positions]
                hazard_at = tiled_hazard.take(positions)
            return lambda tau: returns_crossing(moved_at, bar_at, tau, hazard_at, settings)

        days = crossing_quantiles(probability_on, rows, as_of.size, quantiles, settings)
    else:
        days = np.full((3, as_of.size), np.nan)

    usual = posterior_median(h.gamma_shape, h.gamma_rate, prior.shape)

    # A session is contact too: only silence after both counts as missed check-ins.
    last_contact = np.fmax(r.latest_day, a.last_session)
    late = as_of - last_contact - settings.checkin_grace_days
    missed = np.floor(np.maximum(late, 0.0) / settings.expected_checkin_interval_days)
    if scheduled is not None:
        counted = scheduled.count_between(last_contact, as_of)
        missed = np.where(scheduled.known, counted, missed)
    in_care = ~np.isnan(r.course_start)
    disengaged = in_care & (missed >= settings.missed_checkins)

    # A check-in at the same time as a session was taken before it (history ordering).
    checked_since_session = ~(r.latest_day <= a.last_session)
    worsened = r.latest_score - r.nadir
    if settings.early_warning_rule == WarningRule.FORECAST:
        warning_condition = p28 >= settings.early_warning_probability
    elif settings.early_warning_rule == WarningRule.RISE_FROM_NADIR:
        warning_condition = worsened >= settings.reliable_worsening_phq9
    else:
        warning_condition = r.latest_score >= settings.relapse_threshold
    # Silence is disengagement, not an early warning: a forecast that rests on no recent
    # check-in is uncertain, not a sign that symptoms return (docs/engine.md 2.8).
    current = missed < settings.missed_checkins
    early_warning = in_response & checked_since_session & current & warning_condition

    drift = in_response & (a.cusum.value >= settings.cusum_h)
    reliable_worsening = in_care & (worsened >= settings.reliable_worsening_phq9)

    item, deviation, since, decline = _daily_decline(d, as_of, settings)
    personal_run = _personal_signs(d, as_of, settings)
    life = a.life
    named = (as_of - life.day) <= settings.life_event_words_days
    return AssessmentArrays(
        as_of=as_of,
        level=kalman.level,
        level_sd=np.sqrt(kalman.p11),
        slope_per_week=kalman.slope * 7.0,
        slope_sd_per_week=np.sqrt(kalman.p22) * 7.0,
        state=state,
        baseline=r.baseline.copy(),
        nadir=r.nadir.copy(),
        nadir_day=r.nadir_day.copy(),
        latest=r.latest_score.copy(),
        latest_day=r.latest_day.copy(),
        bar=bar,
        p14=p14,
        p28=p28,
        crossing=days,
        last_session=a.last_session.copy(),
        last_session_kind=a.last_session_kind.copy(),
        usual_interval=usual,
        past_intervals=u.closed.copy(),
        last_contact=last_contact,
        missed=np.where(np.isnan(last_contact), np.nan, missed),
        cusum=a.cusum.value.copy(),
        cusum_since=a.cusum.since.copy(),
        cusum_run=a.cusum.run.copy(),
        daily_item=item,
        daily_deviation=deviation,
        daily_since=since,
        personal_run=personal_run,
        personal_day=d.personal_day.copy(),
        life_event_day=np.where(named, life.day, np.nan),
        life_event_kind=np.where(named, life.kind, np.nan),
        life_event_weight=np.where(named, life.weight, np.nan),
        relapse_day=r.relapse_day.copy(),
        relapse_count=r.relapse_count.copy(),
        early_warning=early_warning,
        relapsed=state == RELAPSED,
        disengaged=disengaged,
        drift=drift,
        daily_decline=decline,
        reliable_worsening=reliable_worsening,
        personal_warning=np.any(personal_run > 0.0, axis=0),
    )


def criteria_probability(
    moved: ReturnArrays,
    bar: FloatArray,
    state: FloatArray,
    horizon: float,
    h: Hazard,
    settings: EngineSettings,
) -> FloatArray:
    """Return P(relapse criteria met within ``horizon`` days): two check-ins over the bar.

    The criteria need a check-in at or above the bar and the next one, about a check-in
    interval g later, too: the check-ins at horizon - g and at the horizon
    (``returns.two_readings``). Once one check-in has met the criteria (pending), only
    the next one is needed.
    """
    g = settings.expected_checkin_interval_days
    both = two_readings(moved, bar, max(horizon - g, 0.0), horizon, h, settings)
    next_one = returns_crossing(moved, bar, np.full(bar.size, g), h, settings, reading=True)
    result: FloatArray = np.where(state == PENDING, next_one, both)
    return result


def _daily_decline(
    d: DailyArrays, as_of: FloatArray, settings: EngineSettings
) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
    """Return the most declined flagged item, its deviation, flag start and the signal.

    A flag counts only while the daily check is current (a cell within
    ``daily_stale_days``); a stopped daily check is disengagement, not a decline.
    """
    flagged: BoolArray = d.flagged()
    current = (as_of - d.day) <= settings.daily_stale_days
    flagged &= current[None, :]
    deviation = (d.fast - d.ref_mean).astype(np.float64)
    spread = np.sqrt(np.maximum(d.ref_var, settings.reference_min_sd**2)).astype(np.float64)
    direction = WORSE_DIRECTION[: d.fast.shape[0]]
    badness = np.where(flagged, deviation * direction / spread, -np.inf)
    worst = np.argmax(badness, axis=0)
    rows = np.arange(as_of.size)
    decline: BoolArray = np.any(flagged, axis=0)
    item = np.where(decline, worst.astype(np.float64), np.nan)
    dev = np.where(decline, deviation[worst, rows], np.nan)
    since = np.where(decline, d.first_day + d.flag_since[worst, rows].astype(np.float64), np.nan)
    return item, dev, since, decline


def _personal_signs(d: DailyArrays, as_of: FloatArray, settings: EngineSettings) -> FloatArray:
    """Return each personal item's run of crossed days where it is a warning sign now.

    A run counts once it reaches ``personal_streak_days`` and while its latest crossed day
    is at most ``daily_stale_days`` old (an answer that does not cross ends it at once).
    """
    with np.errstate(invalid="ignore"):
        current = (as_of - d.personal_day) <= settings.daily_stale_days
    holds = current & (d.personal_run >= settings.personal_streak_days)
    result: FloatArray = np.where(holds, d.personal_run, 0.0).astype(np.float64)
    return result
