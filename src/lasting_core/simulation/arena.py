"""Policy arena: the same simulated patients under several booster policies (docs/benchmarks.md).

Every random number is drawn once, up front (``draws``), and every policy runs on those
same draws: common random numbers, so differences between policies are the policies'
doing, not the luck of the draw. The loop is closed: a policy decides day by day from what
the clinic has observed so far (the oracle excepted), and its boosters change the latent
course that later check-ins observe.

Policies (``parse_policy`` reads them as ``fixed:N``, ``symptom``, ``forecast:P``,
``closed:P``, ``seen:K``, ``oracle``):

- fixed:N: a booster every N days after induction ends (the simulator's own schedule);
- symptom: a booster when an answered PHQ-9 reaches ``PolicySettings.symptom_threshold``
  or rises ``reliable_worsening_points`` above the lowest PHQ-9 since induction began;
- forecast:P: each day, the engine's batch path (``assess_packed``) assesses every
  patient in maintenance with a new check-in that day (a PHQ-9 or the daily check): one
  vectorised sweep over their PHQ-9s, sessions and daily checks up to that day. A booster
  is booked when P(relapse within 21 days), interpolated from p14 and p28 as
  ``probability_within_21_days`` does, reaches P, or, as a maintenance plan does, when the engine
  has a confirmed early warning (or a confirmed relapse) open;
- closed:P: forecast:P with the app's own check-in schedule (closed loop, as in
  docs/benchmarks.md#policy-arena): while the latest assessment has P(relapse within 28
  days) at or above the schedule's raised-risk level (0.3) or an early warning, a
  mid-week PHQ-9 at home is asked for besides the weekly one, so check-ins come every 3
  or 4 days;
- seen:K: sees the latent PHQ-9 every day without noise and books once it has risen K
  points above its lowest since the last session: the bound of any rule that reads
  symptoms (``arena_rules.SeenRule``);
- oracle: knows the latent course and books a booster on the first day of a return (the
  day the relief starts to fade, before the latent PHQ-9 has moved). It is the bound.

Booked boosters (symptom, forecast, closed, seen, oracle) happen after the simulator's drawn booking
delay (``draws.BOOSTER_DELAY_DAYS``: 2-7 days) and at least ``min_spacing_days`` after the
last session. Only patients in maintenance can be booked.

Scoring: patients who completed induction and responded (relapse is defined for them,
docs/clinical.md#definitions), over their days in maintenance (after induction ends until
they leave or the run ends). Relapse-days are days with latent PHQ-9 >= 10; a patient
relapsed when the latent reached their relapse bar (>= 10 and half the improvement lost).

Scale-out: the cohort is cut into shards of ``SHARD_PATIENTS`` that run here, on processes
or on a Dask cluster and add up to the same results (``run_arena``; docs/benchmarks.md).
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from lasting_core.engine import (
    EngineSettings,
    PopulationPrior,
)
from lasting_core.policies import PolicySettings
from lasting_core.simulation import draws as drawing
from lasting_core.simulation import dynamics
from lasting_core.simulation.arena_rules import (
    ArenaCohort,
    ForecastRule,
    OracleRule,
    Rule,
    SeenRule,
    SymptomRule,
    draw_arena_cohort,
)
from lasting_core.simulation.draws import BoolArray
from lasting_core.simulation.presets import Preset, get_preset

# A typical US self-pay price of one IV ketamine infusion (clinics list about $400-800).
DEFAULT_PRICE_PER_SESSION = 500.0
DEFAULT_MIN_SPACING_DAYS = 7
# Patients per shard: enough that a shard's vectorised day loop is efficient, few enough
# that a worker holds one comfortably (a shard of 365 days peaks at about 1 GB in its
# process, docs/benchmarks.md#policy-arena). Results depend on it: it is a constant.
SHARD_PATIENTS = 25_000
# The branch of a seed's SeedSequence tree the shards draw from; ``random_streams`` spawns
# only a handful of children at the first level, never this key.
SHARD_BRANCH = 0x5EED
DAYS_PER_YEAR = 365.25

# Progress callback: (policy label, day just simulated, days in the run).
Progress = Callable[[str, int, int], None]


class PolicyKind(StrEnum):
    FIXED = "fixed"
    SYMPTOM = "symptom"
    FORECAST = "forecast"
    CLOSED = "closed"
    SEEN = "seen"
    ORACLE = "oracle"


@dataclass(frozen=True)
class ArenaPolicy:
    """A booster policy of the arena; ``parameter`` is N days (fixed), P (forecast) or K
    PHQ-9 points (seen)."""

    kind: PolicyKind
    parameter: float | None = None

    @property
    def label(self) -> str:
        if self.parameter is None:
            return self.kind.value
        if self.kind == PolicyKind.FIXED:
            return f"{self.kind.value}:{int(self.parameter)}"
        return f"{self.kind.value}:{self.parameter:g}"


def parse_policy(text: str) -> ArenaPolicy:
    """Read ``fixed:N``, ``symptom``, ``forecast:P``, ``seen:K`` or ``oracle``; raise
    ValueError if not."""
    name, _, value = text.strip().partition(":")
    try:
        kind = PolicyKind(name)
    except ValueError:
        known = ", ".join(f"{k.value}{_PARAMETER_HINT[k]}" for k in PolicyKind)
        raise ValueError(f"unknown policy {text!r} (known: {known})") from None
    if kind in (PolicyKind.SYMPTOM, PolicyKind.ORACLE):
        if value:
            raise ValueError(f"policy {kind.value} takes no parameter, got {text!r}")
        return ArenaPolicy(kind)
    if not value:
        raise ValueError(
            f"policy {kind.value} needs a parameter: {kind.value}{_PARAMETER_HINT[kind]}"
        )
    if kind == PolicyKind.FIXED:
        if not value.isdigit() or int(value) < 7:
            raise ValueError(f"fixed:N needs a whole number of days N >= 7, got {text!r}")
        return ArenaPolicy(kind, float(int(value)))
    if kind == PolicyKind.SEEN:
        try:
            points = float(value)
        except ValueError:
            points = math.nan
        if not 0.0 < points <= 27.0:
            raise ValueError(f"seen:K needs a rise of 0 < K <= 27 PHQ-9 points, got {text!r}")
        return ArenaPolicy(kind, points)
    try:
        probability = float(value)
    except ValueError:
        probability = math.nan
    if not 0.0 < probability < 1.0:
        raise ValueError(f"{kind.value}:P needs a probability 0 < P < 1, got {text!r}")
    return ArenaPolicy(kind, probability)


_PARAMETER_HINT = {
    PolicyKind.FIXED: ":N (days)",
    PolicyKind.SYMPTOM: "",
    PolicyKind.FORECAST: ":P (0-1)",
    PolicyKind.CLOSED: ":P (0-1)",
    PolicyKind.SEEN: ":K (PHQ-9 points)",
    PolicyKind.ORACLE: "",
}


@dataclass(frozen=True)
class PolicyResult:
    """One policy's outcome per patient-year of maintenance, over the scored patients."""

    policy: str
    sessions_per_patient_year: float
    relapse_days_per_patient_year: float
    relapsed_share: float
    cost_per_patient_year: float
    seconds: float
    engine_seconds: float = 0.0
    engine_assessments: int = 0


