"""Check-in schedules: anchored to treatment events, in the patient's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lasting_core.schedules import (
    Cadence,
    DueCheckIn,
    PatientSchedule,
    Phase,
    Reason,
    ScheduleSettings,
    after_quiet_hours,
    choose_cadence,
    local_moment,
    missed_in_a_row,
    plan_checkins,
)

NEW_YORK = ZoneInfo("America/New_York")
MADRID = ZoneInfo("Europe/Madrid")

# Paul started maintenance on Monday 2026-01-05 in New York; his check-ins fall on Mondays.
PAUL = PatientSchedule(
    time_zone="America/New_York",
    phase=Phase.MAINTENANCE,
    maintenance_started_on=date(2026, 1, 5),
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


def plan(schedule: PatientSchedule, start: datetime, end: datetime) -> tuple[DueCheckIn, ...]:
    return plan_checkins(schedule, start=start, end=end)


def of_reason(due: tuple[DueCheckIn, ...], reason: Reason) -> list[DueCheckIn]:
    return [item for item in due if item.reason == reason]


# Weekly maintenance


def test_maintenance_asks_phq9_and_gad7_every_week_on_the_same_weekday():
    due = plan(PAUL, utc(2026, 1, 1), utc(2026, 2, 1))
    assert [item.due_on for item in due] == [
        date(2026, 1, 12),
        date(2026, 1, 19),
        date(2026, 1, 26),
    ]
    assert all(item.instruments == ("phq9", "gad7") for item in due)
    assert all(item.reason == Reason.MAINTENANCE for item in due)


def test_maintenance_window_opens_at_8_local_and_expires_3_days_later():
    (first, *_) = plan(PAUL, utc(2026, 1, 1), utc(2026, 1, 15))
    assert first.opens_at == utc(2026, 1, 12, 13)  # 08:00 EST
    assert first.expires_at == utc(2026, 1, 15, 13)
    assert first.opens_at.tzinfo is UTC
    assert first.key == "maintenance:2026-01-12"


def test_maintenance_starts_a_week_after_the_plan_begins_and_not_before():
    due = plan(PAUL, utc(2025, 12, 1), utc(2026, 1, 13))
    assert [item.due_on for item in due] == [date(2026, 1, 12)]


def test_no_maintenance_checkins_without_a_start_date_or_outside_maintenance():
    undated = PatientSchedule(time_zone="America/New_York", phase=Phase.MAINTENANCE)
    ended = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.ENDED,
        maintenance_started_on=date(2026, 1, 5),
        daily_check=True,
    )
    assert plan(undated, utc(2026, 1, 1), utc(2026, 3, 1)) == ()
    assert plan(ended, utc(2026, 1, 1), utc(2026, 3, 1)) == ()


# Before each induction session


def test_each_induction_session_gets_a_checkin_that_opens_48_hours_before_and_expires_at_it():
    sessions = (local(NEW_YORK, 2026, 2, 2, 10), local(NEW_YORK, 2026, 2, 4, 10))
    induction = PatientSchedule(
        time_zone="America/New_York", phase=Phase.INDUCTION, induction_sessions_at=sessions
    )
    due = plan(induction, utc(2026, 1, 25), utc(2026, 2, 10))
    assert [item.reason for item in due] == [Reason.PRE_SESSION, Reason.PRE_SESSION]
    assert [item.expires_at for item in due] == [s.astimezone(UTC) for s in sessions]
    assert [item.expires_at - item.opens_at for item in due] == [timedelta(hours=48)] * 2
    assert [item.due_on for item in due] == [date(2026, 2, 2), date(2026, 2, 4)]
    assert due[0].instruments == ("phq9", "gad7")


def test_two_sessions_on_one_local_day_get_one_checkin_before_the_first():
    sessions = (local(NEW_YORK, 2026, 2, 2, 15), local(NEW_YORK, 2026, 2, 2, 9))
    induction = PatientSchedule(
        time_zone="America/New_York", phase=Phase.INDUCTION, induction_sessions_at=sessions
    )
    (only,) = plan(induction, utc(2026, 1, 25), utc(2026, 2, 10))
    assert only.expires_at == local(NEW_YORK, 2026, 2, 2, 9).astimezone(UTC)


def test_a_naive_session_time_is_refused():
    with pytest.raises(ValueError):
        PatientSchedule(
            time_zone="America/New_York",
            phase=Phase.INDUCTION,
            induction_sessions_at=(datetime(2026, 2, 2, 10),),  # noqa: DTZ001
        )


# Diagnoses and the daily check


def test_pcl5_comes_every_fourth_week_only_for_ptsd():
    ptsd = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        diagnoses=frozenset({"ptsd"}),
    )
    with_pcl5 = [
        item.due_on
        for item in plan(ptsd, utc(2026, 1, 1), utc(2026, 4, 1))
        if "pcl5" in item.instruments
    ]
    assert with_pcl5 == [date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 30)]
    assert all(
        "pcl5" not in item.instruments for item in plan(PAUL, utc(2026, 1, 1), utc(2026, 4, 1))
    )


def test_pain_nrs_comes_with_each_maintenance_checkin_only_for_chronic_pain():
    pain = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        diagnoses=frozenset({"chronic_pain", "trd_mdd"}),
    )
    due = plan(pain, utc(2026, 1, 1), utc(2026, 2, 1))
    assert all(item.instruments == ("phq9", "gad7", "pain_nrs") for item in due)


def test_daily_check_opens_at_18_and_expires_at_11_next_day_only_when_asked():
    daily = PatientSchedule(time_zone="America/New_York", phase=Phase.INDUCTION, daily_check=True)
    due = plan(daily, utc(2026, 1, 10), utc(2026, 1, 13))
    assert [item.due_on for item in due] == [
        date(2026, 1, 10),
        date(2026, 1, 11),
        date(2026, 1, 12),
    ]
    assert due[0].instruments == ("daily",)
    assert due[0].opens_at == utc(2026, 1, 10, 23)
    assert due[0].expires_at == utc(2026, 1, 11, 16)
    assert of_reason(plan(PAUL, utc(2026, 1, 10), utc(2026, 1, 13)), Reason.DAILY) == []


# Daylight saving time


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        ("America/New_York", date(2026, 3, 2), date(2026, 3, 9)),  # spring forward 03-08
        ("America/New_York", date(2026, 10, 26), date(2026, 11, 2)),  # fall back 11-01
        ("Europe/Madrid", date(2026, 3, 23), date(2026, 3, 30)),  # spring forward 03-29
    ],
)
def test_windows_keep_their_local_wall_clock_times_across_a_dst_change(zone, before, after):
    tz = ZoneInfo(zone)
    schedule = PatientSchedule(
        time_zone=zone, phase=Phase.MAINTENANCE, maintenance_started_on=before - timedelta(days=7)
    )
    due = plan(
        schedule, datetime.combine(before, time(), tz), datetime.combine(after, time(23), tz)
    )
    assert [item.due_on for item in due] == [before, after]
    for item in due:
        assert item.opens_at.astimezone(tz).time() == time(8)
        assert item.expires_at.astimezone(tz).time() == time(8)
    assert due[0].opens_at.utcoffset() == timedelta(0)
    assert due[0].opens_at.astimezone(tz).utcoffset() != due[1].opens_at.astimezone(tz).utcoffset()
    # A week apart on the wall clock is a week ± 1 hour of elapsed time.
    assert abs(due[1].opens_at - due[0].opens_at - timedelta(days=7)) == timedelta(hours=1)


def test_a_daily_window_across_the_night_of_a_change_is_an_hour_shorter_or_longer():
    daily = PatientSchedule(time_zone="America/New_York", phase=Phase.INDUCTION, daily_check=True)
    spring = plan(daily, local(NEW_YORK, 2026, 3, 7), local(NEW_YORK, 2026, 3, 8))
    autumn = plan(daily, local(NEW_YORK, 2026, 10, 31), local(NEW_YORK, 2026, 11, 1))
    assert spring[0].expires_at - spring[0].opens_at == timedelta(hours=16)
    assert autumn[0].expires_at - autumn[0].opens_at == timedelta(hours=18)
    assert spring[0].expires_at.astimezone(NEW_YORK).time() == time(11)


def test_a_wall_clock_time_skipped_by_spring_forward_moves_forward_by_the_gap():
    assert local_moment(date(2026, 3, 8), time(2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 30)
    assert local_moment(date(2026, 3, 8), time(2, 30), NEW_YORK).astimezone(NEW_YORK).time() == (
        time(3, 30)
    )


def test_a_repeated_wall_clock_time_in_autumn_means_its_first_occurrence():
    assert local_moment(date(2026, 11, 1), time(1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    assert local_moment(date(2026, 10, 25), time(2, 30), MADRID) == utc(2026, 10, 25, 0, 30)


def test_a_daily_window_opening_in_a_gap_still_opens_before_it_expires():
    odd = ScheduleSettings(daily_opens_at=time(2, 30), daily_expires_at=time(2, 45))
    daily = PatientSchedule(time_zone="America/New_York", phase=Phase.INDUCTION, daily_check=True)
    (item,) = plan_checkins(
        daily, start=local(NEW_YORK, 2026, 3, 8), end=local(NEW_YORK, 2026, 3, 9), settings=odd
    )
    assert item.opens_at < item.expires_at


# Cadence


def test_raised_risk_adds_a_midweek_checkin_so_they_come_every_3_or_4_days():
    raised = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        p_relapse_28d=0.45,
    )
    due = plan(raised, utc(2026, 1, 12), utc(2026, 2, 2))
    days = [item.due_on for item in due]
    gaps = {(b - a).days for a, b in pairwise(days)}
    assert gaps == {3, 4}
    assert of_reason(due, Reason.RAISED_RISK)[0].due_on == date(2026, 1, 15)
    assert of_reason(due, Reason.RAISED_RISK)[0].instruments == ("phq9", "gad7")
    assert choose_cadence(raised) == Cadence.RAISED_RISK


def test_an_open_early_warning_raises_the_cadence_whatever_the_forecast():
    warned = PatientSchedule(
        time_zone="America/New_York", phase=Phase.MAINTENANCE, early_warning_open=True
    )
    calm = PatientSchedule(
        time_zone="America/New_York", phase=Phase.MAINTENANCE, p_relapse_28d=0.29
    )
    assert choose_cadence(warned) == Cadence.RAISED_RISK
    assert choose_cadence(calm) == Cadence.WEEKLY


def test_twelve_stable_weeks_thin_maintenance_to_every_14_days():
    stable = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        stable_weeks=12,
    )
    due = plan(stable, utc(2026, 4, 1), utc(2026, 5, 15))
    days = [item.due_on for item in due]
    assert {(b - a).days for a, b in pairwise(days)} == {14}
    assert choose_cadence(stable) == Cadence.STABLE


def test_back_to_weekly_when_the_stable_run_breaks_and_denser_when_risk_rises():
    stable = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        stable_weeks=20,
    )
    broken = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        stable_weeks=0,
    )
    risen = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        stable_weeks=20,
        p_relapse_28d=0.6,
    )
    span = (utc(2026, 4, 1), utc(2026, 4, 29))
    assert len(plan(stable, *span)) == 2
    assert len(plan(broken, *span)) == 4
    assert len(plan(risen, *span)) == 8


def test_stable_checkins_fall_on_days_the_weekly_series_would_use_so_keys_stay_stable():
    stable = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        stable_weeks=12,
    )
    span = (utc(2026, 4, 1), utc(2026, 6, 1))
    assert {i.key for i in plan(stable, *span)} < {i.key for i in plan(PAUL, *span)}


def test_pcl5_still_comes_every_four_weeks_in_the_stable_cadence():
    stable_ptsd = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        diagnoses=frozenset({"ptsd"}),
        stable_weeks=12,
    )
    due = plan(stable_ptsd, utc(2026, 4, 1), utc(2026, 6, 1))
    assert [i.due_on for i in due if "pcl5" in i.instruments] == [
        date(2026, 4, 27),
        date(2026, 5, 25),
    ]


def test_settings_that_would_skip_pcl5_in_the_stable_cadence_are_refused():
    with pytest.raises(ValueError):
        ScheduleSettings(pcl5_every_weeks=3, stable_every_weeks=2)


# Idempotency


def test_planning_the_same_span_twice_gives_the_same_checkins():
    schedule = PatientSchedule(
        time_zone="Europe/Madrid",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 3, 2),
        diagnoses=frozenset({"ptsd"}),
        daily_check=True,
        early_warning_open=True,
    )
    first = plan(schedule, utc(2026, 3, 1), utc(2026, 5, 1))
    assert first == plan(schedule, utc(2026, 3, 1), utc(2026, 5, 1))
    assert len({item.key for item in first}) == len(first)


def test_overlapping_spans_agree_and_known_keys_are_not_planned_again():
    schedule = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        daily_check=True,
    )
    first = plan(schedule, utc(2026, 1, 1), utc(2026, 2, 15))
    second = plan(schedule, utc(2026, 2, 1), utc(2026, 3, 15))
    overlap = {i.key for i in first} & {i.key for i in second}
    assert overlap
    by_key = {i.key: i for i in first}
    assert all(by_key[i.key] == i for i in second if i.key in overlap)

    known = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        daily_check=True,
        known_keys=frozenset(i.key for i in first),
    )
    again = plan(known, utc(2026, 2, 1), utc(2026, 3, 15))
    assert not {i.key for i in again} & {i.key for i in first}
    assert {i.key for i in again} | overlap == {i.key for i in second}


def test_adjacent_spans_split_the_checkins_without_gaps_or_overlap():
    schedule = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        daily_check=True,
        p_relapse_28d=0.5,
    )
    whole = plan(schedule, utc(2026, 1, 1), utc(2026, 3, 1))
    halves = plan(schedule, utc(2026, 1, 1), utc(2026, 2, 1)) + plan(
        schedule, utc(2026, 2, 1), utc(2026, 3, 1)
    )
    assert whole == halves


def test_a_naive_span_is_refused():
    with pytest.raises(ValueError):
        plan_checkins(PAUL, start=datetime(2026, 1, 1), end=utc(2026, 2, 1))  # noqa: DTZ001


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(ValueError):
        PatientSchedule(time_zone="Mars/Olympus_Mons", phase=Phase.MAINTENANCE)


# Missed check-ins (the disengagement signal)


WEEKS = plan(PAUL, utc(2026, 1, 1), utc(2026, 2, 20))  # Jan 12, 19, 26, Feb 2, 9, 16


def test_missed_in_a_row_counts_expired_unanswered_checkins_since_the_last_answer():
    answered = {WEEKS[0].key, WEEKS[1].key}
    assert missed_in_a_row(WEEKS, answered, now=utc(2026, 2, 10)) == 2  # Jan 26, Feb 2


def test_an_answered_checkin_resets_the_count():
    answered = {WEEKS[0].key, WEEKS[3].key}
    assert missed_in_a_row(WEEKS, answered, now=utc(2026, 2, 10)) == 0
    assert missed_in_a_row(WEEKS, answered, now=utc(2026, 2, 13)) == 1


def test_a_window_still_open_is_not_missed():
    now = WEEKS[4].opens_at + timedelta(hours=1)
    assert missed_in_a_row(WEEKS, set(), now=now) == 4
    assert missed_in_a_row(WEEKS, set(), now=WEEKS[4].expires_at) == 5


def test_missed_in_a_row_can_count_only_some_reasons():
    daily = PatientSchedule(
        time_zone="America/New_York",
        phase=Phase.MAINTENANCE,
        maintenance_started_on=date(2026, 1, 5),
        daily_check=True,
    )
    due = plan(daily, utc(2026, 1, 1), utc(2026, 1, 31))
    answered = {i.key for i in due if i.reason == Reason.MAINTENANCE}
    now = utc(2026, 1, 31)
    assert missed_in_a_row(due, answered, now=now) > 0
    assert missed_in_a_row(due, answered, now=now, reasons={Reason.MAINTENANCE}) == 0


def test_missed_in_a_row_is_zero_with_nothing_due():
    assert missed_in_a_row((), set(), now=utc(2026, 1, 1)) == 0


# Properties

ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Madrid",
    "Australia/Lord_Howe",  # half-hour DST shift
    "America/Santiago",  # changes at midnight
    "Asia/Kolkata",
    "UTC",
]


@settings(max_examples=60, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(
        min_value=datetime(2025, 1, 1),  # noqa: DTZ001
        max_value=datetime(2028, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    span_days=st.integers(min_value=0, max_value=120),
    started_offset=st.integers(min_value=-200, max_value=200),
    phase=st.sampled_from(list(Phase)),
    diagnoses=st.frozensets(st.sampled_from(["ptsd", "chronic_pain", "trd_mdd"])),
    daily_check=st.booleans(),
    p_relapse=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
    stable_weeks=st.integers(min_value=0, max_value=30),
    session_hours=st.lists(st.integers(min_value=-100, max_value=3000), max_size=8),
)
def test_every_window_opens_before_it_expires_and_due_dates_are_unique_per_reason(
    zone,
    start,
    span_days,
    started_offset,
    phase,
    diagnoses,
    daily_check,
    p_relapse,
    stable_weeks,
    session_hours,
):
    end = start + timedelta(days=span_days)
    schedule = PatientSchedule(
        time_zone=zone,
        phase=phase,
        diagnoses=diagnoses,
        maintenance_started_on=start.date() + timedelta(days=started_offset),
        induction_sessions_at=tuple(start + timedelta(hours=h) for h in session_hours),
        daily_check=daily_check,
        p_relapse_28d=p_relapse,
        stable_weeks=stable_weeks,
    )
    due = plan_checkins(schedule, start=start, end=end)
    for item in due:
        assert item.opens_at < item.expires_at
        assert start <= item.opens_at < end
        assert item.opens_at.tzinfo is UTC
        assert item.expires_at.tzinfo is UTC
    pairs = [(item.reason, item.due_on) for item in due]
    assert len(set(pairs)) == len(pairs)
    assert len({item.key for item in due}) == len(due)


# ---------------------------------------------------------------------------------------
# Quiet hours for reminders


class TestAfterQuietHours:
    NEW_YORK = ZoneInfo("America/New_York")
    NIGHT = (time(21, 0), time(8, 0))

    def at(self, text: str, zone: ZoneInfo | None = None) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=zone or self.NEW_YORK)

    def test_a_daytime_moment_is_kept(self) -> None:
        moment = self.at("2026-03-02T12:00")
        assert after_quiet_hours(moment, self.NEW_YORK, *self.NIGHT) == moment

    def test_late_evening_waits_for_the_next_morning(self) -> None:
        moment = self.at("2026-03-02T22:30")
        assert after_quiet_hours(moment, self.NEW_YORK, *self.NIGHT) == self.at("2026-03-03T08:00")

    def test_early_morning_waits_for_the_same_morning(self) -> None:
        moment = self.at("2026-03-03T06:15")
        assert after_quiet_hours(moment, self.NEW_YORK, *self.NIGHT) == self.at("2026-03-03T08:00")

    def test_the_edges(self) -> None:
        assert after_quiet_hours(self.at("2026-03-02T20:59"), self.NEW_YORK, *self.NIGHT) == (
            self.at("2026-03-02T20:59")
        )
        assert after_quiet_hours(self.at("2026-03-02T21:00"), self.NEW_YORK, *self.NIGHT) == (
            self.at("2026-03-03T08:00")
        )
        assert after_quiet_hours(self.at("2026-03-03T08:00"), self.NEW_YORK, *self.NIGHT) == (
            self.at("2026-03-03T08:00")
        )

    def test_the_morning_after_spring_forward_is_08_00_local(self) -> None:
        """8 March 2026: clocks go 02:00 → 03:00 in New York; the night is an hour shorter."""
        moment = self.at("2026-03-07T23:00")
        released = after_quiet_hours(moment, self.NEW_YORK, *self.NIGHT)
        assert released.astimezone(self.NEW_YORK).hour == 8
        assert released - moment == timedelta(hours=8)

    def test_a_daytime_quiet_window(self) -> None:
        moment = self.at("2026-03-02T13:00")
        released = after_quiet_hours(moment, self.NEW_YORK, time(12, 0), time(14, 0))
        assert released == self.at("2026-03-02T14:00")

    def test_equal_times_mean_no_quiet_hours(self) -> None:
        moment = self.at("2026-03-02T23:00")
        assert after_quiet_hours(moment, self.NEW_YORK, time(8, 0), time(8, 0)) == moment

    def test_a_naive_moment_is_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            after_quiet_hours(datetime(2026, 3, 2, 23), self.NEW_YORK, *self.NIGHT)  # noqa: DTZ001
