"""Clinical definitions (docs/clinical.md#definitions): response, remission, change, relapse."""

from __future__ import annotations

import numpy as np
import pytest

from lasting_core.definitions import (
    ChangeCriterion,
    ChangeKind,
    DefinitionSettings,
    RelapseArrays,
    RelapseCourse,
    RelapseState,
    classify_change,
    is_remission,
    is_response,
    judged_states,
    observe_phq9,
    observe_session,
    relapse_bar,
    starts_new_course,
    track_relapse,
)

# Paul: baseline 20 before induction on days 10-24, responds (PHQ-9 4 at day 31).
INDUCTION = tuple((float(day), "induction") for day in (10, 13, 16, 19, 22, 24))
RESPONSE = ((5.0, 20.0), (31.0, 4.0), (38.0, 5.0))


def course_with(
    *later: tuple[float, float], events: tuple[tuple[float, str], ...] = ()
) -> RelapseCourse:
    return track_relapse(RESPONSE + later, INDUCTION, events)


class TestResponseAndRemission:
    def test_a_fall_of_half_the_baseline_is_a_response(self) -> None:
        assert is_response(20, 10)
        assert not is_response(20, 11)

    def test_remission_is_below_five(self) -> None:
        assert is_remission(4)
        assert not is_remission(5)

    def test_baseline_is_the_last_phq9_before_the_first_induction_session(self) -> None:
        course = track_relapse(((1.0, 18.0), (8.0, 21.0), (12.0, 9.0)), INDUCTION)
        assert course.baseline == 21.0
        assert course.baseline_day == 8.0

    def test_a_phq9_on_the_day_of_the_first_session_counts_as_before_it(self) -> None:
        course = track_relapse(((1.0, 18.0), (10.0, 22.0), (30.0, 20.0)), INDUCTION)
        assert course.baseline == 22.0

    def test_no_phq9_before_induction_means_no_baseline(self) -> None:
        course = track_relapse(((12.0, 5.0),), INDUCTION)
        assert course.state == RelapseState.NO_BASELINE
        assert course.baseline is None

    def test_response_is_recorded_with_its_day(self) -> None:
        course = track_relapse(RESPONSE, INDUCTION)
        assert course.state == RelapseState.RESPONDING
        assert course.response_day == 31.0

    def test_before_induction_the_course_has_not_started(self) -> None:
        assert track_relapse(((1.0, 20.0),), ()).state == RelapseState.NOT_STARTED