@dataclass(frozen=True)
class ArenaResult:
    """The policies' results on one cohort, in the order they were given."""

    preset: str
    n_patients: int
    days: int
    seed: int
    price_per_session: float
    scored_patients: int
    patient_years: float
    results: tuple[PolicyResult, ...]
    seconds: float


def run_arena(
    policies: Sequence[ArenaPolicy],
    n_patients: int,
    days: int,
    *,
    preset: str | Preset = "real-world",
    seed: int = 0,
    price_per_session: float = DEFAULT_PRICE_PER_SESSION,
    min_spacing_days: int = DEFAULT_MIN_SPACING_DAYS,
    engine_settings: EngineSettings | None = None,
    prior: PopulationPrior | None = None,
    progress: Progress | None = None,
    workers: int = 1,
    shard_patients: int = SHARD_PATIENTS,
    map_shards: ShardMap | None = None,
) -> ArenaResult:
    """Run every policy on the same simulated patients and score each.

    All patients enrol on day 0, so each has ``days`` days of follow-up.

    Scale-out (docs/benchmarks.md#policy-arena):

    1. The cohort is cut into shards of ``shard_patients`` patients (the last one smaller);
       shard i draws its patients from a seed derived from (``seed``, i) by
       ``shard_seed``. Shard 0 draws from ``seed`` itself, so a cohort of one shard is
       exactly the cohort drawn before shards existed.
    2. Each shard runs every policy and returns counts (``ShardSums``): booster sessions,
       relapse-days and patient-days in maintenance, scored and relapsed patients.
    3. The counts are added in shard order and divided once, as for one shard, so the
       results depend on ``seed``, ``n_patients`` and ``shard_patients`` only: never on
       ``workers`` or on where the shards ran.

    Shards run in this process one after the other (``workers`` 1), on ``workers``
    processes, or through ``map_shards`` (for instance a Dask cluster, ``lasting.dask_runner``):
    it takes the shard tasks and yields their ``ShardSums`` in any order. Nothing is
    fitted on the cohort: the forecast policy uses ``prior`` (the published prior when
    None) in every shard.

    ``progress`` is called with (policy, day, days) while shards run here; with several
    shards the policy label names the shard ("fixed:42, shard 2/4"). When shards run
    elsewhere it is called once per finished shard as ("shard k/n", 0, 1). A policy's
    ``seconds`` add up its time over the shards; ``ArenaResult.seconds`` is the wall time.
    """
    if not policies:
        raise ValueError("give at least one policy")
    if n_patients < 1:
        raise ValueError("n_patients must be at least 1")
    if days < 1:
        raise ValueError("days must be at least 1")
    if price_per_session < 0 or not math.isfinite(price_per_session):
        raise ValueError("price_per_session must be a non-negative number")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if shard_patients < 1:
        raise ValueError("shard_patients must be at least 1")
    resolved = get_preset(preset)
    started = time.perf_counter()
    tasks = [
        ShardTask(
            shard=index,
            n_patients=size,
            days=days,
            preset=resolved,
            seed=seed,
            policies=tuple(policies),
            min_spacing_days=min_spacing_days,
            engine_settings=engine_settings,
            prior=prior,
        )
        for index, size in enumerate(shard_sizes(n_patients, shard_patients))
    ]
    if map_shards is None and workers > 1 and len(tasks) > 1:
        map_shards = process_map(workers)
    if map_shards is None:
        sums = [
            run_shard(task, _shard_progress(progress, task.shard, len(tasks))) for task in tasks
        ]
    else:
        sums = []
        for finished in map_shards(tasks):
            sums.append(finished)
            if progress is not None:
                progress(f"shard {len(sums)}/{len(tasks)}", 0, 1)
    return _merge(sums, len(tasks), n_patients, days, resolved, seed, price_per_session, started)


