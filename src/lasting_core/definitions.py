"""Clinical definitions of DESIGN section 2: baseline, response, remission, reliable change,
nadir and the relapse state machine. Settings in, facts out.

The relapse state machine is written once, on arrays shaped (n_patients,), so the engine's
batch path (every patient of a clinic at once) and its one-patient path run the very same
steps; ``track_relapse`` runs it for one patient and returns the facts.

Definitions (defaults in ``DefinitionSettings``):

- Baseline: the last PHQ-9 before the first induction session of a course. A PHQ-9 taken on
  the same day as a session, at the same recorded time, counts as before it (the clinic
  asks the questionnaire before the dose).
- Response: PHQ-9 fall of at least 50 % from baseline, at any check-in after the first
  induction session. Remission: PHQ-9 below 5.
- Nadir: the lowest PHQ-9 since the latest session (induction, booster or maintenance);
  it is re-based by the first check-in after a session.
- Relapse, for a patient who responded: PHQ-9 >= 10 and at least half of the improvement
  from baseline lost, on two consecutive check-ins 5-15 days apart; the relapse is dated
  on the second (the confirmation). The improvement is measured from baseline to the best
  PHQ-9 of the current response (interpretation: a booster that fails to help must not
  raise the bar for calling the relapse it did not prevent). A check-in that meets the
  criteria less than 5 days after the first neither confirms nor cancels; one more than
  15 days after it starts a new confirmation. A hospitalisation or suicide-related event
  entered by a clinician is a relapse at once.
- After a relapse, a new response (a check-in again at or below half the baseline)
  starts a new response episode. An induction session more than ``new_course_gap_days``
  after the previous one starts a new course with a new baseline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class SessionKind(StrEnum):
    """Why a ketamine session was given (the same values as the app and the simulator)."""

    INDUCTION = "induction"
    BOOSTER = "booster"  # given because symptoms returned
    MAINTENANCE = "maintenance"  # given on a schedule


class ClinicalEventKind(StrEnum):
    """Clinician-entered events that count as a relapse at once (DESIGN 2)."""

    HOSPITALISATION = "hospitalisation"
    SUICIDE_RELATED = "suicide_related"


class RelapseState(StrEnum):
    """Where a patient stands in the relapse definition."""

    NOT_STARTED = "not_started"  # no induction session yet
    NO_BASELINE = "no_baseline"  # induction began with no PHQ-9 before it
    NOT_RESPONDED = "not_responded"
    RESPONDING = "responding"
    PENDING = "pending_confirmation"  # one check-in met the criteria; awaiting the second
    RELAPSED = "relapsed"


class ChangeKind(StrEnum):
    IMPROVED = "improved"
    WORSENED = "worsened"
    UNCHANGED = "unchanged"


STATES: tuple[RelapseState, ...] = tuple(RelapseState)
NOT_STARTED, NO_BASELINE, NOT_RESPONDED, RESPONDING, PENDING, RELAPSED = (
    float(code) for code in range(len(STATES))
)


@dataclass(frozen=True)
class DefinitionSettings:
    """Every threshold of the clinical definitions, with its source."""

    # McInnes 2022 and SUSTAIN-3 (DESIGN 2): response is a fall of >= 50 % from baseline.
    response_fall_share: float = 0.5
    # Remission: PHQ-9 < 5 (McInnes 2022).
    remission_below: float = 5.0
    # Relapse: PHQ-9 >= 10 and half of the improvement lost (SUSTAIN-1 logic, DESIGN 2).
    relapse_threshold: float = 10.0
    relapse_improvement_lost_share: float = 0.5
    # Confirmation on a second consecutive check-in 5-15 days after the first (DESIGN 2).
    confirmation_min_days: float = 5.0
    confirmation_max_days: float = 15.0
    # Choice: an induction session this long after the previous one starts a new course.
    new_course_gap_days: float = 30.0
    # Reliable change, points (DESIGN 2): PHQ-9 and GAD-7 from IAPT, PCL-5 from the
    # National Center for PTSD, pain NRS from IMMPACT (2 points or 30 %).
    reliable_change_phq9: float = 6.0
    reliable_change_gad7: float = 4.0
    reliable_change_pcl5: float = 10.0
    reliable_change_pain_nrs: float = 2.0
    pain_reliable_change_share: float = 0.30

    def __post_init__(self) -> None:
        if not 0 < self.response_fall_share < 1:
            raise ValueError("response_fall_share must lie in (0, 1)")
        if not 0 < self.relapse_improvement_lost_share <= 1:
            raise ValueError("relapse_improvement_lost_share must lie in (0, 1]")
        if not 0 <= self.confirmation_min_days <= self.confirmation_max_days:
            raise ValueError("confirmation days must be ordered and non-negative")
        if self.new_course_gap_days <= 0:
            raise ValueError("new_course_gap_days must be positive")


def is_response(baseline: float, score: float, settings: DefinitionSettings | None = None) -> bool:
    """Return True when ``score`` is a fall of at least the response share from baseline."""
    s = settings or DefinitionSettings()
    return baseline > 0 and score <= baseline * (1.0 - s.response_fall_share)


def is_remission(score: float, settings: DefinitionSettings | None = None) -> bool:
    """Return True when a PHQ-9 total is in remission (below 5 by default)."""
    s = settings or DefinitionSettings()
    return score < s.remission_below


def relapse_bar(baseline: float, best: float, settings: DefinitionSettings | None = None) -> float:
    """Return the PHQ-9 at or above which a responder meets the relapse criteria."""
    s = settings or DefinitionSettings()
    lost = best + s.relapse_improvement_lost_share * (baseline - best)
    return max(s.relapse_threshold, lost)


def reliable_change(
    instrument: str, before: float, after: float, settings: DefinitionSettings | None = None
) -> ChangeKind:
    """Classify a change in an instrument's total as reliable improvement, worsening or none.

    Higher totals are worse on every supported instrument. Pain NRS counts a change of
    2 points or of 30 % of the earlier score (IMMPACT).
    """
    s = settings or DefinitionSettings()
    points_by_instrument = {
        "phq9": s.reliable_change_phq9,
        "gad7": s.reliable_change_gad7,
        "pcl5": s.reliable_change_pcl5,
        "pain_nrs": s.reliable_change_pain_nrs,
    }
    try:
        points = points_by_instrument[instrument]
    except KeyError:
        known = ", ".join(sorted(points_by_instrument))
        raise ValueError(f"no reliable-change rule for {instrument!r}; known: {known}") from None
    change = after - before
    reliable = abs(change) >= points
    if instrument == "pain_nrs" and before > 0:
        reliable = reliable or abs(change) >= s.pain_reliable_change_share * before
    if not reliable or change == 0:
        return ChangeKind.UNCHANGED
    return ChangeKind.WORSENED if change > 0 else ChangeKind.IMPROVED


@dataclass
class RelapseArrays:
    """The relapse state machine of n patients; NaN means "none yet". Mutated in place."""

    state: FloatArray  # index into STATES
    course_start: FloatArray  # first induction session of the current course
    last_induction: FloatArray
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


def observe_phq9(
    m: RelapseArrays,
    where: BoolArray,
    day: FloatArray,
    score: FloatArray,
    settings: DefinitionSettings,
) -> BoolArray:
    """Apply one PHQ-9 check-in to the rows in ``where``; return rows that relapsed now.

    Steps: 1. nadir since the latest session; 2. response; 3. relapse criteria against the
    bar of the current response episode; 4. the confirmation window.
    """
    started = where & ~np.isnan(m.baseline)
    # 1. Nadir: re-based by the first check-in after a session; a tie moves its day to the
    # latest such check-in (a rise is then measured from where it started).
    rebase = started & ((m.nadir_stale > 0) | np.isnan(m.nadir) | (score <= m.nadir))
    _assign(m.nadir, rebase, score)
    _assign(m.nadir_day, rebase, day)
    _assign(m.nadir_stale, started, 0.0)

    # 2. Response.
    responds = started & (score <= m.baseline * (1.0 - settings.response_fall_share))
    state = m.state.copy()
    new_response = responds & ((state == NOT_RESPONDED) | (state == RELAPSED))
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
    confirms &= gap <= settings.confirmation_max_days
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
    """Apply one session to the rows in ``where``; return rows where a new course began."""
    new_course: BoolArray = where & induction
    new_course &= np.isnan(m.last_induction) | (
        day - m.last_induction > settings.new_course_gap_days
    )
    has_score = ~np.isnan(m.latest_score)
    _assign(m.course_start, new_course, day)
    _assign(m.baseline, new_course, np.where(has_score, m.latest_score, np.nan))
    _assign(m.baseline_day, new_course, np.where(has_score, m.latest_day, np.nan))
    _assign(m.state, new_course, np.where(has_score, NOT_RESPONDED, NO_BASELINE))
    for name in ("response_day", "best", "nadir", "nadir_day", "pending_day"):
        _assign(getattr(m, name), new_course, np.nan)
    _assign(m.last_induction, where & induction, day)
    _assign(m.nadir_stale, where, 1.0)
    return new_course


def observe_clinical_event(m: RelapseArrays, where: BoolArray, day: FloatArray) -> BoolArray:
    """Apply a clinician-entered event: a relapse at once for a patient in response.

    Return the rows that relapsed.
    """
    rows: BoolArray = where & ((m.state == RESPONDING) | (m.state == PENDING))
    _relapse(m, rows, day, day)
    return rows


@dataclass(frozen=True)
class RelapseCourse:
    """Facts of one patient's history under the definitions."""

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
    """Run the relapse definition over one patient's records (those on or before as_of_day)."""
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
    for day, kind, value in records:
        if as_of_day is not None and day > as_of_day:
            break
        at = np.full(1, day)
        if kind == _PHQ9:
            relapsed = observe_phq9(m, yes, at, np.full(1, value), s)
        elif kind == _EVENT:
            relapsed = observe_clinical_event(m, yes, at)
        else:
            observe_session(m, yes, at, np.full(1, value > 0), s)
            continue
        if relapsed[0]:
            relapses.append(day)
            anchors.append(float(m.relapse_anchor[0]))
    bar = m.bar(s)
    return RelapseCourse(
        state=STATES[int(m.state[0])],
        baseline=_optional(m.baseline[0]),
        baseline_day=_optional(m.baseline_day[0]),
        response_day=_optional(m.response_day[0]),
        nadir=_optional(m.nadir[0]),
        nadir_day=_optional(m.nadir_day[0]),
        relapse_bar=_optional(bar[0]),
        pending_since=_optional(m.pending_day[0]),
        relapse_days=tuple(relapses),
        relapse_anchor_days=tuple(anchors),
    )


def states_of(codes: Sequence[float] | FloatArray) -> list[RelapseState]:
    """Return the RelapseState of each state code."""
    return [STATES[int(code)] for code in np.asarray(codes).tolist()]