class TestEndOfInduction:
    """Response is judged at the end of induction: the first PHQ-9 1-14 days after the
    last induction session; scores during the series start no relapse clock."""

    def test_a_good_score_the_day_after_the_first_infusion_starts_no_relapse_clock(
        self,
    ) -> None:
        scores = ((5.0, 20.0), (11.0, 4.0))
        during = track_relapse(scores, INDUCTION, as_of_day=12.0)
        assert during.state == RelapseState.NOT_ASSESSED
        assert during.response_day is None
        course = track_relapse((*scores, (31.0, 6.0)), INDUCTION, as_of_day=40.0)
        assert course.response_day == 31.0
        assert course.end_of_induction_day == 31.0

    def test_a_relapse_is_never_dated_inside_the_induction_series(self) -> None:
        # Good on day 11, relapse-level on days 14 and 20, all between infusions.
        scores = ((5.0, 20.0), (11.0, 4.0), (14.0, 15.0), (20.0, 16.0), (31.0, 5.0))
        course = track_relapse(scores, INDUCTION, as_of_day=40.0)
        assert course.relapse_days == ()
        assert course.state == RelapseState.RESPONDING
        events = track_relapse(scores[:2], INDUCTION, ((12.0, "hospitalisation"),))
        assert events.relapse_days == ()

    def test_response_is_judged_on_the_first_phq9_one_to_fourteen_days_after_the_last_session(
        self,
    ) -> None:
        # Day 24 (the last session) is day 0: a PHQ-9 later that day does not judge.
        course = track_relapse(((5.0, 20.0), (24.5, 4.0), (28.0, 12.0), (35.0, 4.0)), INDUCTION)
        assert course.end_of_induction_day == 28.0
        assert course.end_of_induction_score == 12.0
        assert course.responded_at_end_of_induction is False
        assert course.remitted_at_end_of_induction is False

    def test_remission_is_judged_at_the_end_of_induction_too(self) -> None:
        course = track_relapse(((5.0, 20.0), (31.0, 4.0), (38.0, 12.0)), INDUCTION)
        assert course.responded_at_end_of_induction is True
        assert course.remitted_at_end_of_induction is True

    def test_a_later_response_starts_the_clock_but_leaves_the_end_of_induction_verdict(
        self,
    ) -> None:
        course = track_relapse(((5.0, 20.0), (31.0, 12.0), (45.0, 8.0)), INDUCTION)
        assert course.state == RelapseState.RESPONDING
        assert course.response_day == 45.0
        assert course.responded_at_end_of_induction is False

    def test_without_a_phq9_in_the_window_response_is_not_assessed(self) -> None:
        course = track_relapse(((5.0, 20.0), (39.0, 12.0)), INDUCTION)
        assert course.state == RelapseState.NOT_ASSESSED
        assert course.end_of_induction_day is None
        assert course.responded_at_end_of_induction is None

    def test_the_verdict_waits_until_a_week_passes_without_an_induction_session(
        self,
    ) -> None:
        # The patient stopped after two infusions (days 10 and 13): the day-14 score is
        # the end of induction, known once no session followed within 7 days.
        sessions = INDUCTION[:2]
        scores = ((5.0, 20.0), (14.0, 4.0))
        assert track_relapse(scores, sessions, as_of_day=20.0).state == RelapseState.NOT_ASSESSED
        settled = track_relapse(scores, sessions, as_of_day=21.0)
        assert settled.state == RelapseState.RESPONDING
        assert settled.response_day == 14.0

    def test_a_booster_ends_the_induction_series_at_once(self) -> None:
        sessions = (*INDUCTION[:2], (16.0, "booster"))
        course = track_relapse(((5.0, 20.0), (14.0, 4.0)), sessions, as_of_day=16.0)
        assert course.state == RelapseState.RESPONDING

    def test_another_induction_session_voids_a_judgement_made_between_sessions(self) -> None:
        # Days 10 and 13, then a pause of a week and two more: one series, ending on 23.
        sessions = (*INDUCTION[:2], (20.0, "induction"), (23.0, "induction"))
        scores = ((5.0, 20.0), (14.0, 4.0), (27.0, 12.0))
        course = track_relapse(scores, sessions, as_of_day=31.0)
        assert course.end_of_induction_day == 27.0
        assert course.state == RelapseState.NOT_RESPONDED

    def test_the_batch_state_hides_a_verdict_while_the_series_may_continue(self) -> None:
        m = RelapseArrays.empty(2)
        settings = DefinitionSettings()
        both = np.ones(2, dtype=bool)
        observe_phq9(m, both, np.full(2, 1.0), np.full(2, 20.0), settings)
        observe_session(m, both, np.full(2, 2.0), both, settings)
        observe_phq9(m, both, np.full(2, 3.0), np.array([4.0, 15.0]), settings)
        assert judged_states(m, np.full(2, 9.0), settings) == [RelapseState.NOT_ASSESSED] * 2
        assert judged_states(m, np.full(2, 10.0), settings) == [
            RelapseState.RESPONDING,
            RelapseState.NOT_RESPONDED,
        ]