def shard_sizes(n_patients: int, shard_patients: int = SHARD_PATIENTS) -> list[int]:
    """Return the patients of each shard: full shards, then the remainder."""
    full, rest = divmod(n_patients, shard_patients)
    return [shard_patients] * full + ([rest] if rest else [])


def shard_seed(seed: int, shard: int) -> int | np.random.SeedSequence:
    """Return what shard ``shard`` draws from: ``seed`` for shard 0, a child seed after.

    Shard i > 0 draws from ``SeedSequence(seed, spawn_key=(SHARD_BRANCH, i))``: what
    ``SeedSequence.spawn`` would build in a branch of the tree of its own, independent of
    shard 0's streams and of every other shard.
    """
    if shard == 0:
        return seed
    return np.random.SeedSequence(seed, spawn_key=(SHARD_BRANCH, shard))


@dataclass(frozen=True)
class ShardTask:
    """Everything one shard needs; picklable, so it can run in another process or host."""

    shard: int
    n_patients: int
    days: int
    preset: Preset
    seed: int
    policies: tuple[ArenaPolicy, ...]
    min_spacing_days: int = DEFAULT_MIN_SPACING_DAYS
    engine_settings: EngineSettings | None = None
    prior: PopulationPrior | None = None


@dataclass(frozen=True)
class PolicySums:
    """One policy's counts on one shard; they add up over shards."""

    policy: str
    booster_sessions: int
    relapse_days: int
    maintenance_days: int
    relapsed: int
    seconds: float
    engine_seconds: float
    engine_assessments: int


