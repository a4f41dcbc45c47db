"""Measure the early-warning engine on simulated cohorts with known relapses.

Two families of cohorts, side by side from one command:

- the *tuning family*: the first generator (``simulate_cohort``), its calibrated presets
  (real-world, lab) and two parameter variants of them (held-out-regular, held-out-noisy).
  The engine's settings are chosen on it (``--patients``, ``--seed`` apply to it);
- the *reporting family*: the regime generator (``simulate_regime_cohort``), structurally
  different (hidden regimes with a Gompertz onset hazard, S-shaped returns,
  beta-binomial answers, lagged daily items, irregular check-ins, a reactive clinic).
  Its settings, seeds and sizes are fixed in ``lasting_core.simulation.evaluation``
  (``REPORTING_FAMILY``) and never used to choose an engine setting.

For each cohort, simulated either with no maintenance (``--policy none``: natural history,
the clean setting for judging early warning) or with maintenance (``--policy mix``: the
first generator's realistic mix of policies; the reporting family's reactive clinic), the
script:

1. simulates the clinic's past (another seed) and fits the population prior on it, as a
   clinic would on its own history;
2. simulates the evaluation cohort, replays the engine day by day (no look-ahead), and
   takes the ground truth from the observed data: the relapse criteria met on the
   simulated check-ins (PHQ-9 >= 10 and half the improvement lost on two consecutive
   check-ins 5-15 days apart; the confirming second check-in is the relapse date);
3. scores the early-warning rules with the same episode rules: the engine's forecast,
   the two simple rules (a PHQ-9 >= 10 after a response, today's common practice; a rise
   of >= 6 points above the nadir), and an oracle that alerts on the day each return
   starts in the latent state.

Each cohort is scored twice, side by side: open loop (the check-ins the generator drew)
and closed loop (``lasting_core.simulation.closed_loop``: the app's mid-week check-in,
every 3-4 days while risk is raised, decided on what the engine has seen and answered by
the generator's own observation model; the truth taken again on those check-ins).
``--open-loop-only`` skips the closed loop. The report also gives each alert kind per
enrolled patient-year against its budget (``EngineSettings``).

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

Run: .venv/bin/python benchmarks/engine_eval.py [--patients 1000] [--policy none|mix]
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine_eval_report import CLOSED, OPEN, REPORTING, TUNING, policy_mix, report

from lasting_core.definitions import track_relapse
from lasting_core.engine import (
    ALERT_KINDS,
    EngineSettings,
    PatientHistory,
    PopulationPrior,
    SignalKind,
    WarningRule,
    fit_population_prior,
    run_replay,
)
from lasting_core.engine.calibrate import forecast_outcomes, probability_calibration
from lasting_core.engine.scoring import (
    FALSE_HORIZON_DAYS,
    MIN_LEAD_DAYS,
    Episode,
    RuleScore,
    early_warning_episodes,
    score_rule,
)
from lasting_core.simulation import (
    SimulatedPatient,
    simulate_cohort,
    simulate_regime_cohort,
)
from lasting_core.simulation.closed_loop import (
    AnswerModel,
    closed_loop_histories,
    first_generator_answers,
    regime_answers,
)
from lasting_core.simulation.evaluation import (
    EVALUATION_PRESETS,
    REPORTING_FAMILY,
    history_of,
    observed_relapses,
)
from lasting_core.simulation.export import write_cohort

Return = tuple[int, int | None]  # latent onset day, day it faded by itself (None: did not)


@dataclass(frozen=True)
class EvaluationCohort:
    """One cohort to score: the clinic's past (for the prior) and the replayed patients."""

    family: str
    name: str
    past: list[PatientHistory]
    patients: Sequence[SimulatedPatient]
    returns: Mapping[str, list[Return]]  # the oracle's latent onsets per patient
    days: int  # days replayed (the cohort runs ``horizon`` days longer, to judge warnings)
    answers: AnswerModel | None  # the generator's check-in model (closed loop only)
    seed: int  # seeds the closed loop's extra answers


