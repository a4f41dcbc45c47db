"""Closed loop: the app's own check-in schedule in the engine's evaluation (docs/engine.md 5).

Open loop, the engine reads the check-ins a generator drew on its own schedule. In use the
app asks more often while risk is raised (``lasting_core.schedules``: a mid-week check-in,
so one every 3 or 4 days, while P(relapse within 28 days) is at least
``raised_risk_probability`` or an early warning holds), and those answers reach the engine
sooner. ``closed_loop_histories`` replays that, day by day, with no look-ahead:

1. the app's weekly series starts at the end of induction; its mid-week slot falls
   ``raised_risk_midweek_offset_days`` after each weekly day, while the patient is in care;
2. the evening before a slot, the engine assesses the patient on every record before the
   slot's day (the extra answers added so far included), and the slot is asked when risk
   is raised then;
3. whether the patient answers it, and what, comes from the generator's own observation
   model at that day's latent PHQ-9 (``AnswerModel``): the first generator's Gaussian
   noise and adherence (``first_generator_answers``); the regime generator's
   beta-binomial answers with a personal response style, decaying adherence and weeks away
   (``regime_answers``). A slot on a day with a PHQ-9 already on record is not asked twice.

The latent courses and the sessions stay those of the open-loop cohort: the extra answers
are seen by the engine and by the relapse definition, not by a simulated clinic's booking
rule. Without maintenance (``--policy none``) that is exact; with a clinic that books on
symptoms it is an approximation (the clinic would sometimes book a few days sooner).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lasting_core.engine.durability import PopulationPrior
from lasting_core.engine.history import PatientHistory, pack_histories
from lasting_core.engine.parameters import EngineSettings
from lasting_core.engine.patients import assess_packed
from lasting_core.schedules import ScheduleSettings
from lasting_core.simulation import draws as drawing
from lasting_core.simulation.cohort import Cohort, SimulatedPatient
from lasting_core.simulation.cohort import random_streams as first_streams
from lasting_core.simulation.draws import PHQ9_MAX, FloatArray, IntArray
from lasting_core.simulation.evaluation import history_of
from lasting_core.simulation.regime_cohort import RegimeCohort
from lasting_core.simulation.regimes import draw_regime_patients, run_regimes
from lasting_core.simulation.regimes import random_streams as regime_streams

# Draws the PHQ-9 totals of ``rows`` answered on ``day``.
AnswerDraw = Callable[[IntArray, int, np.random.Generator], IntArray]


@dataclass(frozen=True)
class AnswerModel:
    """What a check-in the app added would have found, per patient (cohort order) and day.

    ``completion`` is the chance a remote check-in asked that day is answered (0 while the
    patient is not in maintenance care); ``draw`` gives the answered totals.
    """

    completion: FloatArray  # (patients, days)
    draw: AnswerDraw


@dataclass(frozen=True)
class ClosedLoop:
    """The histories the engine would have seen on the app's schedule, and what it cost."""

    histories: dict[str, PatientHistory]
    asked: int  # mid-week check-ins the app asked
    answered: int  # ...and the patients answered


def first_generator_answers(cohort: Cohort, enrolment_days: int) -> AnswerModel:
    """Return the first generator's check-in model for ``cohort`` (simulated with
    ``enrolment_days``): its adherence with the personal offset, lowered by severity, and
    Gaussian answers around the latent (``dynamics.run_course``, step 3)."""
    preset = cohort.preset
    n = len(cohort.patients)
    draws = drawing.draw_patients(
        n, cohort.days, enrolment_days, preset, first_streams(cohort.seed)
    )
    latent = _latent(cohort.patients, cohort.days)
    days = np.arange(cohort.days, dtype=np.float64)[None, :]
    enrolled_days = np.maximum(days - draws.enrolment_day[:, None], 0.0)
    completion = (
        drawing.weekly_adherence(preset, enrolled_days, False) + draws.adherence_offset[:, None]
    ) * drawing.engagement(preset, latent)
    completion = np.clip(completion, 0.0, 1.0) * _in_care(cohort.patients, cohort.days)

    def draw(rows: IntArray, day: int, rng: np.random.Generator) -> IntArray:
        noisy = latent[rows, day] + rng.normal(0.0, preset.observation_sd, rows.size)
        result: IntArray = np.rint(np.clip(noisy, 0.0, PHQ9_MAX)).astype(np.int64)
        return result

    return AnswerModel(completion=completion, draw=draw)


