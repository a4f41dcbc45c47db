"""The definitions' settings and the rules judged one score at a time: response, remission,
the relapse bar, a new course, and change between two totals (docs/clinical.md#definitions).
"""

from __future__ import annotations

from dataclasses import dataclass
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
