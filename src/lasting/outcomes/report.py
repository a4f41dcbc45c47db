"""The clinic's outcome report from stored rows: funnel, rates, durability, splits, Cox.

Plain rows in, frozen dataclasses out (the maths is the core's: `lasting_core.analytics`).
`queries.py` reads the rows and caches the report; `views.py` shows it and writes its
tables as CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lasting.outcomes.models import EndOfInduction, InductionGroup
from lasting.patients.models import Diagnosis
from lasting_core.analytics.anchors import DURABILITY_ANCHORS, DurabilityAnchor
from lasting_core.analytics.rates import Rate, rate_of
from lasting_core.analytics.survival import (
    HORIZON_DAYS,
    CoxModel,
    DurabilityCurve,
    fit_cox,
    fit_kaplan_meier,
    log_rank_p,
)

# One stored episode as the report reads it (the order of `EPISODE_FIELDS`).
EPISODE_FIELDS = (
    "days",
    "relapsed",
    "diagnosis",
    "induction_group",
    "end_of_induction",
    "in_therapy",
    "antidepressant",
    "life_stress",
)
COURSE_FIELDS = ("started_induction", "completed_six", "assessed", "responded", "remitted")
EpisodeTuple = tuple[float, bool, str, str, str, bool, bool, bool]
CourseTuple = tuple[bool, bool, bool, bool, bool]

DIAGNOSIS_LABELS = dict(Diagnosis.choices)
YES_NO = {True: "Yes", False: "No"}


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    share_of_evaluated: float | None
    share_of_previous: float | None


@dataclass(frozen=True)
class Split:
    """Durability by one factor: a curve per group and the log-rank p across them."""

    key: str
    label: str
    curves: tuple[DurabilityCurve, ...]
    logrank_p: float | None


@dataclass(frozen=True)
class OutcomeReport:
    funnel: tuple[FunnelStep, ...]
    rates: tuple[tuple[str, Rate], ...]
    overall: DurabilityCurve | None
    splits: tuple[Split, ...]
    cox: CoxModel | None
    anchors: tuple[DurabilityAnchor, ...]
    episodes: int


def _share(count: int, total: int) -> float | None:
    return count / total if total else None


def build_funnel(courses: Sequence[CourseTuple]) -> tuple[FunnelStep, ...]:
    evaluated = len(courses)
    counts = [
        ("Evaluated (courses)", evaluated),
        ("Started induction", sum(1 for c in courses if c[0])),
        ("Completed 6 induction sessions", sum(1 for c in courses if c[1])),
        ("Responded at the end of induction", sum(1 for c in courses if c[3])),
        ("Remitted at the end of induction", sum(1 for c in courses if c[4])),
    ]
    steps = []
    previous: int | None = None
    for label, count in counts:
        steps.append(
            FunnelStep(
                label,
                count,
                _share(count, evaluated),
                None if previous is None else _share(count, previous),
            )
        )
        previous = count
    return tuple(steps)


def build_rates(courses: Sequence[CourseTuple]) -> tuple[tuple[str, Rate], ...]:
    started = sum(1 for c in courses if c[0])
    assessed = sum(1 for c in courses if c[2])
    responded = sum(1 for c in courses if c[3])
    remitted = sum(1 for c in courses if c[4])
    return (
        ("Response, of courses that started induction", rate_of(responded, started)),
        ("Remission, of courses that started induction", rate_of(remitted, started)),
        ("Response, of courses assessed at the end of induction", rate_of(responded, assessed)),
        ("Remission, of courses assessed at the end of induction", rate_of(remitted, assessed)),
    )


# Each split: its key, its heading and how an episode's group is named.
SPLITS: tuple[tuple[str, str, Callable[[EpisodeTuple], str]], ...] = (
    ("diagnosis", "Diagnosis", lambda e: str(DIAGNOSIS_LABELS.get(e[2], e[2]))),
    (
        "induction",
        "Induction sessions in the series",
        lambda e: str(InductionGroup(e[3]).label),
    ),
    ("end_of_induction", "At the end of induction", lambda e: str(EndOfInduction(e[4]).label)),
    ("therapy", "In therapy", lambda e: YES_NO[e[5]]),
    ("antidepressant", "On an antidepressant", lambda e: YES_NO[e[6]]),
    ("life_stress", "Stressful life event in the 90 days before", lambda e: YES_NO[e[7]]),
)


def build_split(
    key: str, label: str, name_of: Callable[[EpisodeTuple], str], episodes: Sequence[EpisodeTuple]
) -> Split:
    groups: dict[str, tuple[list[float], list[bool]]] = {}
    for episode in episodes:
        durations, events = groups.setdefault(name_of(episode), ([], []))
        durations.append(episode[0])
        events.append(episode[1])
    curves = tuple(
        fit_kaplan_meier(durations, events, group=name)
        for name, (durations, events) in sorted(groups.items())
    )
    return Split(key, label, curves, log_rank_p(groups))


def cox_factors(episodes: Sequence[EpisodeTuple]) -> dict[str, list[float]]:
    """0/1 factors: each diagnosis but the commonest (the reference), fewer or more than 6
    induction sessions (against 6), remission (against response or less), therapy,
    antidepressant, recent life stress."""
    counts: dict[str, int] = {}
    for episode in episodes:
        counts[episode[2]] = counts.get(episode[2], 0) + 1
    reference = max(counts, key=lambda code: counts[code]) if counts else None
    factors: dict[str, list[float]] = {}
    for code in sorted(counts):
        if code != reference:
            name = f"Diagnosis: {DIAGNOSIS_LABELS.get(code, code)}"
            factors[name] = [float(e[2] == code) for e in episodes]
    factors["Fewer than 6 induction sessions"] = [
        float(e[3] == InductionGroup.FEWER_THAN_6) for e in episodes
    ]
    factors["More than 6 induction sessions"] = [
        float(e[3] == InductionGroup.MORE_THAN_6) for e in episodes
    ]
    factors["Remitted at the end of induction"] = [
        float(e[4] == EndOfInduction.REMITTED) for e in episodes
    ]
    factors["In therapy"] = [float(e[5]) for e in episodes]
    factors["On an antidepressant"] = [float(e[6]) for e in episodes]
    factors["Recent life stress"] = [float(e[7]) for e in episodes]
    return factors


def build_report(episodes: Sequence[EpisodeTuple], courses: Sequence[CourseTuple]) -> OutcomeReport:
    """The whole report of the rows a filter selected."""
    overall = None
    splits: tuple[Split, ...] = ()
    cox = None
    if episodes:
        durations = [e[0] for e in episodes]
        events = [e[1] for e in episodes]
        overall = fit_kaplan_meier(durations, events)
        splits = tuple(build_split(key, label, name, episodes) for key, label, name in SPLITS)
        cox = fit_cox(cox_factors(episodes), durations, events)
    return OutcomeReport(
        funnel=build_funnel(courses),
        rates=build_rates(courses),
        overall=overall,
        splits=splits,
        cox=cox,
        anchors=DURABILITY_ANCHORS,
        episodes=len(episodes),
    )


HORIZONS = HORIZON_DAYS


@dataclass(frozen=True)
class BurdenLine:
    """One alert kind's rate a patient-year in care against the clinic's budget (None: the
    kind has no budget, every one is raised)."""

    kind: str
    label: str
    alerts: int
    per_patient_year: float | None
    budget: float | None
    source: str

    @property
    def over_budget(self) -> bool:
        return (
            self.budget is not None
            and self.per_patient_year is not None
            and self.per_patient_year > self.budget
        )
