"""The relapse state machine on arrays shaped (n_patients,), run by the engine's batch path,
its one-patient path and its replay alike; ``track_relapse`` runs it for one patient.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from lasting_core.definitions.rules import (
    NO_BASELINE,
    NOT_ASSESSED,
    NOT_RESPONDED,
    NOT_STARTED,
    PENDING,
    RELAPSED,
    RESPONDING,
    STATES,
    BoolArray,
    ClinicalEventKind,
    DefinitionSettings,
    FloatArray,
    RelapseState,
    SessionKind,
    is_remission,
    is_response,
)


@dataclass
class RelapseArrays:
    """The relapse state machine of n patients; NaN means "none yet". Mutated in place."""

    state: FloatArray  # index into STATES; provisional while the series may continue
    course_start: FloatArray  # first induction session of the current course
    last_induction: FloatArray
    series_open: FloatArray  # 1 while the latest session is an induction session
    end_day: FloatArray  # the end-of-induction PHQ-9 of the latest series
    end_score: FloatArray
    latest_score: FloatArray
    latest_day: FloatArray
    baseline: FloatArray
    baseline_day: FloatArray
    response_day: FloatArray  # first response of the current response episode
    best: FloatArray  # lowest PHQ-9 of the current response episode
    nadir: FloatArray  # lowest PHQ-9 since the latest session
    nadir_day: FloatArray
    nadir_stale: FloatArray  # 1 when a session came after the nadir's check-ins
    pending_day: FloatArray
    relapse_day: FloatArray  # latest confirmation
    relapse_anchor: FloatArray  # first check-in of the latest relapse
    relapse_count: FloatArray

    @classmethod
    def empty(cls, n: int) -> RelapseArrays:
        values = {f.name: np.full(n, np.nan) for f in fields(cls)}
        values["state"] = np.full(n, NOT_STARTED)
        values["series_open"] = np.zeros(n)
        values["nadir_stale"] = np.zeros(n)
        values["relapse_count"] = np.zeros(n)
        return cls(**values)

    def bar(self, settings: DefinitionSettings) -> FloatArray:
        """Return each patient's relapse bar (NaN where no response yet)."""
        lost = self.best + settings.relapse_improvement_lost_share * (self.baseline - self.best)
        result: FloatArray = np.fmax(settings.relapse_threshold, lost)
        result[np.isnan(lost)] = np.nan
        return result


def _assign(target: FloatArray, where: BoolArray, value: FloatArray | float) -> None:
    np.copyto(target, value, where=where)


def _calendar_days(later: FloatArray, earlier: FloatArray) -> FloatArray:
    """Return whole calendar days from ``earlier`` to ``later`` (NaN where either is)."""
    result: FloatArray = np.floor(later) - np.floor(earlier)
    return result


def series_may_continue(
    m: RelapseArrays, day: FloatArray, settings: DefinitionSettings
) -> BoolArray:
    """Return rows whose induction series may still continue at ``day``: the latest
    session is an induction session and no more than the series gap has passed."""
    since = _calendar_days(day, m.last_induction)
    result: BoolArray = (m.series_open > 0) & ~(since > settings.induction_series_gap_days)
    return result


def judged_state_codes(
    m: RelapseArrays, day: FloatArray, settings: DefinitionSettings
) -> FloatArray:
    """Return each row's state as known at ``day``: NOT_ASSESSED while the induction
    series may continue (the provisional verdict is not shown: no look-ahead)."""
    hidden = series_may_continue(m, day, settings) & (m.state > NO_BASELINE)
    result: FloatArray = np.where(hidden, NOT_ASSESSED, m.state)
    return result


def judged_states(
    m: RelapseArrays, day: FloatArray, settings: DefinitionSettings
) -> list[RelapseState]:
    """Return each row's RelapseState as known at ``day`` (see ``judged_state_codes``)."""
    return states_of(judged_state_codes(m, day, settings))


