"""Check-in schedules: which questionnaires fall due when, in the patient's own time zone.

The rules and their reasons: docs/clinical.md#check-ins-and-reminders. A schedule is
anchored to treatment events:

- a check-in before each induction session;
- in maintenance, one check-in on a fixed weekday (the weekday maintenance began),
  asking PHQ-9 and GAD-7, with pain NRS for chronic pain and PCL-5 every fourth week for
  PTSD, so a patient answers once on the day rather than in three sittings;
- the daily check, when the plan asks for it.

Cadence adapts: while risk is raised a mid-week check-in is added (one
every 3 or 4 days); after 12 stable weeks only every other weekly check-in is kept
(the even weeks counted from the start of maintenance, whenever the job runs). All
cadences use days of the same weekly series, so a check-in keeps its key when the
cadence changes and a job that re-plans never creates a second check-in for a day.

Wall-clock rule: windows are set in local time (08:00 means 08:00 on the patient's
clock, before and after a daylight-saving change) and stored as aware UTC datetimes. A
local time skipped by a spring-forward change moves forward by the gap (02:30 becomes
03:30); a local time repeated by an autumn change means its first occurrence. This is
what `zoneinfo` does with `fold=0` (PEP 495).

Pure: plain values in, frozen dataclasses out; no Django.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lasting_core.instruments.base import InstrumentCode

PTSD = "ptsd"
CHRONIC_PAIN = "chronic_pain"


def _hours(wall: time) -> float:
    return wall.hour + wall.minute / 60 + wall.second / 3600


class Phase(StrEnum):
    """Where the patient is in a treatment course (docs/clinical.md#definitions)."""

    EVALUATION = "evaluation"
    INDUCTION = "induction"
    MAINTENANCE = "maintenance"
    ENDED = "ended"


class Reason(StrEnum):
    """Why a check-in is due; part of its key."""

    PRE_SESSION = "pre_session"  # before an induction session
    MAINTENANCE = "maintenance"  # the fixed-weekday maintenance check-in
    RAISED_RISK = "raised_risk"  # the extra mid-week check-in while risk is raised
    DAILY = "daily"  # the daily check the plan asked for


class Cadence(StrEnum):
    """How often maintenance check-ins come."""

    WEEKLY = "weekly"
    RAISED_RISK = "raised_risk"  # weekly plus a mid-week check-in: every 3 or 4 days
    STABLE = "stable"  # every other week


@dataclass(frozen=True)
class ScheduleSettings:
    """When check-ins open and expire, and how cadence adapts. Every default is a choice
    unless a source is named."""

    # Maintenance check-ins open at this local time on the due day (a choice: before most
    # working days start, so the reminder arrives with the morning).
    checkin_opens_at: time = time(8, 0)
    # ...and stay open this many days, expiring at the same local time (a choice: a
    # weekend or a busy day does not cost the answer; never longer than the gap to the
    # next check-in, so two maintenance windows are never open at once).
    checkin_open_days: int = 3
    # The pre-session check-in opens this long before an induction session and expires
    # when it starts (a choice: recent enough to describe the patient on the day, early
    # enough for the clinician to read it). Elapsed hours, not wall-clock: the deadline
    # is the session itself.
    pre_session_open_hours: float = 48.0
    # The daily check opens in the evening and expires late next morning, local time (a
    # choice: the day's mood and stress are rated at its end, the night's sleep the
    # next morning).
    daily_opens_at: time = time(18, 0)
    daily_expires_at: time = time(11, 0)
    # PCL-5 "monthly": with every n-th maintenance check-in (a choice: 4 weeks ≈ a month,
    # and the PCL-5's past-month time frame; Weathers 2013, NCPTSD).
    pcl5_every_weeks: int = 4
    # Raised risk: P(relapse criteria met within 28 days) at or above this, or an open
    # early warning (a choice: below the forecast policy's booster threshold of 0.5 at
    # 21 days, because a denser check-in costs far less than a booster).
    raised_risk_probability: float = 0.3
    # ...adds a check-in this many days after each weekly one (3: Monday and Thursday,
    # so check-ins come every 3 or 4 days: denser while risk is raised).
    raised_risk_midweek_offset_days: int = 3
    # Stable: this many consecutive weeks with PHQ-9 < 10 and no early warning (a
    # choice: three months of stability earns a lighter burden)...
    stable_after_weeks: int = 12
    # ...keeps every n-th weekly check-in (2: every 14 days; lower burden).
    stable_every_weeks: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.raised_risk_probability < 1:
            raise ValueError("raised_risk_probability must be between 0 and 1")
        if not 1 <= self.raised_risk_midweek_offset_days <= 6:
            raise ValueError("raised_risk_midweek_offset_days must be 1 to 6")
        shortest_gap = min(
            self.raised_risk_midweek_offset_days, 7 - self.raised_risk_midweek_offset_days
        )
        if not 1 <= self.checkin_open_days <= shortest_gap:
            raise ValueError("checkin_open_days must be at least 1 and fit between check-ins")
        if self.pre_session_open_hours <= 0:
            raise ValueError("pre_session_open_hours must be positive")
        if self.pcl5_every_weeks < 1 or self.stable_every_weeks < 1:
            raise ValueError("week counts must be positive")
        if self.pcl5_every_weeks % self.stable_every_weeks:
            # Otherwise the stable cadence would skip some PCL-5 weeks.
            raise ValueError("pcl5_every_weeks must be a multiple of stable_every_weeks")
        if self.stable_after_weeks < 0:
            raise ValueError("stable_after_weeks must not be negative")
        daily_hours = 24 - _hours(self.daily_opens_at) + _hours(self.daily_expires_at)
        if daily_hours < 3:
            # Daylight-saving changes move a local window by at most 2 hours, so a window
            # of 3 hours or more never comes out empty.
            raise ValueError("the daily window must be at least 3 hours long")


@dataclass(frozen=True)
class PatientSchedule:
    """What the planner needs to know about one patient (the caller reads it from rows)."""

    time_zone: str  # IANA name, e.g. "America/New_York"
    phase: Phase
    diagnoses: frozenset[str] = frozenset()  # codes as in the app: "ptsd", "chronic_pain", ...
    # The maintenance series falls on this weekday, starting a week after it.
    maintenance_started_on: date | None = None
    # Upcoming induction sessions (aware datetimes; any time zone).
    induction_sessions_at: tuple[datetime, ...] = ()
    daily_check: bool = False
    # From the engine: P(relapse criteria met within 28 days) and an open early warning.
    p_relapse_28d: float | None = None
    early_warning_open: bool = False
    # Consecutive weeks, up to now, with PHQ-9 < 10 and no early warning.
    stable_weeks: int = 0
    # Keys of check-ins already scheduled or answered: not planned again.
    known_keys: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.time_zone!r}") from None
        for session_at in self.induction_sessions_at:
            _require_aware(session_at, "induction session")
        if self.stable_weeks < 0:
            raise ValueError("stable_weeks must not be negative")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class DueCheckIn:
    """One check-in: what to ask, on which local day, and when its window opens and closes.

    `key` is "<reason>:<due_on>", the same every time the same check-in is planned, so a
    job that runs twice (or over overlapping spans) can skip what it already created.
    """

    key: str
    reason: Reason
    instruments: tuple[InstrumentCode, ...]
    due_on: date  # the patient's local date
    opens_at: datetime  # aware, UTC
    expires_at: datetime  # aware, UTC


