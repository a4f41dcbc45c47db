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

from lasting_core.definitions.relapse import (
    RelapseArrays,
    RelapseCourse,
    judged_state_codes,
    judged_states,
    observe_clinical_event,
    observe_phq9,
    observe_session,
    series_may_continue,
    states_of,
    track_relapse,
)
from lasting_core.definitions.rules import (
    NO_BASELINE,
    NOT_ASSESSED,
    NOT_RESPONDED,
    NOT_STARTED,
    PENDING,
    RELAPSED,
    RESPONDING,
    STATES,
    Change,
    ChangeCriterion,
    ChangeKind,
    ChangeRule,
    ClinicalEventKind,
    DefinitionSettings,
    RelapseState,
    SessionKind,
    change_rules,
    classify_change,
    is_remission,
    is_response,
    relapse_bar,
    starts_new_course,
)

__all__ = [
    "NOT_ASSESSED",
    "NOT_RESPONDED",
    "NOT_STARTED",
    "NO_BASELINE",
    "PENDING",
    "RELAPSED",
    "RESPONDING",
    "STATES",
    "Change",
    "ChangeCriterion",
    "ChangeKind",
    "ChangeRule",
    "ClinicalEventKind",
    "DefinitionSettings",
    "RelapseArrays",
    "RelapseCourse",
    "RelapseState",
    "SessionKind",
    "change_rules",
    "classify_change",
    "is_remission",
    "is_response",
    "judged_state_codes",
    "judged_states",
    "observe_clinical_event",
    "observe_phq9",
    "observe_session",
    "relapse_bar",
    "series_may_continue",
    "starts_new_course",
    "states_of",
    "track_relapse",
]