@dataclass(frozen=True)
class ShardSums:
    """A shard's counts: its scored patients and each policy's sums, in policy order."""

    shard: int
    scored: int
    policies: tuple[PolicySums, ...]


# Runs shard tasks somewhere and yields their sums as they finish, in any order.
ShardMap = Callable[[Sequence[ShardTask]], Iterable[ShardSums]]


def run_shard(task: ShardTask, progress: Progress | None = None) -> ShardSums:
    """Draw one shard's patients and run every policy on them; return the counts."""
    cohort = draw_arena_cohort(
        task.n_patients, task.days, task.preset, shard_seed(task.seed, task.shard)
    )
    scored = _scored_patients(cohort.draws, task.days)
    sums = []
    for policy in task.policies:
        policy_started = time.perf_counter()
        rule = _make_rule(policy, cohort, task.engine_settings, task.prior)
        run = run_policy(policy, cohort, rule, task.min_spacing_days, progress)
        engine = rule if isinstance(rule, ForecastRule) else None
        sums.append(
            _count(
                policy.label,
                run,
                cohort.draws,
                scored,
                task.days,
                seconds=time.perf_counter() - policy_started,
                engine_seconds=engine.seconds if engine else 0.0,
                engine_assessments=engine.assessments if engine else 0,
            )
        )
    return ShardSums(shard=task.shard, scored=int(scored.sum()), policies=tuple(sums))


def process_map(workers: int) -> ShardMap:
    """Return a ``ShardMap`` that runs shards on ``workers`` fresh processes.

    The processes are spawned, not forked: a fork would copy the caller's threads' locks
    (the progress bar's, for one) in whatever state they were.
    """

    def map_shards(tasks: Sequence[ShardTask]) -> Iterator[ShardSums]:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context) as pool:
            futures = [pool.submit(run_shard, task) for task in tasks]
            try:
                for future in as_completed(futures):
                    yield future.result()
            except BaseException:
                pool.shutdown(cancel_futures=True)
                raise

    return map_shards


def _shard_progress(progress: Progress | None, shard: int, shards: int) -> Progress | None:
    if progress is None or shards == 1:
        return progress

    def report(policy: str, day: int, days: int) -> None:
        progress(f"{policy}, shard {shard + 1}/{shards}", day, days)

    return report


def _merge(
    sums: Sequence[ShardSums],
    shards: int,
    n_patients: int,
    days: int,
    preset: Preset,
    seed: int,
    price_per_session: float,
    started: float,
) -> ArenaResult:
    """Add the shards' counts (in shard order) and turn them into the arena's rates."""
    ordered = sorted(sums, key=lambda s: s.shard)
    if [s.shard for s in ordered] != list(range(shards)):
        raise ValueError(f"expected the sums of shards 0-{shards - 1}, got {len(sums)}")
    policies = ordered[0].policies
    scored = sum(s.scored for s in ordered)
    results = []
    patient_years = 0.0
    for index, policy in enumerate(policies):
        counts = [s.policies[index] for s in ordered]
        maintenance_days = sum(c.maintenance_days for c in counts)
        patient_years = maintenance_days / DAYS_PER_YEAR
        if patient_years == 0:
            sessions = relapse_days = relapsed = math.nan
        else:
            sessions = sum(c.booster_sessions for c in counts) / patient_years
            relapse_days = sum(c.relapse_days for c in counts) / patient_years
            relapsed = sum(c.relapsed for c in counts) / scored
        results.append(
            PolicyResult(
                policy=policy.policy,
                sessions_per_patient_year=sessions,
                relapse_days_per_patient_year=relapse_days,
                relapsed_share=relapsed,
                cost_per_patient_year=sessions * price_per_session,
                seconds=sum(c.seconds for c in counts),
                engine_seconds=sum(c.engine_seconds for c in counts),
                engine_assessments=sum(c.engine_assessments for c in counts),
            )
        )
    return ArenaResult(
        preset=preset.name,
        n_patients=n_patients,
        days=days,
        seed=seed,
        price_per_session=price_per_session,
        scored_patients=scored,
        patient_years=patient_years,
        results=tuple(results),
        seconds=time.perf_counter() - started,
    )


