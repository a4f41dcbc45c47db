"""Measure the early-warning engine on simulated cohorts with known relapses (DESIGN 10).

For each cohort (the calibrated real-world and lab presets, and held-out presets with other
dynamics), simulated either with no maintenance (``--policy none``: natural history, the
clean setting for judging early warning) or with a realistic mix of maintenance policies
(``--policy mix``, the default: boosters given on symptoms confound it), the script:

1. simulates the clinic's past (another seed) and fits the population prior on it, as a
   clinic would on its own history;
2. simulates the evaluation cohort, replays the engine day by day (no look-ahead), and
   takes the ground truth from the observed data: the relapse criteria of DESIGN 2 met on
   the simulated check-ins (the confirming second check-in is the relapse date);
3. scores three early-warning rules with the same episode rules: the engine's forecast,
   the plain "PHQ-9 >= 10" rule (today's common practice), and an oracle that alerts on
   the day the latent symptoms start to rise (the simulator's relapse_onset_day).

Definitions (the same for every rule):

- a relapse is caught when an early-warning episode that was still open when the relapse
  criteria were met (not ended by a session or by recovery before) began at least
  ``--min-lead`` days (7) before;
- lead time: days from the start of that episode to the relapse date (median over the
  relapses that had an open episode, caught or not, and over the caught ones);
- a false episode: an early-warning episode with no relapse while it was open and none
  within ``--horizon`` days (56) of its start; rate per patient-year in response (the
  time a patient could relapse) and per enrolled patient-year;
- episodes ended by a session are counted apart too (a booster may have prevented the
  relapse the warning foresaw; they still count as false above).

The report's header states the maintenance actually simulated.

Run: .venv/bin/python benchmarks/engine_eval.py [--patients 2000] [--policy none|mix]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import statistics
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from lasting_core.engine import (
    EngineSettings,
    PatientHistory,
    PopulationPrior,
    SignalKind,
    WarningRule,
    assess_packed,
    fit_population_prior,
    pack_histories,
    run_replay,
)
from lasting_core.simulation import MaintenancePolicy, simulate_cohort
from lasting_core.simulation.evaluation import (
    EVALUATION_PRESETS,
    history_of,
    observed_relapses,
)

# A realistic clinic: some patients without maintenance, some on a fixed schedule, most
# given boosters when symptoms return (assumption; the demo clinic uses the same mix).
POLICY_MIX = {
    MaintenancePolicy.NONE: 0.3,
    MaintenancePolicy.FIXED: 0.3,
    MaintenancePolicy.SYMPTOM: 0.4,
}
Episode = tuple[float, float | None, str | None]  # start, end, end reason


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


def engine_episodes(
    histories: Mapping[str, PatientHistory],
    settings: EngineSettings,
    prior: PopulationPrior,
    last_day: float,
) -> tuple[dict[str, list[Episode]], float]:
    """Replay the engine; return its early-warning episodes and at-risk patient-years."""
    result = run_replay(histories, settings, prior, start_day=0.0, end_day=last_day)
    episodes: dict[str, list[Episode]] = defaultdict(list)
    for episode in result.episodes:
        if episode.kind == SignalKind.EARLY_WARNING:
            episodes[episode.patient_id].append(
                (episode.start_day, episode.end_day, episode.end_reason)
            )
    return episodes, sum(result.at_risk_days.values()) / 365.25


def oracle_episodes(
    cohort_patients: Sequence[object],
    truth: Mapping[str, tuple[float, ...]],
    last_day: float,
) -> dict[str, list[Episode]]:
    """Return the oracle's episodes: from the latent onset to the next session or relapse."""
    episodes: dict[str, list[Episode]] = {}
    for patient in cohort_patients:
        onset = patient.relapse_onset_day
        if onset is None or onset > last_day:
            continue
        pid = str(patient.index)
        sessions = [s.day for s in patient.sessions if s.day > onset]
        relapses = [day for day in truth.get(pid, ()) if day >= onset]
        ends = [float(d) for d in sessions[:1] + relapses[:1]]
        end = min(ends) if ends else None
        reason = None if end is None else ("relapse" if end in relapses else "session")
        episodes[pid] = [(float(onset), end, reason)]
    return episodes


