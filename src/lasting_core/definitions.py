"""Clinical definitions: baseline, the end of induction, response, remission, nadir and the
relapse state machine. Settings in, facts out. The rules and their sources, for a clinician:
docs/clinical.md#definitions.

The relapse state machine is written once, on arrays shaped (n_patients,), so the engine's
batch path (every patient of a clinic at once), its one-patient path and its replay run the
very same steps; ``track_relapse`` runs it for one patient and returns the facts.

Definitions (defaults in ``DefinitionSettings``; days are calendar days, the integer part
of the engine's day numbers):

- Baseline: the last PHQ-9 before the first induction session of a course, self-reported
  or entered in clinic. A PHQ-9 taken on the same day as a session, at the same recorded
  time, counts as before it (the clinic asks the questionnaire before the dose).
- Induction series: consecutive induction sessions of a course. Its last session is the
  last induction session before the first booster or maintenance session, or before a gap
  of more than ``induction_series_gap_days`` (7) without an induction session. An
  induction session after such a gap starts a new series of the same course (same
  baseline; its end is judged again); one more than ``new_course_gap_days`` (30) after
  the previous one starts a new course with a new baseline.
- End of induction: the first PHQ-9 1-14 days after the last induction session
  of the series. Response (a PHQ-9 fall of at least 50 % from baseline) and remission
  (PHQ-9 below 5) are judged on that PHQ-9, and a response starts the relapse clock
  there. If no PHQ-9 falls 1-14 days after the last induction session, response is not
  assessed (state NOT_ASSESSED), and stays so until a later PHQ-9 shows a response.
  Scores during the series are shown but judge nothing: they start no relapse clock.
- No look-ahead: while the series may still continue (the latest session is an induction
  session at most ``induction_series_gap_days`` ago) nobody knows whether a PHQ-9 after
  it is the end of induction. The machine judges it provisionally, but reports the
  patient as NOT_ASSESSED (``judged_states``); the next induction session voids the
  provisional verdict, and a booster or maintenance session, or the passing of the gap,
  makes it final. So a relapse, which needs a responder, is never dated inside an
  induction series, and neither a relapse confirmation nor a clinician-entered event
  counts while the series may continue.
- Later responses: a patient not in response after the end of induction (not responded,
  not assessed, or relapsed) starts a new response episode at a PHQ-9 at or below half the
  baseline; durability is then measured from there (or from the booster before it).
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
- Change between two totals (``classify_change``): PHQ-9 and GAD-7 by reliable change
  (IAPT); PCL-5 by clinically meaningful change (NCPTSD; not reliable change, whose index
  is 15-18 points, Marx 2022); pain NRS by clinically important change (IMMPACT).
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
    """Clinician-entered events that count as a relapse at once."""

    HOSPITALISATION = "hospitalisation"
    SUICIDE_RELATED = "suicide_related"


class RelapseState(StrEnum):
    """Where a patient stands in the relapse definition."""

    NOT_STARTED = "not_started"  # no induction session yet
    NO_BASELINE = "no_baseline"  # induction began with no PHQ-9 before it
    NOT_ASSESSED = "not_assessed"  # end of induction not (yet) judged
    NOT_RESPONDED = "not_responded"
    RESPONDING = "responding"
    PENDING = "pending_confirmation"  # one check-in met the criteria; awaiting the second
    RELAPSED = "relapsed"


class ChangeKind(StrEnum):
    IMPROVED = "improved"
    WORSENED = "worsened"
    UNCHANGED = "unchanged"


class ChangeCriterion(StrEnum):
    """The published criterion a change of an instrument's total is judged by."""

    RELIABLE = "reliable"  # beyond measurement error (PHQ-9, GAD-7)
    CLINICALLY_MEANINGFUL = "clinically meaningful"  # PCL-5 (NCPTSD)
    CLINICALLY_IMPORTANT = "clinically important"  # pain NRS (IMMPACT)


STATES: tuple[RelapseState, ...] = tuple(RelapseState)
NOT_STARTED, NO_BASELINE, NOT_ASSESSED, NOT_RESPONDED, RESPONDING, PENDING, RELAPSED = (
    float(code) for code in range(len(STATES))
)