def observe_phq9(
    m: RelapseArrays,
    where: BoolArray,
    day: FloatArray,
    score: FloatArray,
    settings: DefinitionSettings,
) -> BoolArray:
    """Apply one PHQ-9 check-in to the rows in ``where``; return rows that relapsed now.

    Steps: 1. nadir since the latest session; 2. the end-of-induction verdict, or a later
    response; 3. relapse criteria against the bar of the current response episode; 4. the
    confirmation window, which confirms nothing while the induction series may continue.
    """
    started = where & ~np.isnan(m.baseline)
    # 1. Nadir: re-based by the first check-in after a session; a tie moves its day to the
    # latest such check-in (a rise is then measured from where it started).
    rebase = started & ((m.nadir_stale > 0) | np.isnan(m.nadir) | (score <= m.nadir))
    _assign(m.nadir, rebase, score)
    _assign(m.nadir_day, rebase, day)
    _assign(m.nadir_stale, started, 0.0)

    # 2. The end-of-induction verdict: the first PHQ-9 in the window after the last
    # induction session, provisional while the series may continue.
    state = m.state.copy()
    responds = started & (score <= m.baseline * (1.0 - settings.response_fall_share))
    since = _calendar_days(day, m.last_induction)
    in_window = (since >= settings.end_of_induction_min_days) & (
        since <= settings.end_of_induction_max_days
    )
    verdict = started & (state == NOT_ASSESSED) & np.isnan(m.end_day) & in_window
    _assign(m.end_day, verdict, day)
    _assign(m.end_score, verdict, score)
    _assign(m.state, verdict & ~responds, NOT_RESPONDED)
    # A later response: after the end of induction, outside an open series.
    may_continue = series_may_continue(m, day, settings)
    later = ~verdict & ~may_continue
    later &= (state == NOT_RESPONDED) | (state == RELAPSED) | (state == NOT_ASSESSED)
    new_response = responds & (verdict | later)
    _assign(m.response_day, new_response, day)
    _assign(m.best, new_response, score)
    _assign(m.state, new_response, RESPONDING)
    in_response = started & ((state == RESPONDING) | (state == PENDING))
    _assign(m.best, in_response & (score < m.best), score)

    # 3. Relapse criteria.
    meets = in_response & (score >= m.bar(settings))
    starts_pending = meets & (state == RESPONDING)
    gap = day - m.pending_day
    pending = meets & (state == PENDING)
    confirms: BoolArray = pending & (gap >= settings.confirmation_min_days)
    confirms &= (gap <= settings.confirmation_max_days) & ~may_continue
    restarts = pending & (gap > settings.confirmation_max_days)
    cancels = in_response & ~meets & (state == PENDING)

    _assign(m.state, starts_pending, PENDING)
    _assign(m.pending_day, starts_pending | restarts, day)
    _assign(m.state, cancels, RESPONDING)
    _assign(m.pending_day, cancels, np.nan)
    _relapse(m, confirms, day, m.pending_day.copy())

    _assign(m.latest_score, where, score)
    _assign(m.latest_day, where, day)
    return confirms


def _relapse(m: RelapseArrays, rows: BoolArray, day: FloatArray, anchor: FloatArray) -> None:
    _assign(m.state, rows, RELAPSED)
    _assign(m.relapse_day, rows, day)
    _assign(m.relapse_anchor, rows, anchor)
    _assign(m.relapse_count, rows, m.relapse_count + 1.0)
    _assign(m.pending_day, rows, np.nan)


def observe_session(
    m: RelapseArrays,
    where: BoolArray,
    day: FloatArray,
    induction: BoolArray,
    settings: DefinitionSettings,
) -> BoolArray:
    """Apply one session to the rows in ``where``; return rows where a new course began.

    An induction session starts or continues a series: the end-of-induction verdict waits
    for its end, so any provisional verdict and response episode is dropped. A booster or
    maintenance session ends the series, which makes its verdict final.
    """
    inducted = where & induction
    new_course: BoolArray = inducted & (
        np.isnan(m.last_induction) | (day - m.last_induction > settings.new_course_gap_days)
    )
    has_score = ~np.isnan(m.latest_score)
    _assign(m.course_start, new_course, day)
    _assign(m.baseline, new_course, np.where(has_score, m.latest_score, np.nan))
    _assign(m.baseline_day, new_course, np.where(has_score, m.latest_day, np.nan))
    _assign(m.nadir, new_course, np.nan)
    _assign(m.nadir_day, new_course, np.nan)
    _assign(m.state, inducted, np.where(np.isnan(m.baseline), NO_BASELINE, NOT_ASSESSED))
    for name in ("response_day", "best", "pending_day", "end_day", "end_score"):
        _assign(getattr(m, name), inducted, np.nan)
    _assign(m.last_induction, inducted, day)
    _assign(m.series_open, where, np.where(induction, 1.0, 0.0))
    _assign(m.nadir_stale, where, 1.0)
    return new_course