def calibration(
    histories: Mapping[str, PatientHistory],
    truth: Mapping[str, tuple[float, ...]],
    settings: EngineSettings,
    prior: PopulationPrior,
    days: Sequence[float],
) -> tuple[float, list[tuple[float, float, int]]]:
    """Return the Brier score of P(relapse within 28 days) and a reliability table.

    Only patient-days whose outcome can be seen and was not changed by treatment count:
    the patient is checking in (not disengaged) and has no session in the 28 days.
    """
    ids = list(histories)
    predicted: list[float] = []
    observed: list[float] = []
    for day in days:
        arrays = pack_histories([histories[i] for i in ids], day)
        m = assess_packed(arrays, day, settings, prior, crossing=False)
        for j, pid in enumerate(ids):
            p = float(m.p28[j])
            treated = any(day < d <= day + 28.0 for d, _ in histories[pid].sessions)
            if np.isnan(p) or bool(m.disengaged[j]) or treated:
                continue
            predicted.append(p)
            observed.append(float(any(day < r <= day + 28.0 for r in truth.get(pid, ()))))
    p_arr, o_arr = np.asarray(predicted), np.asarray(observed)
    brier = float(np.mean((p_arr - o_arr) ** 2)) if p_arr.size else float("nan")
    edges = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0001]
    table = []
    for low, high in itertools.pairwise(edges):
        inside = (p_arr >= low) & (p_arr < high)
        if inside.any():
            table.append(
                (float(p_arr[inside].mean()), float(o_arr[inside].mean()), int(inside.sum()))
            )
    return brier, table


def evaluate_preset(
    name: str, args: argparse.Namespace, settings: EngineSettings
) -> dict[str, object]:
    preset = EVALUATION_PRESETS[name]
    started = time.perf_counter()
    days = args.days
    horizon = args.horizon
    mix = policy_mix(args.policy)
    past = simulate_cohort(
        args.patients, days, preset=preset, seed=args.seed + 1000, policy_mix=mix
    )
    prior = fit_population_prior([history_of(p) for p in past.patients], settings)
    cohort = simulate_cohort(
        args.patients,
        days + int(horizon),
        preset=preset,
        seed=args.seed,
        policy_mix=mix,
        enrolment_days=days,
    )
    histories = {str(p.index): history_of(p) for p in cohort.patients}
    truth = {str(p.index): observed_relapses(p) for p in cohort.patients}
    last_day = float(days - 1)
    enrolled_years = sum(max(last_day - p.enrolment_day, 0.0) for p in cohort.patients) / 365.25

    scores: dict[str, RuleScore] = {}
    forecast_episodes, at_risk_years = engine_episodes(histories, settings, prior, last_day)
    scores["engine (forecast)"] = score_rule(
        forecast_episodes, truth, last_day, horizon, args.min_lead, at_risk_years, enrolled_years
    )
    if args.default_prior:
        default_episodes, _ = engine_episodes(
            histories, settings, PopulationPrior.default(), last_day
        )
        scores["engine, default prior"] = score_rule(
            default_episodes, truth, last_day, horizon, args.min_lead, at_risk_years, enrolled_years
        )
    for probability in args.sweep:
        other = dataclasses.replace(settings, early_warning_probability=probability)
        other_episodes, _ = engine_episodes(histories, other, prior, last_day)
        scores[f"engine, p >= {probability:.2f}"] = score_rule(
            other_episodes, truth, last_day, horizon, args.min_lead, at_risk_years, enrolled_years
        )
    threshold = dataclasses.replace(settings, early_warning_rule=WarningRule.PHQ9_THRESHOLD)
    threshold_episodes, _ = engine_episodes(histories, threshold, prior, last_day)
    scores["PHQ-9 >= 10"] = score_rule(
        threshold_episodes, truth, last_day, horizon, args.min_lead, at_risk_years, enrolled_years
    )
    scores["oracle (latent onset)"] = score_rule(
        oracle_episodes(cohort.patients, truth, last_day),
        truth,
        last_day,
        horizon,
        args.min_lead,
        at_risk_years,
        enrolled_years,
    )
    brier, table = (float("nan"), [])
    if args.calibration:
        brier, table = calibration(
            histories, truth, settings, prior, [float(d) for d in range(60, days - 28, 14)]
        )
    return {
        "preset": name,
        "prior": prior,
        "scores": scores,
        "brier": brier,
        "calibration": table,
        "seconds": time.perf_counter() - started,
    }


def _fmt(value: float | None, pattern: str = "{:.0f}") -> str:
    return "–" if value is None or value != value else pattern.format(value)