@dataclass(frozen=True)
class DefinitionSettings:
    """Every threshold of the clinical definitions, with its source."""

    # McInnes 2022 and SUSTAIN-3: response is a fall of >= 50 % from baseline.
    response_fall_share: float = 0.5
    # Remission: PHQ-9 < 5 (McInnes 2022).
    remission_below: float = 5.0
    # Relapse: PHQ-9 >= 10 and half of the improvement lost (SUSTAIN-1 logic: Daly 2019).
    relapse_threshold: float = 10.0
    relapse_improvement_lost_share: float = 0.5
    # Confirmation on a second consecutive check-in 5-15 days after the first (SUSTAIN-1 logic).
    confirmation_min_days: float = 5.0
    confirmation_max_days: float = 15.0
    # Choice: an induction session this long after the previous one starts a new course.
    new_course_gap_days: float = 30.0
    # End of induction (choice, Lasting's definition): the first PHQ-9 1-14 days after the
    # last induction session judges response and remission and starts the relapse clock.
    end_of_induction_min_days: float = 1.0
    end_of_induction_max_days: float = 14.0
    # Choice: more than 7 days without an induction session ends the series. Induction
    # sessions come two or three times a week (a series is about 6 sessions over 2-3 weeks;
    # Murrough 2013: 6 infusions over 12 days), so a week's gap is a missed visit at most,
    # and the end-of-induction verdict is final at most a week after the last session.
    induction_series_gap_days: float = 7.0
    # Change between two totals. Reliable change from IAPT: PHQ-9 6 points,
    # GAD-7 4 points. PCL-5: 10 points is clinically meaningful change (National Center
    # for PTSD); its reliable-change index is 15-18 points (Marx 2022), so 10 points is
    # never called reliable. Pain NRS: 2 points and 30 % of the earlier score, both
    # (IMMPACT: Dworkin 2008, clinically important improvement).
    reliable_change_phq9: float = 6.0
    reliable_change_gad7: float = 4.0
    meaningful_change_pcl5: float = 10.0
    important_change_pain_nrs_points: float = 2.0
    important_change_pain_nrs_share: float = 0.30

    def __post_init__(self) -> None:
        if not 0 < self.response_fall_share < 1:
            raise ValueError("response_fall_share must lie in (0, 1)")
        if not 0 < self.relapse_improvement_lost_share <= 1:
            raise ValueError("relapse_improvement_lost_share must lie in (0, 1]")
        if not 0 <= self.confirmation_min_days <= self.confirmation_max_days:
            raise ValueError("confirmation days must be ordered and non-negative")
        if self.new_course_gap_days <= 0:
            raise ValueError("new_course_gap_days must be positive")
        if not 0 <= self.end_of_induction_min_days <= self.end_of_induction_max_days:
            raise ValueError("end-of-induction days must be ordered and non-negative")
        if not 0 < self.induction_series_gap_days <= self.new_course_gap_days:
            raise ValueError("induction_series_gap_days must lie in (0, new_course_gap_days]")


def starts_new_course(
    day: float, last_induction_day: float | None, settings: DefinitionSettings | None = None
) -> bool:
    """Return True when an induction session on ``day`` starts a new course: no induction
    session came before it, or the last one was more than ``new_course_gap_days`` earlier
    (the course rule above; the relapse machine applies the same rule to arrays)."""
    s = settings or DefinitionSettings()
    return last_induction_day is None or day - last_induction_day > s.new_course_gap_days


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


@dataclass(frozen=True)
class ChangeRule:
    """When a change of an instrument's total counts: at least ``points``, and at least
    ``share`` of the earlier total too when a share is set."""

    criterion: ChangeCriterion
    points: float
    share: float | None = None


@dataclass(frozen=True)
class Change:
    """A change between two totals (higher is worse on every supported instrument)."""

    kind: ChangeKind
    criterion: ChangeCriterion
    points: float  # after - before

    @property
    def label(self) -> str:
        """Return the change in words: "reliable improvement", "no clinically
        meaningful change", ..."""
        if self.kind == ChangeKind.UNCHANGED:
            return f"no {self.criterion} change"
        noun = "improvement" if self.kind == ChangeKind.IMPROVED else "worsening"
        return f"{self.criterion} {noun}"


def change_rules(settings: DefinitionSettings | None = None) -> dict[str, ChangeRule]:
    """Return the change rule of each instrument code."""
    s = settings or DefinitionSettings()
    return {
        "phq9": ChangeRule(ChangeCriterion.RELIABLE, s.reliable_change_phq9),
        "gad7": ChangeRule(ChangeCriterion.RELIABLE, s.reliable_change_gad7),
        "pcl5": ChangeRule(ChangeCriterion.CLINICALLY_MEANINGFUL, s.meaningful_change_pcl5),
        "pain_nrs": ChangeRule(
            ChangeCriterion.CLINICALLY_IMPORTANT,
            s.important_change_pain_nrs_points,
            s.important_change_pain_nrs_share,
        ),
    }


def classify_change(
    instrument: str, before: float, after: float, settings: DefinitionSettings | None = None
) -> Change:
    """Classify a change in an instrument's total by the instrument's own criterion.

    PHQ-9 and GAD-7 use reliable change (IAPT); PCL-5 uses clinically meaningful change
    (10 points, NCPTSD), never "reliable"; pain NRS uses clinically important change:
    2 points and 30 % of the earlier score (IMMPACT), so 3 -> 2 is no improvement.
    IMMPACT defines improvement; worsening mirrors it (choice: the same two conditions).
    """
    rules = change_rules(settings)
    try:
        rule = rules[instrument]
    except KeyError:
        known = ", ".join(sorted(rules))
        raise ValueError(f"no change rule for {instrument!r}; known: {known}") from None
    change = after - before
    counts = change != 0 and abs(change) >= rule.points
    if rule.share is not None:
        # A hair of tolerance: 30 % of 10 must admit a change of exactly 3 points.
        counts = counts and abs(change) + 1e-9 >= rule.share * before
    if not counts:
        kind = ChangeKind.UNCHANGED
    else:
        kind = ChangeKind.WORSENED if change > 0 else ChangeKind.IMPROVED
    return Change(kind=kind, criterion=rule.criterion, points=change)


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