class TestChangeLabels:
    @pytest.mark.parametrize(
        ("instrument", "before", "after", "expected"),
        [
            ("phq9", 4, 10, ChangeKind.WORSENED),
            ("phq9", 4, 9, ChangeKind.UNCHANGED),
            ("phq9", 16, 10, ChangeKind.IMPROVED),
            ("gad7", 10, 6, ChangeKind.IMPROVED),
            ("gad7", 10, 7, ChangeKind.UNCHANGED),
            ("pcl5", 40, 50, ChangeKind.WORSENED),
            ("pcl5", 50, 40, ChangeKind.IMPROVED),
            ("pcl5", 50, 41, ChangeKind.UNCHANGED),
            ("pain_nrs", 8, 5, ChangeKind.IMPROVED),  # 3 points, 38 %
            ("pain_nrs", 4, 2, ChangeKind.IMPROVED),  # 2 points, 50 %
            ("pain_nrs", 8, 7, ChangeKind.UNCHANGED),
        ],
    )
    def test_thresholds_follow_design(
        self, instrument: str, before: float, after: float, expected: ChangeKind
    ) -> None:
        assert classify_change(instrument, before, after).kind == expected

    def test_phq9_and_gad7_changes_are_reliable_change(self) -> None:
        assert classify_change("phq9", 16, 10).label == "reliable improvement"
        assert classify_change("gad7", 6, 10).label == "reliable worsening"
        assert classify_change("phq9", 4, 9).label == "no reliable change"

    def test_ten_pcl5_points_are_a_clinically_meaningful_change_not_a_reliable_one(
        self,
    ) -> None:
        # NCPTSD: 10 points is clinically meaningful; the reliable-change index is 15-18
        # points (Marx 2022), so 10 points must never be called reliable change.
        change = classify_change("pcl5", 50, 40)
        assert change.criterion == ChangeCriterion.CLINICALLY_MEANINGFUL
        assert change.label == "clinically meaningful improvement"
        assert "reliable" not in classify_change("pcl5", 40, 50).label
        assert classify_change("pcl5", 50, 41).label == "no clinically meaningful change"

    @pytest.mark.parametrize(
        ("before", "after"),
        [(3, 2), (8, 6), (10, 8), (1, 0)],  # 33 % but 1 point; 2 points but 25 % or 20 %
    )
    def test_pain_improvement_needs_two_points_and_thirty_percent(
        self, before: float, after: float
    ) -> None:
        change = classify_change("pain_nrs", before, after)
        assert change.kind == ChangeKind.UNCHANGED
        assert change.label == "no clinically important change"

    def test_pain_worsening_mirrors_the_improvement_rule(self) -> None:
        assert classify_change("pain_nrs", 2, 4).label == "clinically important worsening"
        assert classify_change("pain_nrs", 0, 2).kind == ChangeKind.WORSENED
        assert classify_change("pain_nrs", 8, 10).kind == ChangeKind.UNCHANGED  # 25 %

    def test_unknown_instruments_are_refused(self) -> None:
        with pytest.raises(ValueError, match="phq9"):
            classify_change("qids", 1, 2)