def run_policy(
    policy: ArenaPolicy,
    cohort: ArenaCohort,
    rule: Rule | None = None,
    min_spacing_days: int = DEFAULT_MIN_SPACING_DAYS,
    progress: Progress | None = None,
) -> dynamics.CourseRun:
    """Run one policy on the cohort's draws, closed loop, day by day."""
    n = cohort.draws.set_point.shape[0]
    decide = rule if rule is not None else _make_rule(policy, cohort, None, None)

    def book(view: dynamics.DayView) -> BoolArray:
        proposed = decide(view)
        if progress is not None:
            progress(policy.label, view.day, cohort.days)
        return proposed

    is_fixed = policy.kind == PolicyKind.FIXED
    interval = int(policy.parameter) if is_fixed and policy.parameter is not None else 42
    code = dynamics.POLICY_FIXED if is_fixed else dynamics.POLICY_NONE
    return dynamics.run_course(
        cohort.draws,
        cohort.drivers,
        cohort.preset,
        np.full(n, code, np.int64),
        cohort.days,
        interval,
        int(PolicySettings().symptom_threshold),
        min_spacing_days,
        booking=book,
        watch=decide.watch,
    )


def _scored_patients(draws: drawing.PatientDraws, days: int) -> BoolArray:
    """Responders who completed induction within the run: relapse is defined for them."""
    result: BoolArray = (
        draws.responded & ~draws.stopped_after_first & (draws.induction_end_day < days - 1)
    )
    return result


def _count(
    policy: str,
    run: dynamics.CourseRun,
    draws: drawing.PatientDraws,
    scored: BoolArray,
    days: int,
    *,
    seconds: float,
    engine_seconds: float,
    engine_assessments: int,
) -> PolicySums:
    """Count booster sessions, relapse-days and days in maintenance of the scored patients."""
    grid = np.arange(days)[None, :]
    in_maintenance = (
        scored[:, None]
        & (grid > draws.induction_end_day[:, None])
        & (grid < run.discontinued_day[:, None])
    )
    boosters = (run.sessions == dynamics.BOOSTER_SESSION) | (
        run.sessions == dynamics.MAINTENANCE_SESSION
    )
    relapsing = np.nan_to_num(run.latent) >= drawing.RELAPSE_PHQ9
    return PolicySums(
        policy=policy,
        booster_sessions=int((boosters & in_maintenance).sum()),
        relapse_days=int((relapsing & in_maintenance).sum()),
        maintenance_days=int(in_maintenance.sum()),
        relapsed=int((run.relapse_day[scored] >= 0).sum()),
        seconds=seconds,
        engine_seconds=engine_seconds,
        engine_assessments=engine_assessments,
    )


def _make_rule(
    policy: ArenaPolicy,
    cohort: ArenaCohort,
    settings: EngineSettings | None,
    prior: PopulationPrior | None,
) -> Rule:
    n = cohort.draws.set_point.shape[0]
    if policy.kind == PolicyKind.SYMPTOM:
        return SymptomRule(n)
    if policy.kind == PolicyKind.ORACLE:
        return OracleRule()
    if policy.kind in (PolicyKind.FORECAST, PolicyKind.CLOSED):
        assert policy.parameter is not None
        closed = policy.kind == PolicyKind.CLOSED
        return ForecastRule(cohort, policy.parameter, settings, prior, closed_loop=closed)
    if policy.kind == PolicyKind.SEEN:
        assert policy.parameter is not None
        return SeenRule(n, policy.parameter)
    return Rule()
