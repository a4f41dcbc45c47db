"""Durability intervals of one patient (docs/clinical.md#durability)."""

from __future__ import annotations

from lasting_core.analytics.episodes import DurabilityInterval, durability_intervals
from lasting_core.definitions import SessionKind

# Six induction sessions on days 0-11, baseline 20 the day before.
INDUCTION = tuple((float(day), "induction") for day in (0, 2, 4, 7, 9, 11))
BASELINE = ((-1.0, 20.0),)


def test_a_responder_who_relapses_has_one_interval_from_the_end_of_induction_to_the_anchor():
    # End of induction on day 14 (score 6: response); scores rise from day 40; the
    # relapse criteria are met on day 47 and confirmed on day 54: the anchor is day 47.
    phq9 = (*BASELINE, (14.0, 6.0), (28.0, 6.0), (40.0, 8.0), (47.0, 14.0), (54.0, 15.0))
    intervals = durability_intervals(phq9, INDUCTION, censor_at=54.0)
    assert intervals == (DurabilityInterval(11.0, 47.0, SessionKind.INDUCTION, True, "relapse"),)
    assert intervals[0].days == 36


def test_a_booster_given_in_response_censors_the_interval_and_starts_the_next():
    phq9 = (*BASELINE, (14.0, 6.0), (28.0, 6.0), (42.0, 7.0), (60.0, 6.0))
    sessions = (*INDUCTION, (45.0, "booster"))
    intervals = durability_intervals(phq9, sessions, censor_at=60.0)
    assert [(i.start_day, i.end_day, i.relapsed, i.ended_by) for i in intervals] == [
        (11.0, 45.0, False, "booster"),
        (45.0, 60.0, False, "censored"),
    ]
    assert intervals[1].started_by is SessionKind.BOOSTER


def test_a_patient_who_never_responded_has_no_interval():
    phq9 = (*BASELINE, (14.0, 15.0), (28.0, 16.0))
    assert durability_intervals(phq9, INDUCTION, censor_at=28.0) == ()


def test_without_censor_day_the_open_interval_is_left_out():
    phq9 = (*BASELINE, (14.0, 6.0), (28.0, 6.0))
    assert durability_intervals(phq9, INDUCTION) == ()
    assert len(durability_intervals(phq9, INDUCTION, censor_at=28.0)) == 1


def test_a_hospitalisation_ends_the_interval_at_once():
    phq9 = (*BASELINE, (14.0, 6.0), (28.0, 6.0))
    events = ((33.0, "hospitalisation"),)
    intervals = durability_intervals(phq9, INDUCTION, events, censor_at=40.0)
    assert [(i.end_day, i.relapsed) for i in intervals] == [(33.0, True)]


def test_scores_inside_the_induction_series_start_no_interval():
    # The series is still open on day 12 (the last session was yesterday): not judged yet.
    phq9 = (*BASELINE, (12.0, 4.0))
    assert durability_intervals(phq9, INDUCTION, censor_at=12.0) == ()