def regime_answers(cohort: RegimeCohort, enrolment_days: int) -> AnswerModel:
    """Return the regime generator's check-in model for ``cohort`` (simulated with
    ``enrolment_days``), from the same draws and run (``regimes.run_regimes``, step 3):
    decaying personal adherence, fewer answers as symptoms return, none while away;
    beta-binomial answers with the patient's response style."""
    s = cohort.settings
    n = len(cohort.patients)
    rngs = regime_streams(cohort.seed)
    draws = draw_regime_patients(n, cohort.days, enrolment_days, cohort.reactive_share, s, rngs)
    run = run_regimes(draws, s, cohort.days, rngs)
    latent = np.nan_to_num(run.latent)
    well = draws.well_level[:, None]
    rise = np.clip((latent - well) / np.maximum(draws.relapse_level[:, None] - well, 1.0), 0.0, 1.0)
    days = np.arange(cohort.days)[None, :]
    since_end = np.maximum(days - run.induction_end_day[:, None], 0).astype(np.float64)
    floor, start = draws.weekly_floor[:, None], draws.weekly_start[:, None]
    adherence = floor + (start - floor) * np.exp(-since_end / draws.weekly_decay[:, None])
    completion = adherence * (1.0 - s.severity_skip_share * rise)
    completion *= _in_care(cohort.patients, cohort.days) * ~run.away

    def draw(rows: IntArray, day: int, rng: np.random.Generator) -> IntArray:
        share = np.clip((latent[rows, day] + draws.response_style[rows]) / PHQ9_MAX, 0.003, 0.997)
        precision = s.answer_precision
        result: IntArray = rng.binomial(
            int(PHQ9_MAX), rng.beta(share * precision, (1.0 - share) * precision)
        ).astype(np.int64)
        return result

    return AnswerModel(completion=completion, draw=draw)


def _latent(patients: Sequence[SimulatedPatient], days: int) -> FloatArray:
    latent = np.zeros((len(patients), days))
    for row, patient in enumerate(patients):
        latent[row] = np.nan_to_num(patient.latent_phq9[:days])
    return latent


def _in_care(patients: Sequence[SimulatedPatient], days: int) -> FloatArray:
    """Return 1 on the days a patient is in maintenance (after induction, not yet gone)."""
    grid = np.arange(days)
    result = np.zeros((len(patients), days))
    for row, patient in enumerate(patients):
        if patient.induction_end_day is None:
            continue
        gone = days if patient.discontinued_day is None else patient.discontinued_day
        result[row] = (grid > patient.induction_end_day) & (grid < gone)
    return result


def midweek_slots(
    patients: Sequence[SimulatedPatient], last_day: int, schedule: ScheduleSettings
) -> dict[int, list[int]]:
    """Return the mid-week slots by day: the rows of the patients with one that day."""
    slots: dict[int, list[int]] = defaultdict(list)
    offset = schedule.raised_risk_midweek_offset_days
    for row, patient in enumerate(patients):
        end = patient.induction_end_day
        if end is None:
            continue
        gone = last_day + 1 if patient.discontinued_day is None else patient.discontinued_day
        for day in range(end + offset, min(gone, last_day + 1), 7):
            slots[day].append(row)
    return slots


def closed_loop_histories(
    patients: Sequence[SimulatedPatient],
    answers: AnswerModel,
    settings: EngineSettings,
    prior: PopulationPrior,
    last_day: int,
    *,
    seed: int,
    schedule: ScheduleSettings | None = None,
) -> ClosedLoop:
    """Return the patients' histories with the mid-week check-ins the app would have added.

    Steps (module docstring): for each day with slots, in time order, assess the patients
    with a slot on every record before that day, ask those at raised risk, and record the
    answers drawn from ``answers`` (``seed`` seeds those draws).
    """
    plan = schedule or ScheduleSettings()
    rng = np.random.default_rng([seed, 4])
    ids = [str(p.index) for p in patients]
    base = [history_of(p) for p in patients]
    phq9 = [list(history.phq9) for history in base]
    asked = answered = 0
    for day, rows in sorted(midweek_slots(patients, last_day, plan).items()):
        fresh = [row for row in rows if not any(int(d) == day for d, _ in phq9[row])]
        if not fresh:
            continue
        current = [dataclasses.replace(base[row], phq9=tuple(phq9[row])) for row in fresh]
        evening = math.nextafter(float(day), -math.inf)
        m = assess_packed(
            pack_histories(current, evening), evening, settings, prior, crossing=False
        )
        raised = m.early_warning | (m.p28 >= plan.raised_risk_probability)
        chosen = np.asarray(fresh, dtype=np.int64)[raised]
        asked += chosen.size
        replies = chosen[rng.random(chosen.size) < answers.completion[chosen, day]]
        answered += replies.size
        for row, total in zip(
            replies.tolist(), answers.draw(replies, day, rng).tolist(), strict=True
        ):
            bisect.insort(phq9[row], (float(day), float(total)))
    histories = {
        pid: dataclasses.replace(history, phq9=tuple(records))
        for pid, history, records in zip(ids, base, phq9, strict=True)
    }
    return ClosedLoop(histories=histories, asked=asked, answered=answered)
