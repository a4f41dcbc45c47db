"""The report's rows in words: the clinician's terms, and the patient's plain language.

The patient's words are translated (`locale/es/`); the clinician's report is in English
like the rest of the clinic's pages. Neither names the engine's risk or forecasts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import dateformat
from django.utils.translation import gettext, ngettext, pgettext

from lasting.checkins.models import Instrument
from lasting.plans.models import MaintenancePlan, PolicyChoice
from lasting.portal.life_events import KIND_WORDS
from lasting.portal.wording import band_words, describe_plan, session_words
from lasting.reports.queries import ProgressReport, ReliefInterval
from lasting.treatment.models import SessionKind
from lasting_core.definitions import DefinitionSettings

DEFINITIONS = DefinitionSettings()
CLINICIAN_DAY = "j M Y"


def clinician_day(day: date | None) -> str:
    return dateformat.format(day, CLINICIAN_DAY) if day is not None else "—"


def _score(value: float | None) -> str:
    return f"{value:g}" if value is not None else "—"


def _yes_no(value: bool | None) -> str:
    if value is None:
        return "Not assessed"
    return "Yes" if value else "No"


# The clinician's report ---------------------------------------------------------------


def clinician_outcome(report: ProgressReport) -> list[tuple[str, str, str]]:
    """(fact, value, how it is judged) rows of the end of induction."""
    outcome = report.outcome
    fall = f"{DEFINITIONS.response_fall_share:.0%}"
    return [
        ("Baseline PHQ-9", _score(outcome.baseline), clinician_day(outcome.baseline_on)),
        (
            "End-of-induction PHQ-9",
            _score(outcome.end_score),
            clinician_day(outcome.end_on),
        ),
        ("Response", _yes_no(outcome.responded), f"a fall of {fall} or more from baseline"),
        (
            "Remission",
            _yes_no(outcome.remitted),
            f"PHQ-9 below {DEFINITIONS.remission_below:g}",
        ),
    ]


def interval_end_words(interval: ReliefInterval) -> str:
    """Why an interval ended: a relapse, or why it was censored."""
    if interval.relapsed:
        return "Relapse (symptoms returned on this day)"
    session = interval.ended_by_session
    if session is not None:
        return f"Censored: {SessionKind(session).label.lower()} session given"
    return "Censored: still in response at the latest PHQ-9"


def clinician_intervals(report: ProgressReport) -> list[dict[str, Any]]:
    return [
        {
            "started_on": clinician_day(interval.started_on),
            "started_by": "End of induction"
            if interval.started_by == SessionKind.INDUCTION
            else f"{SessionKind(interval.started_by).label} session",
            "ended_on": clinician_day(interval.ended_on),
            "days": interval.days,
            "relapsed": interval.relapsed,
            "end": interval_end_words(interval),
        }
        for interval in report.intervals
    ]


def clinician_scores(report: ProgressReport) -> list[dict[str, Any]]:
    """Each scale with its scores in the period, oldest first."""
    return [
        {
            "name": Instrument(instrument).label,
            "rows": [
                {
                    "day": clinician_day(report.local_date(response.observed_at)),
                    "score": _score(response.total),
                    "band": response.band_label,
                }
                for response in scores
            ],
        }
        for instrument in (Instrument.PHQ9, Instrument.GAD7, Instrument.PCL5)
        if (scores := report.scores_of(instrument))
    ]


def clinician_plan(plan: MaintenancePlan | None) -> str:
    """The maintenance plan's policy and the parameter that drives it.

    The forecast policy's probability threshold is left out: it is a forecast, and the
    report is read by nurses too.
    """
    if plan is None:
        return "No maintenance plan saved."
    words = PolicyChoice(plan.policy).label
    if plan.policy == PolicyChoice.FIXED:
        return f"{words}: a booster every {plan.fixed_interval_days} days."
    if plan.policy == PolicyChoice.SYMPTOM:
        return f"{words}: a booster when PHQ-9 reaches {plan.symptom_threshold}."
    if plan.policy == PolicyChoice.FORECAST:
        # Named by what the team does, not by the engine's output (nurses read this).
        words = "Early boosters: offered when the check-ins suggest symptoms may return"
    return f"{words}; at least {plan.min_spacing_days} days between boosters."


# The patient's report -----------------------------------------------------------------


def patient_day(day: date | None) -> str:
    if day is None:
        return ""
    return dateformat.format(day, pgettext("date format: day, month and year", "j F Y"))


def patient_outcome(report: ProgressReport) -> str:
    """How the first treatments went, in one or two sentences."""
    outcome = report.outcome
    if outcome.baseline is None or outcome.end_score is None or outcome.responded is None:
        return gettext(
            "It is too early to say how your first treatments went: your care team "
            "looks at this after your first series of sessions."
        )
    went = gettext(
        "At the end of your first treatments, your score went from %(before)s to %(after)s."
    ) % {"before": _score(outcome.baseline), "after": _score(outcome.end_score)}
    if outcome.remitted:
        return went + " " + gettext("That means few or no symptoms (called remission).")
    if outcome.responded:
        return went + " " + gettext("That is half or less of where you started (a response).")
    return went + " " + gettext("It had not yet fallen by half.")


def patient_interval(interval: ReliefInterval) -> str:
    start = patient_day(interval.started_on)
    if interval.still_lasting:
        return ngettext(
            "Since %(day)s: relief has lasted %(count)d day so far.",
            "Since %(day)s: relief has lasted %(count)d days so far.",
            interval.days,
        ) % {"day": start, "count": interval.days}
    if interval.relapsed:
        return ngettext(
            "From %(day)s: relief lasted %(count)d day, until symptoms came back.",
            "From %(day)s: relief lasted %(count)d days, until symptoms came back.",
            interval.days,
        ) % {"day": start, "count": interval.days}
    return ngettext(
        "From %(day)s: relief lasted at least %(count)d day, until your next session.",
        "From %(day)s: relief lasted at least %(count)d days, until your next session.",
        interval.days,
    ) % {"day": start, "count": interval.days}


LIFE_EVENT_WORDS = dict(KIND_WORDS)


def patient_rows(report: ProgressReport) -> dict[str, Any]:
    """Everything the patient's report lists, in the active language."""
    return {
        "outcome_sentence": patient_outcome(report),
        "intervals": [patient_interval(interval) for interval in report.intervals],
        "scores": [
            {
                "day": patient_day(report.local_date(response.observed_at)),
                "score": _score(response.total),
                "words": band_words(response.band),
            }
            for response in report.scores_of(Instrument.PHQ9)
        ],
        "sessions": [
            {
                "day": patient_day(report.local_date(session.started_at)),
                "what": session_words(session.kind),
            }
            for session in report.sessions
        ],
        "life_events": [
            {
                "day": patient_day(event.occurred_on),
                "what": str(LIFE_EVENT_WORDS.get(event.kind, event.kind)),
            }
            for event in report.life_events
        ],
        "plan_sentence": describe_plan(report.maintenance_plan),
        "first_on": patient_day(report.period.first_on),
        "last_on": patient_day(report.period.last_on),
    }