def tuning_cohort(name: str, args: argparse.Namespace) -> EvaluationCohort:
    """Return a cohort of the first generator (the tuning family)."""
    preset = EVALUATION_PRESETS[name]
    mix = policy_mix(args.policy)
    past = simulate_cohort(
        args.patients, args.days, preset=preset, seed=args.seed + 1000, policy_mix=mix
    )
    cohort = simulate_cohort(
        args.patients,
        args.days + int(args.horizon),
        preset=preset,
        seed=args.seed,
        policy_mix=mix,
        enrolment_days=args.days,
    )
    returns: dict[str, list[Return]] = {
        str(p.index): [(p.relapse_onset_day, None)]
        for p in cohort.patients
        if p.relapse_onset_day is not None
    }
    answers = first_generator_answers(cohort, args.days) if args.closed_loop else None
    return EvaluationCohort(
        TUNING,
        name,
        [history_of(p) for p in past.patients],
        cohort.patients,
        returns,
        args.days,
        answers,
        args.seed,
    )


def reporting_cohort(args: argparse.Namespace) -> EvaluationCohort:
    """Return the reporting family's cohort: fixed settings, seeds and sizes."""
    family = REPORTING_FAMILY
    share = family.reactive_share if args.policy == "mix" else 0.0
    past = simulate_regime_cohort(
        family.patients,
        family.days,
        settings=family.settings,
        seed=family.past_seed,
        reactive_share=share,
    )
    cohort = simulate_regime_cohort(
        family.patients,
        family.days + int(args.horizon),
        settings=family.settings,
        seed=family.seed,
        reactive_share=share,
        enrolment_days=family.days,
    )
    if args.export_reporting is not None:
        counts = write_cohort(cohort, args.export_reporting, date(2026, 1, 5))
        print(f"wrote the reporting cohort to {args.export_reporting}: {counts}")
    # The oracle knows every return of a responder after induction, including those that
    # will fade by themselves (it cannot know that at the onset).
    returns = {
        str(p.index): [
            (r.onset_day, r.faded_day)
            for r in patient_returns
            if p.responded and p.induction_end_day is not None and r.onset_day > p.induction_end_day
        ]
        for p, patient_returns in zip(cohort.patients, cohort.returns, strict=True)
    }
    return EvaluationCohort(
        REPORTING,
        family.name,
        [history_of(p) for p in past.patients],
        cohort.patients,
        returns,
        family.days,
        regime_answers(cohort, family.days) if args.closed_loop else None,
        family.seed,
    )


def engine_episodes(
    histories: Mapping[str, PatientHistory],
    settings: EngineSettings,
    prior: PopulationPrior,
    last_day: float,
) -> tuple[dict[str, list[Episode]], float]:
    """Replay the engine; return its early-warning episodes and at-risk patient-years."""
    episodes, at_risk_years, _, _ = replay_episodes(histories, settings, prior, last_day)
    return episodes, at_risk_years


def replay_episodes(
    histories: Mapping[str, PatientHistory],
    settings: EngineSettings,
    prior: PopulationPrior,
    last_day: float,
) -> tuple[dict[str, list[Episode]], float, dict[SignalKind, int], int]:
    """Replay the engine; return its early-warning episodes, at-risk patient-years, its
    alerts by kind (one per episode) and how many disengagement alerts came from a
    silence the patient never broke (no check-in or session after the alert)."""
    result = run_replay(histories, settings, prior, start_day=0.0, end_day=last_day)
    episodes = early_warning_episodes(result)
    alerts = dict.fromkeys(sorted(ALERT_KINDS), 0)
    never_back = 0
    for episode in result.episodes:
        alerts[episode.kind] += 1
        if episode.kind == SignalKind.DISENGAGEMENT:
            history = histories[episode.patient_id]
            contacts = [day for day, _ in history.phq9] + [day for day, _ in history.sessions]
            never_back += max(contacts, default=-1.0) < episode.start_day
    return episodes, sum(result.at_risk_days.values()) / 365.25, alerts, never_back