def choose_cadence(
    schedule: PatientSchedule, settings: ScheduleSettings = ScheduleSettings()
) -> Cadence:
    """Return the maintenance cadence: raised risk wins over stability."""
    raised = schedule.early_warning_open or (
        schedule.p_relapse_28d is not None
        and schedule.p_relapse_28d >= settings.raised_risk_probability
    )
    if raised:
        return Cadence.RAISED_RISK
    if schedule.stable_weeks >= settings.stable_after_weeks:
        return Cadence.STABLE
    return Cadence.WEEKLY


def plan_checkins(
    schedule: PatientSchedule,
    *,
    start: datetime,
    end: datetime,
    settings: ScheduleSettings = ScheduleSettings(),
) -> tuple[DueCheckIn, ...]:
    """Return the check-ins whose windows open in [start, end), ordered by opening time.

    The current cadence applies to the whole span, so plan short spans (a job's
    horizon) and re-plan as risk changes; check-ins in `schedule.known_keys` are left out.

    1. Nothing once the course has ended.
    2. A pre-session check-in for each induction session (one per local day).
    3. In maintenance, the weekly series at the current cadence.
    4. The daily check, when asked for.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if schedule.phase == Phase.ENDED or end <= start:
        return ()
    zone = schedule.zone
    candidates = [*_pre_session(schedule, settings)]
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    if schedule.phase == Phase.MAINTENANCE:
        candidates += _maintenance(schedule, settings, first_day, last_day)
    if schedule.daily_check:
        candidates += _daily(settings, zone, first_day, last_day)
    planned = [
        item
        for item in candidates
        if start <= item.opens_at < end and item.key not in schedule.known_keys
    ]
    return tuple(sorted(planned, key=lambda item: (item.opens_at, item.reason, item.due_on)))


def missed_in_a_row(
    due: Sequence[DueCheckIn],
    answered_keys: Collection[str],
    now: datetime,
    *,
    reasons: Collection[Reason] | None = None,
) -> int:
    """Count the check-ins missed since the last one answered (disengagement).

    Two in a row raise the disengagement signal (docs/clinical.md#check-ins-and-reminders).

    Missed means expired (`expires_at <= now`) and not answered; a window still open is
    not missed, and an answered check-in resets the count even before its window closes.
    `reasons` restricts the count (e.g. leave out the daily check).
    """
    _require_aware(now, "now")
    settled = sorted(
        (
            item
            for item in due
            if (reasons is None or item.reason in reasons)
            and (item.key in answered_keys or item.expires_at <= now)
        ),
        key=lambda item: (item.expires_at, item.opens_at),
    )
    missed = 0
    for item in reversed(settled):
        if item.key in answered_keys:
            break
        missed += 1
    return missed


def after_quiet_hours(
    moment: datetime, zone: ZoneInfo, quiet_from: time, quiet_until: time
) -> datetime:
    """Return ``moment``, or the end of the quiet hours it falls in (local wall clock).

    Quiet hours run from ``quiet_from`` up to ``quiet_until`` and may span midnight
    (21:00-08:00); equal times mean none. The end is the next ``quiet_until`` on the
    patient's clock, so daylight-saving changes move it with the clock.
    """
    _require_aware(moment, "moment")
    if quiet_from == quiet_until:
        return moment
    local = moment.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    if quiet_from < quiet_until:
        quiet = quiet_from <= wall < quiet_until
    else:
        quiet = wall >= quiet_from or wall < quiet_until
    if not quiet:
        return moment
    day = local.date() if wall < quiet_until else local.date() + timedelta(days=1)
    return local_moment(day, quiet_until, zone)


def local_moment(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """Return the UTC moment of a local wall-clock time (gaps move forward, repeats: first)."""
    return datetime.combine(day, wall, tzinfo=zone).replace(fold=0).astimezone(UTC)


def _pre_session(schedule: PatientSchedule, settings: ScheduleSettings) -> Iterator[DueCheckIn]:
    zone = schedule.zone
    first_by_day: dict[date, datetime] = {}
    for session_at in sorted(schedule.induction_sessions_at):
        first_by_day.setdefault(session_at.astimezone(zone).date(), session_at)
    opens_before = timedelta(hours=settings.pre_session_open_hours)
    for day, session_at in first_by_day.items():
        starts_at = session_at.astimezone(UTC)
        yield _due(
            Reason.PRE_SESSION,
            (InstrumentCode.PHQ9, InstrumentCode.GAD7),
            day,
            starts_at - opens_before,
            starts_at,
        )


def _maintenance(
    schedule: PatientSchedule, settings: ScheduleSettings, first_day: date, last_day: date
) -> Iterator[DueCheckIn]:
    anchor = schedule.maintenance_started_on
    if anchor is None:
        return
    zone = schedule.zone
    cadence = choose_cadence(schedule, settings)
    first_week = max(1, (first_day - anchor).days // 7 - 1)
    last_week = (last_day - anchor).days // 7 + 1
    for week in range(first_week, last_week + 1):
        if cadence != Cadence.STABLE or week % settings.stable_every_weeks == 0:
            instruments = [InstrumentCode.PHQ9, InstrumentCode.GAD7]
            if CHRONIC_PAIN in schedule.diagnoses:
                instruments.append(InstrumentCode.PAIN_NRS)
            if PTSD in schedule.diagnoses and week % settings.pcl5_every_weeks == 0:
                instruments.append(InstrumentCode.PCL5)
            day = anchor + timedelta(weeks=week)
            yield _local_window(Reason.MAINTENANCE, tuple(instruments), day, settings, zone)
        if cadence == Cadence.RAISED_RISK:
            day = anchor + timedelta(weeks=week, days=settings.raised_risk_midweek_offset_days)
            core = (InstrumentCode.PHQ9, InstrumentCode.GAD7)
            yield _local_window(Reason.RAISED_RISK, core, day, settings, zone)


def _daily(
    settings: ScheduleSettings, zone: ZoneInfo, first_day: date, last_day: date
) -> Iterator[DueCheckIn]:
    for offset in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=offset)
        yield _due(
            Reason.DAILY,
            (InstrumentCode.DAILY,),
            day,
            local_moment(day, settings.daily_opens_at, zone),
            local_moment(day + timedelta(days=1), settings.daily_expires_at, zone),
        )


def _local_window(
    reason: Reason,
    instruments: tuple[InstrumentCode, ...],
    day: date,
    settings: ScheduleSettings,
    zone: ZoneInfo,
) -> DueCheckIn:
    expires_on = day + timedelta(days=settings.checkin_open_days)
    return _due(
        reason,
        instruments,
        day,
        local_moment(day, settings.checkin_opens_at, zone),
        local_moment(expires_on, settings.checkin_opens_at, zone),
    )


def _due(
    reason: Reason,
    instruments: tuple[InstrumentCode, ...],
    day: date,
    opens_at: datetime,
    expires_at: datetime,
) -> DueCheckIn:
    return DueCheckIn(f"{reason}:{day.isoformat()}", reason, instruments, day, opens_at, expires_at)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")
