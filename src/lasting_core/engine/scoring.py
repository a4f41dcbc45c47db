"""Score early-warning episodes against observed relapses (docs/engine.md 5, Definitions).

The one implementation of "caught", "lead" and "false episode": the engine's evaluation
(`benchmarks/engine_eval.py`) and the clinic's alert performance on its own history
(`lasting.risk.performance`) both call `score_rule`.

- a relapse is caught when an early-warning episode that was still open when the relapse
  criteria were met (not ended by a session or by recovery before) began at least
  ``min_lead`` days (default 7) before;
- lead time: days from the start of that episode to the relapse date (median over the
  relapses that had an open episode, caught or not, and over the caught ones);
- a false episode: an early-warning episode with no relapse while it was open and none
  within ``horizon`` days (default 56) of its start;
- episodes ended by a session are counted apart too (a booster may have prevented the
  relapse the warning foresaw; they still count as false above).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from lasting_core.engine.replay import ReplayResult
from lasting_core.engine.signals import SignalKind

# docs/engine.md 5: a warning must begin at least this many days before the relapse to
# count (a choice: a week is the least time to book a booster).
MIN_LEAD_DAYS = 7.0
# docs/engine.md 5: a warning followed by a relapse within this many days of its start is
# not false (a choice: two of the engine's 28-day forecast horizons).
FALSE_HORIZON_DAYS = 56.0
DAYS_PER_YEAR = 365.25

Episode = tuple[float, float | None, str | None]  # start, end (None: open), end reason


@dataclass(frozen=True)
class RuleScore:
    relapses: int
    caught: int
    with_open_episode: int
    median_lead_open: float | None
    median_lead_caught: float | None
    episodes: int
    false_episodes: int
    false_ended_by_session: int
    ended_by_session: int
    at_risk_years: float
    enrolled_years: float

    @property
    def sensitivity(self) -> float:
        return self.caught / self.relapses if self.relapses else float("nan")

    @property
    def false_per_at_risk_year(self) -> float:
        return self.false_episodes / self.at_risk_years if self.at_risk_years else float("nan")

    @property
    def false_not_treated_per_at_risk_year(self) -> float:
        """False episodes that no session cut short, per at-risk patient-year."""
        false = self.false_episodes - self.false_ended_by_session
        return false / self.at_risk_years if self.at_risk_years else float("nan")

    @property
    def false_per_enrolled_year(self) -> float:
        return self.false_episodes / self.enrolled_years if self.enrolled_years else float("nan")


def score_rule(
    episodes: Mapping[str, list[Episode]],
    truth: Mapping[str, tuple[float, ...]],
    last_day: float,
    horizon: float,
    min_lead: float,
    at_risk_years: float,
    enrolled_years: float,
) -> RuleScore:
    """Score one rule's early-warning episodes against the observed relapses."""
    relapses = [(pid, day) for pid, days in truth.items() for day in days if day <= last_day]
    leads_open: list[float] = []
    leads_caught: list[float] = []
    for pid, day in relapses:
        open_at = [
            start
            for start, end, _ in episodes.get(pid, [])
            if start <= day and (end is None or end >= day)
        ]
        if open_at:
            lead = day - max(open_at)
            leads_open.append(lead)
            if lead >= min_lead:
                leads_caught.append(lead)
    false = 0
    false_by_session = 0
    ended_by_session = 0
    count = 0
    for pid, items in episodes.items():
        for start, end, reason in items:
            if start > last_day:
                continue
            count += 1
            ended_by_session += reason == "session"
            relapse_days = truth.get(pid, ())
            followed = any(
                start <= day and (day <= start + horizon or end is None or day <= end)
                for day in relapse_days
            )
            false += not followed
            false_by_session += (not followed) and reason == "session"
    return RuleScore(
        relapses=len(relapses),
        caught=len(leads_caught),
        with_open_episode=len(leads_open),
        median_lead_open=statistics.median(leads_open) if leads_open else None,
        median_lead_caught=statistics.median(leads_caught) if leads_caught else None,
        episodes=count,
        false_episodes=false,
        false_ended_by_session=false_by_session,
        ended_by_session=ended_by_session,
        at_risk_years=at_risk_years,
        enrolled_years=enrolled_years,
    )


def early_warning_episodes(result: ReplayResult) -> dict[str, list[Episode]]:
    """Return each patient's early-warning episodes of a replay, as `score_rule` reads them."""
    episodes: dict[str, list[Episode]] = defaultdict(list)
    for episode in result.episodes:
        if episode.kind == SignalKind.EARLY_WARNING:
            episodes[episode.patient_id].append(
                (episode.start_day, episode.end_day, episode.end_reason)
            )
    return episodes