def calibration(
    histories: Mapping[str, PatientHistory],
    truth: Mapping[str, tuple[float, ...]],
    settings: EngineSettings,
    prior: PopulationPrior,
    days: Sequence[float],
) -> tuple[float, list[tuple[float, float, int]]]:
    """Return the Brier score of P(relapse within 28 days) and a reliability table.

    The one implementation, ``lasting_core.engine.calibrate`` (which `lasting calibrate`
    reports too): only patient-days whose outcome can be seen and was not changed by
    treatment count.
    """
    predicted, observed = forecast_outcomes(histories, truth, settings, prior, days)
    result = probability_calibration(predicted, observed)
    table = [(b.mean_predicted, b.observed_share, b.count) for b in result.bins]
    return result.brier, table


def oracle_episodes(
    patients: Sequence[SimulatedPatient],
    returns: Mapping[str, list[Return]],
    truth: Mapping[str, tuple[float, ...]],
    last_day: float,
) -> dict[str, list[Episode]]:
    """Return the oracle's episodes: from each latent onset to the next session, the next
    relapse, or the day the return faded by itself."""
    episodes: dict[str, list[Episode]] = defaultdict(list)
    for patient in patients:
        pid = str(patient.index)
        for onset, faded in returns.get(pid, []):
            if onset > last_day:
                continue
            sessions = [float(s.day) for s in patient.sessions if s.day > onset][:1]
            relapses = [day for day in truth.get(pid, ()) if day >= onset][:1]
            ends = sessions + relapses + ([float(faded)] if faded is not None else [])
            end = min(ends) if ends else None
            reason = None
            if end is not None:
                reason = "relapse" if end in relapses else "session" if end in sessions else "quiet"
            episodes[pid].append((float(onset), end, reason))
    return episodes


RULES = (
    ("PHQ-9 >= 10 after response", WarningRule.PHQ9_THRESHOLD),
    ("rise >= 6 from nadir", WarningRule.RISE_FROM_NADIR),
)