class TestRelapse:
    def test_the_bar_is_ten_or_half_the_improvement_lost(self) -> None:
        assert relapse_bar(20, 4) == 12.0
        assert relapse_bar(14, 4) == 10.0

    def test_two_check_ins_a_week_apart_confirm_relapse_on_the_second(self) -> None:
        course = course_with((45.0, 13.0), (52.0, 14.0))
        assert course.state == RelapseState.RELAPSED
        assert course.relapse_days == (52.0,)
        assert course.relapse_anchor_days == (45.0,)

    def test_one_check_in_over_the_bar_is_pending(self) -> None:
        course = course_with((45.0, 13.0))
        assert course.state == RelapseState.PENDING
        assert course.pending_since == 45.0

    def test_a_check_in_back_under_the_bar_cancels_the_pending_relapse(self) -> None:
        course = course_with((45.0, 13.0), (52.0, 8.0), (59.0, 13.0))
        assert course.state == RelapseState.PENDING
        assert course.relapse_days == ()

    @pytest.mark.parametrize(
        ("gap", "confirmed"),
        [(4.9, False), (5.0, True), (10.0, True), (15.0, True), (15.1, False)],
    )
    def test_confirmation_needs_five_to_fifteen_days(self, gap: float, confirmed: bool) -> None:
        course = course_with((45.0, 13.0), (45.0 + gap, 14.0))
        assert (course.state == RelapseState.RELAPSED) is confirmed

    def test_a_too_early_check_in_neither_confirms_nor_cancels(self) -> None:
        course = course_with((45.0, 13.0), (47.0, 14.0), (51.0, 15.0))
        assert course.relapse_days == (51.0,)
        assert course.relapse_anchor_days == (45.0,)

    def test_a_check_in_after_fifteen_days_starts_a_new_confirmation(self) -> None:
        course = course_with((45.0, 13.0), (61.0, 14.0))
        assert course.state == RelapseState.PENDING
        assert course.pending_since == 61.0
        assert course_with((45.0, 13.0), (61.0, 14.0), (68.0, 14.0)).relapse_days == (68.0,)

    def test_ten_points_are_not_enough_when_half_the_improvement_is_kept(self) -> None:
        # Baseline 20, best 4: the bar is 12.
        course = course_with((45.0, 11.0), (52.0, 11.0))
        assert course.state == RelapseState.RESPONDING
        assert course.relapse_bar == 12.0

    def test_a_clinician_entered_event_is_a_relapse_at_once(self) -> None:
        course = course_with(events=((40.0, "hospitalisation"),))
        assert course.state == RelapseState.RELAPSED
        assert course.relapse_days == (40.0,)
        assert course_with(events=((40.0, "suicide_related"),)).relapse_days == (40.0,)

    def test_a_non_responder_never_relapses(self) -> None:
        scores = ((5.0, 20.0), (31.0, 14.0), (38.0, 22.0), (45.0, 24.0), (52.0, 25.0))
        course = track_relapse(scores, INDUCTION, ((50.0, "hospitalisation"),))
        assert course.state == RelapseState.NOT_RESPONDED
        assert course.relapse_days == ()

    def test_a_new_response_after_relapse_can_relapse_again(self) -> None:
        course = course_with((45.0, 13.0), (52.0, 14.0), (60.0, 3.0), (67.0, 12.0), (74.0, 13.0))
        assert course.relapse_days == (52.0, 74.0)

    def test_a_failed_booster_does_not_raise_the_bar(self) -> None:
        sessions = (*INDUCTION, (48.0, "booster"))
        course = track_relapse((*RESPONSE, (45.0, 14.0), (52.0, 14.0)), sessions)
        assert course.relapse_days == (52.0,)

    def test_the_nadir_is_the_lowest_since_the_latest_session(self) -> None:
        sessions = (*INDUCTION, (40.0, "booster"))
        course = track_relapse((*RESPONSE, (47.0, 7.0), (54.0, 6.0)), sessions)
        assert course.nadir == 6.0
        assert course.nadir_day == 54.0

    def test_a_re_induction_after_a_long_gap_starts_a_new_course(self) -> None:
        later = tuple((float(day), "induction") for day in (200, 203))
        course = track_relapse((*RESPONSE, (190.0, 18.0), (214.0, 8.0)), INDUCTION + later)
        assert course.baseline == 18.0
        assert course.response_day == 214.0


def test_the_state_machine_runs_many_patients_at_once() -> None:
    """Rows are independent: each patient follows its own records."""
    m = RelapseArrays.empty(3)
    settings = DefinitionSettings()
    everyone = np.ones(3, dtype=bool)
    observe_phq9(m, everyone, np.full(3, 1.0), np.array([20.0, 20.0, 14.0]), settings)
    observe_session(m, everyone, np.full(3, 2.0), everyone, settings)
    observe_phq9(m, everyone, np.full(3, 9.0), np.array([4.0, 15.0, 6.0]), settings)
    assert [RelapseState(s) for s in ("responding", "not_responded", "responding")] == [
        list(RelapseState)[int(code)] for code in m.state
    ]


def test_settings_refuse_an_inverted_confirmation_window() -> None:
    with pytest.raises(ValueError, match="confirmation"):
        DefinitionSettings(confirmation_min_days=16.0)


class TestNewCourse:
    """One rule for when an induction session starts a new course, in the app and the core."""

    def test_the_first_induction_session_starts_a_course(self) -> None:
        assert starts_new_course(100.0, None)

    def test_an_induction_session_within_thirty_days_continues_the_course(self) -> None:
        assert not starts_new_course(130.0, 100.0)

    def test_an_induction_session_after_more_than_thirty_days_starts_a_new_course(self) -> None:
        assert starts_new_course(130.5, 100.0)

    def test_the_relapse_machine_applies_the_same_rule(self) -> None:
        settings = DefinitionSettings()
        gaps = np.array([10.0, 30.0, 30.5, 45.0])
        m = RelapseArrays.empty(len(gaps))
        everyone = np.ones(len(gaps), dtype=bool)
        first = observe_session(m, everyone, np.zeros(len(gaps)), everyone, settings)
        again = observe_session(m, everyone, gaps, everyone, settings)
        assert first.all()
        assert list(again) == [starts_new_course(gap, 0.0, settings) for gap in gaps]
