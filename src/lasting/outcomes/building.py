"""One patient's outcome rows from their history, without the database.

`services.refresh_outcomes` reads the histories (`lasting.risk.history`) and the life
context, and hands each patient here. Choices (docs/outcomes.md):

- An episode belongs to the course whose dates hold its first day.
- Its induction factors come from the latest induction series that ended on or before
  its first day: the number of sessions of that series, and the end-of-induction verdict
  (`track_relapse` as known 14 days after the series' last session, when the end of
  induction has been judged).
- Therapy and antidepressant: the latest therapy event or antidepressant change on or
  before the first day (start, session or dose change: yes; stop: no), else the patient's
  own flag.
- Recent life stress: a life event of weight 2 or 3 in the 90 days up to the first day.
  Events during the episode are not counted: a longer episode has more time to meet one,
  which would make stress look protective (immortal-time bias).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from lasting.outcomes.models import EndOfInduction, InductionGroup
from lasting.risk.history import HistoryRows
from lasting.treatment.models import DrugClass, MedicationChangeKind, TherapyEventKind
from lasting.treatment.queries import LifeContext
from lasting_core.analytics.episodes import durability_intervals
from lasting_core.daynumbers import date_of_day
from lasting_core.definitions import DefinitionSettings, track_relapse
from lasting_core.instruments import InstrumentCode, get_instrument

STRESS_WINDOW_DAYS = 90
STRESS_MIN_WEIGHT = 2
# The end of induction is judged on the first PHQ-9 1-14 days after the last session.
END_OF_INDUCTION_DAYS = 14
UNKNOWN = "unknown"


@dataclass(frozen=True)
class CourseSpan:
    course_id: int
    started_on: date
    ended_on: date | None

    def holds(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


@dataclass(frozen=True)
class PatientFacts:
    """What the rows need of the patient beyond the history."""

    diagnosis: str
    in_therapy: bool
    antidepressant: bool
    courses: tuple[CourseSpan, ...]  # oldest first


@dataclass(frozen=True)
class Series:
    """One induction series: its sessions and what the end of induction said."""

    last_day: float
    sessions: int
    baseline: float | None
    assessed: bool
    responded: bool
    remitted: bool

    @property
    def verdict(self) -> str:
        if self.remitted and self.responded:
            return EndOfInduction.REMITTED
        if self.responded:
            return EndOfInduction.RESPONDED
        return EndOfInduction.NOT_ASSESSED


@dataclass(frozen=True)
class EpisodeRow:
    course_id: int | None
    start_on: date
    end_on: date
    days: float
    relapsed: bool
    started_by: str
    ended_by: str
    diagnosis: str
    severity: str
    induction_sessions: int
    induction_group: str
    end_of_induction: str
    in_therapy: bool
    antidepressant: bool
    life_stress: bool


@dataclass(frozen=True)
class CourseRow:
    course_id: int
    started_on: date
    diagnosis: str
    started_induction: bool
    induction_sessions: int
    completed_six: bool
    assessed: bool
    responded: bool
    remitted: bool


def induction_group(sessions: int) -> str:
    if sessions < 6:
        return InductionGroup.FEWER_THAN_6
    return InductionGroup.SIX if sessions == 6 else InductionGroup.MORE_THAN_6


def severity_band(baseline: float | None) -> str:
    if baseline is None:
        return UNKNOWN
    return str(get_instrument(InstrumentCode.PHQ9).get_band(baseline).code)


def induction_series(rows: HistoryRows, settings: DefinitionSettings) -> list[Series]:
    """Each induction series (consecutive induction sessions no more than the series gap
    apart) with its end-of-induction verdict."""
    days = sorted(day for day, kind in rows.sessions if kind == "induction")
    groups: list[list[float]] = []
    for day in days:
        if groups and day - groups[-1][-1] <= settings.induction_series_gap_days:
            groups[-1].append(day)
        else:
            groups.append([day])
    series = []
    for group in groups:
        judged = track_relapse(
            rows.phq9,
            rows.sessions,
            rows.events,
            settings,
            as_of_day=group[-1] + END_OF_INDUCTION_DAYS + 0.999,
        )
        responded = judged.responded_at_end_of_induction
        series.append(
            Series(
                last_day=group[-1],
                sessions=len(group),
                baseline=judged.baseline,
                assessed=responded is not None,
                responded=bool(responded),
                remitted=bool(judged.remitted_at_end_of_induction),
            )
        )
    return series


def course_of(courses: Sequence[CourseSpan], day: date) -> CourseSpan | None:
    """The latest course whose dates hold the day."""
    held = [course for course in courses if course.holds(day)]
    return held[-1] if held else None


def _on_therapy(context: LifeContext | None, day: date, default: bool) -> bool:
    rows = [row for row in (context.therapy if context else ()) if row.occurred_on <= day]
    return rows[-1].kind != TherapyEventKind.STOP if rows else default


def _on_antidepressant(context: LifeContext | None, day: date, default: bool) -> bool:
    rows = [
        row
        for row in (context.medication_changes if context else ())
        if row.drug_class == DrugClass.ANTIDEPRESSANT and row.changed_on <= day
    ]
    return rows[-1].change != MedicationChangeKind.STOP if rows else default


def _stressed(context: LifeContext | None, day: date) -> bool:
    since = day - timedelta(days=STRESS_WINDOW_DAYS)
    return any(
        since <= row.occurred_on <= day and row.weight >= STRESS_MIN_WEIGHT
        for row in (context.life_events if context else ())
    )


def episode_rows(
    rows: HistoryRows,
    facts: PatientFacts,
    context: LifeContext | None,
    settings: DefinitionSettings | None = None,
) -> list[EpisodeRow]:
    """The patient's durability intervals with their factors, censored at the last PHQ-9."""
    s = settings or DefinitionSettings()
    censor_at = max((day for day, _ in rows.phq9), default=None)
    intervals = durability_intervals(rows.phq9, rows.sessions, rows.events, s, censor_at=censor_at)
    if not intervals:
        return []
    series = induction_series(rows, s)
    out = []
    for interval in intervals:
        before = [one for one in series if one.last_day <= interval.start_day]
        latest = before[-1] if before else None
        start_on = date_of_day(interval.start_day)
        course = course_of(facts.courses, start_on)
        sessions = latest.sessions if latest else 0
        out.append(
            EpisodeRow(
                course_id=course.course_id if course else None,
                start_on=start_on,
                end_on=date_of_day(interval.end_day),
                days=interval.days,
                relapsed=interval.relapsed,
                started_by=str(interval.started_by),
                ended_by=interval.ended_by,
                diagnosis=facts.diagnosis,
                severity=severity_band(latest.baseline if latest else None),
                induction_sessions=sessions,
                induction_group=induction_group(sessions),
                end_of_induction=latest.verdict if latest else EndOfInduction.NOT_ASSESSED,
                in_therapy=_on_therapy(context, start_on, facts.in_therapy),
                antidepressant=_on_antidepressant(context, start_on, facts.antidepressant),
                life_stress=_stressed(context, start_on),
            )
        )
    return out


def course_rows(
    rows: HistoryRows, facts: PatientFacts, settings: DefinitionSettings | None = None
) -> list[CourseRow]:
    """Each course's induction: started, sessions, 6 completed, response and remission at
    the end of its first induction series."""
    s = settings or DefinitionSettings()
    series = induction_series(rows, s)
    out = []
    for course in facts.courses:
        own = [
            one
            for one in series
            if course.holds(date_of_day(one.last_day))
            and course_of(facts.courses, date_of_day(one.last_day)) == course
        ]
        inductions = sum(
            1
            for day, kind in rows.sessions
            if kind == "induction" and course_of(facts.courses, date_of_day(day)) == course
        )
        first = own[0] if own else None
        out.append(
            CourseRow(
                course_id=course.course_id,
                started_on=course.started_on,
                diagnosis=facts.diagnosis,
                started_induction=inductions > 0,
                induction_sessions=inductions,
                completed_six=inductions >= 6,
                assessed=bool(first and first.assessed),
                responded=bool(first and first.responded),
                remitted=bool(first and first.responded and first.remitted),
            )
        )
    return out