def evaluate(
    cohort: EvaluationCohort, args: argparse.Namespace, settings: EngineSettings, loop: str
) -> dict[str, object]:
    """Score every rule on ``cohort``, on the generator's check-ins (open loop) or with the
    app's mid-week check-ins while risk is raised (closed loop; ``closed_loop``)."""
    started = time.perf_counter()
    prior = fit_population_prior(cohort.past, settings)
    last_day = float(cohort.days - 1)
    extra: dict[str, float] = {}
    if loop == CLOSED:
        assert cohort.answers is not None
        closed = closed_loop_histories(
            cohort.patients,
            cohort.answers,
            settings,
            prior,
            cohort.answers.completion.shape[1] - 1,
            seed=cohort.seed,
        )
        histories = closed.histories
        truth = {
            pid: track_relapse(h.phq9, h.sessions, h.events).relapse_days
            for pid, h in histories.items()
        }
        extra = {"asked": closed.asked, "answered": closed.answered}
    else:
        histories = {str(p.index): history_of(p) for p in cohort.patients}
        truth = {str(p.index): observed_relapses(p) for p in cohort.patients}
    enrolled_years = sum(max(last_day - p.enrolment_day, 0.0) for p in cohort.patients) / 365.25

    def scored(episodes: Mapping[str, list[Episode]], at_risk_years: float) -> RuleScore:
        return score_rule(
            episodes,
            truth,
            last_day,
            args.horizon,
            args.min_lead,
            at_risk_years,
            enrolled_years,
        )

    scores: dict[str, RuleScore] = {}
    forecast_episodes, at_risk_years, alerts, never_back = replay_episodes(
        histories, settings, prior, last_day
    )
    scores["engine (forecast)"] = scored(forecast_episodes, at_risk_years)
    # Disengagement alerts per enrolled patient-year: the default, then each --folds value;
    # and, at the default, those of patients who never came back.
    disengaged = SignalKind.DISENGAGEMENT
    burden = {settings.disengagement_fold_days: alerts[disengaged] / enrolled_years}
    for fold in args.folds:
        other = dataclasses.replace(settings, disengagement_fold_days=fold)
        counts = replay_episodes(histories, other, prior, last_day)[2]
        burden[fold] = counts[disengaged] / enrolled_years
    if args.default_prior:
        default_episodes, _ = engine_episodes(
            histories, settings, PopulationPrior.default(), last_day
        )
        scores["engine, default prior"] = scored(default_episodes, at_risk_years)
    for probability in args.sweep:
        other = dataclasses.replace(settings, early_warning_probability=probability)
        other_episodes, _ = engine_episodes(histories, other, prior, last_day)
        scores[f"engine, p >= {probability:.2f}"] = scored(other_episodes, at_risk_years)
    for label, rule in RULES:
        simple = dataclasses.replace(settings, early_warning_rule=rule)
        simple_episodes, _ = engine_episodes(histories, simple, prior, last_day)
        scores[label] = scored(simple_episodes, at_risk_years)
    scores["oracle (latent onset)"] = scored(
        oracle_episodes(cohort.patients, cohort.returns, truth, last_day), at_risk_years
    )
    brier, table = float("nan"), list[tuple[float, float, int]]()
    if args.calibration:
        brier, table = calibration(
            histories, truth, settings, prior, [float(d) for d in range(60, cohort.days - 28, 14)]
        )
    return {
        "family": cohort.family,
        "cohort": cohort.name,
        "loop": loop,
        "alerts": {kind: count / enrolled_years for kind, count in alerts.items()},
        "extra": {key: count / enrolled_years for key, count in extra.items()},
        "prior": prior,
        "scores": scores,
        "brier": brier,
        "calibration": table,
        "disengagement": burden,
        "never_back": never_back / enrolled_years,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1000, help="per tuning cohort")
    parser.add_argument("--days", type=int, default=365, help="replayed, tuning family")
    parser.add_argument("--seed", type=int, default=11, help="tuning family")
    parser.add_argument("--horizon", type=float, default=FALSE_HORIZON_DAYS)
    parser.add_argument("--min-lead", type=float, default=MIN_LEAD_DAYS)
    parser.add_argument(
        "--families",
        nargs="+",
        choices=[TUNING, REPORTING],
        default=[TUNING, REPORTING],
        help="which families to score (default both)",
    )
    parser.add_argument(
        "--presets",
        nargs="+",
        default=list(EVALUATION_PRESETS),
        choices=list(EVALUATION_PRESETS),
        help="tuning family cohorts",
    )
    parser.add_argument(
        "--policy",
        choices=["none", "mix"],
        default="none",
        help="maintenance: none (natural history) or the family's own (mix / reactive clinic)",
    )
    parser.add_argument("--default-prior", action="store_true", help="also score the default prior")
    parser.add_argument("--calibration", action="store_true", help="also report calibration")
    parser.add_argument("--probability", type=float, default=None, help="override the warning p")
    parser.add_argument(
        "--sweep", type=float, nargs="*", default=[], help="also score these warning thresholds"
    )
    parser.add_argument(
        "--folds",
        type=float,
        nargs="*",
        default=[],
        help="also count disengagement alerts with these disengagement_fold_days",
    )
    parser.add_argument(
        "--open-loop-only",
        dest="closed_loop",
        action="store_false",
        help="skip the closed loop (the app's mid-week check-ins while risk is raised)",
    )
    parser.add_argument(
        "--export-reporting",
        type=Path,
        default=None,
        help="also write the reporting cohort as exchange CSVs (for lasting replay)",
    )
    parser.add_argument(
        "--joint-readings",
        action="store_true",
        help="read the criteria's two check-ins as sharing one latent course (docs/engine.md 2.7)",
    )
    args = parser.parse_args()
    settings = EngineSettings(joint_readings=args.joint_readings)
    if args.probability is not None:
        settings = dataclasses.replace(settings, early_warning_probability=args.probability)
    cohorts: list[EvaluationCohort] = []
    if TUNING in args.families:
        cohorts += [tuning_cohort(name, args) for name in args.presets]
    if REPORTING in args.families:
        cohorts.append(reporting_cohort(args))
    loops = [OPEN, CLOSED] if args.closed_loop else [OPEN]
    results = [evaluate(cohort, args, settings, loop) for cohort in cohorts for loop in loops]
    print(report(results, args, settings))


if __name__ == "__main__":
    main()