def observe_clinical_event(
    m: RelapseArrays, where: BoolArray, day: FloatArray, settings: DefinitionSettings
) -> BoolArray:
    """Apply a clinician-entered event: a relapse at once for a patient in response.

    While the induction series may continue, response is not judged yet, so the event is
    no relapse. Return the rows that relapsed.
    """
    rows: BoolArray = where & ((m.state == RESPONDING) | (m.state == PENDING))
    rows &= ~series_may_continue(m, day, settings)
    _relapse(m, rows, day, day)
    return rows


@dataclass(frozen=True)
class RelapseCourse:
    """Facts of one patient's history under the definitions, as known on ``as_of_day``.

    While the induction series may continue, the state is NOT_ASSESSED and the
    end-of-induction facts and the response day are None (not known yet).
    """

    state: RelapseState
    baseline: float | None
    baseline_day: float | None
    response_day: float | None
    nadir: float | None
    nadir_day: float | None
    relapse_bar: float | None
    pending_since: float | None
    relapse_days: tuple[float, ...]  # confirmation dates, in order
    relapse_anchor_days: tuple[float, ...]
    induction_end_day: float | None = None  # the latest induction session
    end_of_induction_day: float | None = None  # the PHQ-9 that judged the latest series
    end_of_induction_score: float | None = None
    responded_at_end_of_induction: bool | None = None  # None: not assessed
    remitted_at_end_of_induction: bool | None = None


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


# Order of simultaneous records: check-ins and events before the session of the same time.
_PHQ9, _EVENT, _SESSION = 0, 1, 2


def track_relapse(
    phq9: Iterable[tuple[float, float]],
    sessions: Iterable[tuple[float, str]],
    events: Iterable[tuple[float, str]] = (),
    settings: DefinitionSettings | None = None,
    *,
    as_of_day: float | None = None,
) -> RelapseCourse:
    """Run the relapse definition over one patient's records (those on or before as_of_day).

    The state is the one known on ``as_of_day`` (default: the day of the latest record).
    """
    s = settings or DefinitionSettings()
    records: list[tuple[float, int, float]] = []
    records += [(float(day), _PHQ9, float(score)) for day, score in phq9]
    records += [(float(day), _EVENT, 0.0) for day, kind in events if ClinicalEventKind(kind)]
    records += [
        (float(day), _SESSION, float(SessionKind(kind) == SessionKind.INDUCTION))
        for day, kind in sessions
    ]
    records.sort(key=lambda record: (record[0], record[1]))
    m = RelapseArrays.empty(1)
    yes = np.ones(1, dtype=bool)
    relapses: list[float] = []
    anchors: list[float] = []
    known_on = as_of_day
    for day, kind, value in records:
        if as_of_day is not None and day > as_of_day:
            break
        known_on = day if as_of_day is None else as_of_day
        at = np.full(1, day)
        if kind == _PHQ9:
            relapsed = observe_phq9(m, yes, at, np.full(1, value), s)
        elif kind == _EVENT:
            relapsed = observe_clinical_event(m, yes, at, s)
        else:
            observe_session(m, yes, at, np.full(1, value > 0), s)
            continue
        if relapsed[0]:
            relapses.append(day)
            anchors.append(float(m.relapse_anchor[0]))
    hidden = known_on is not None and bool(series_may_continue(m, np.full(1, known_on), s)[0])
    state = NOT_ASSESSED if hidden and m.state[0] > NO_BASELINE else float(m.state[0])
    baseline = _optional(m.baseline[0])
    end_score = None if hidden else _optional(m.end_score[0])
    responded = remitted = None
    if end_score is not None and baseline is not None:
        responded = is_response(baseline, end_score, s)
        remitted = is_remission(end_score, s)
    bar = m.bar(s)
    return RelapseCourse(
        state=STATES[int(state)],
        baseline=baseline,
        baseline_day=_optional(m.baseline_day[0]),
        response_day=None if hidden else _optional(m.response_day[0]),
        nadir=_optional(m.nadir[0]),
        nadir_day=_optional(m.nadir_day[0]),
        relapse_bar=None if hidden else _optional(bar[0]),
        pending_since=None if hidden else _optional(m.pending_day[0]),
        relapse_days=tuple(relapses),
        relapse_anchor_days=tuple(anchors),
        induction_end_day=_optional(m.last_induction[0]),
        end_of_induction_day=None if hidden else _optional(m.end_day[0]),
        end_of_induction_score=end_score,
        responded_at_end_of_induction=responded,
        remitted_at_end_of_induction=remitted,
    )


def states_of(codes: Sequence[float] | FloatArray) -> list[RelapseState]:
    """Return the RelapseState of each state code."""
    return [STATES[int(code)] for code in np.asarray(codes).tolist()]