def policy_mix(policy: str) -> dict[MaintenancePolicy, float]:
    """Return the maintenance mix of the simulated clinic for ``--policy``."""
    return dict(POLICY_MIX) if policy == "mix" else {MaintenancePolicy.NONE: 1.0}


def policy_text(policy: str) -> str:
    """Return the report's words for the maintenance mix actually simulated."""
    mix = policy_mix(policy)
    if mix == {MaintenancePolicy.NONE: 1.0}:
        return "no maintenance (natural history: induction only, no boosters)"
    names = {MaintenancePolicy.SYMPTOM: "symptom-triggered"}
    parts = [f"{names.get(kind, str(kind))} {round(100 * share)} %" for kind, share in mix.items()]
    return "policy mix " + " / ".join(parts)


def report(
    results: list[dict[str, object]], args: argparse.Namespace, settings: EngineSettings
) -> str:
    lines = [
        "## Engine evaluation (benchmarks/engine_eval.py)",
        "",
        f"{args.patients} patients per cohort, {args.days} days of replay (+{args.horizon:.0f}"
        f" days to judge the last warnings), seed {args.seed}; {policy_text(args.policy)}."
        " Caught = an early-warning episode open at the relapse"
        f" and begun >= {args.min_lead:.0f} days before it; engine warning at P(relapse within"
        f" 28 d) >= {settings.early_warning_probability:.2f}. Targets (DESIGN 10): sensitivity"
        " >= 90 %, median lead >= 18 days, <= 0.5 false episodes per patient-year.",
        "",
        "| cohort | rule | relapses | sensitivity | median lead, caught (all open) | "
        "false episodes / at-risk pt-yr | same, not cut short by a session | / enrolled pt-yr |"
        " episodes (ended by session) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        scores = result["scores"]
        assert isinstance(scores, dict)
        for rule, score in scores.items():
            assert isinstance(score, RuleScore)
            lines.append(
                f"| {result['preset']} | {rule} | {score.relapses} | "
                f"{_fmt(100 * score.sensitivity)} % | {_fmt(score.median_lead_caught)} "
                f"({_fmt(score.median_lead_open)}) d | "
                f"{_fmt(score.false_per_at_risk_year, '{:.2f}')}"
                f" | {_fmt(score.false_not_treated_per_at_risk_year, '{:.2f}')}"
                f" | {_fmt(score.false_per_enrolled_year, '{:.2f}')} | {score.episodes} "
                f"({score.ended_by_session}) |"
            )
    lines += ["", "Priors fitted on each preset's simulated past (another seed):", ""]
    for result in results:
        prior = result["prior"]
        assert isinstance(prior, PopulationPrior)
        lines.append(
            f"- {result['preset']}: shape {prior.shape:.2f}, gamma a {prior.gamma_shape:.2f}, "
            f"median relief {prior.median_days():.0f} d, rise {prior.rise_days:.0f} d "
            f"({prior.source}); ran in {result['seconds']:.0f} s"
        )
    if args.calibration:
        lines += ["", "Calibration of P(relapse criteria met within 28 days), every 14 days:", ""]
        for result in results:
            table = result["calibration"]
            assert isinstance(table, list)
            cells = ", ".join(f"{p:.2f}→{o:.2f} (n {n})" for p, o, n in table)
            lines.append(
                f"- {result['preset']}: Brier {result['brier']:.3f}; predicted→observed: {cells}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--horizon", type=float, default=56.0)
    parser.add_argument("--min-lead", type=float, default=7.0)
    parser.add_argument(
        "--presets", nargs="+", default=list(EVALUATION_PRESETS), choices=list(EVALUATION_PRESETS)
    )
    parser.add_argument(
        "--policy",
        choices=["none", "mix"],
        default="mix",
        help="maintenance in the simulated clinic: none (natural history) or the realistic mix",
    )
    parser.add_argument("--default-prior", action="store_true", help="also score the default prior")
    parser.add_argument("--calibration", action="store_true", help="also report calibration")
    parser.add_argument("--probability", type=float, default=None, help="override the warning p")
    parser.add_argument(
        "--sweep", type=float, nargs="*", default=[], help="also score these warning thresholds"
    )
    args = parser.parse_args()
    settings = EngineSettings()
    if args.probability is not None:
        settings = dataclasses.replace(settings, early_warning_probability=args.probability)
    results = [evaluate_preset(name, args, settings) for name in args.presets]
    print(report(results, args, settings))


if __name__ == "__main__":
    main()
