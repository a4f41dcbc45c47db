"""Simulate a clinic's cohort of ketamine patients (docs/clinical.md#durability-anchors).

``simulate_cohort`` draws patients, runs their latent severity day by day (vectorised
across patients, see ``dynamics``), draws their questionnaire answers (``observations``)
and returns frozen records: sessions, observations and the latent truth behind them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from lasting_core.simulation import draws as drawing
from lasting_core.simulation import dynamics
from lasting_core.simulation.draws import IntArray
from lasting_core.simulation.observations import Answers, draw_answers
from lasting_core.simulation.presets import DIAGNOSES, Preset, get_preset

# Independent random streams, one per component, so changing how one component draws
# leaves the others unchanged. Append new names; never reorder.
_STREAMS = (
    "enrolment",
    "course",
    "outcome",
    "durability",
    "modifiers",
    "stress",
    "wobble",
    "phq9_noise",
    "adherence",
    "dropout",
    "boosters",
    "policy",
    "gad7",
    "daily",
    "items",
)


class SessionKind(StrEnum):
    """Why a ketamine session was given."""

    INDUCTION = "induction"
    BOOSTER = "booster"  # triggered by symptoms
    MAINTENANCE = "maintenance"  # on a fixed schedule


class MaintenancePolicy(StrEnum):
    """Which booster rule the simulated clinic follows for a patient."""

    NONE = "none"
    FIXED = "fixed"
    SYMPTOM = "symptom"


_POLICY_CODES = {
    MaintenancePolicy.NONE: dynamics.POLICY_NONE,
    MaintenancePolicy.FIXED: dynamics.POLICY_FIXED,
    MaintenancePolicy.SYMPTOM: dynamics.POLICY_SYMPTOM,
}
_SESSION_KINDS = {
    dynamics.INDUCTION_SESSION: SessionKind.INDUCTION,
    dynamics.BOOSTER_SESSION: SessionKind.BOOSTER,
    dynamics.MAINTENANCE_SESSION: SessionKind.MAINTENANCE,
}


@dataclass(frozen=True)
class SimulatedSession:
    day: int
    kind: SessionKind


@dataclass(frozen=True)
class SimulatedObservation:
    """One answered questionnaire.

    ``instrument`` is "phq9" (items 1-9, 0-3 each), "gad7" (items 1-7, 0-3 each) or
    "daily" (mood, sleep, stress; 0-10 each; ``total`` is None).
    """

    day: int
    instrument: str
    total: int | None
    items: tuple[int, ...]


@dataclass(frozen=True)
class SimulatedPatient:
    """One simulated patient: what the clinic saw and the latent truth behind it.

    Outcome flags describe the latent PHQ-9 the induction settled at (its nadir):
    responded = at most half the baseline, remitted = below 5, worsened = above the
    baseline; all are False when induction had not ended by the last simulated day.
    ``latent_phq9`` is NaN before enrolment and read-only. ``relapse_day`` is the first
    day the latent PHQ-9 of a responder reached ``relapse_threshold`` (>= 10 and half of
    the improvement lost, docs/clinical.md#definitions); ``relapse_onset_day`` is the day
    that rise began.
    """

    index: int
    baseline_phq9: int
    policy: MaintenancePolicy
    responded: bool
    remitted: bool
    worsened: bool
    stopped_after_first: bool
    sessions: tuple[SimulatedSession, ...]
    observations: tuple[SimulatedObservation, ...]
    latent_phq9: npt.NDArray[np.float64] = field(compare=False, repr=False)
    relapse_onset_day: int | None
    relapse_day: int | None
    therapy: bool
    antidepressant: bool
    diagnosis: str
    enrolment_day: int
    induction_end_day: int | None
    discontinued_day: int | None
    daily_checkins: bool
    relapse_threshold: float

    @property
    def completed_induction(self) -> bool:
        """Return True when the full induction series ended within the simulation."""
        return self.induction_end_day is not None and not self.stopped_after_first


@dataclass(frozen=True)
class Cohort:
    """Simulated patients of one run; ``days`` is the length of the simulated period."""

    preset: Preset
    days: int
    seed: int
    patients: tuple[SimulatedPatient, ...]


def simulate_cohort(
    n_patients: int,
    days: int,
    *,
    preset: str | Preset = "real-world",
    seed: int = 0,
    policy: MaintenancePolicy | str | Mapping[MaintenancePolicy, float] = MaintenancePolicy.NONE,
    policy_mix: Mapping[MaintenancePolicy, float] | None = None,
    fixed_interval_days: int = 42,
    symptom_threshold: int = 10,
    booster_min_spacing_days: int = 14,
    enrolment_days: int | None = None,
) -> Cohort:
    """Simulate ``n_patients`` over ``days`` days; the same seed gives the same cohort.

    ``policy`` is one policy for everyone, or shares per policy; ``policy_mix`` is the
    same shares by keyword. Each patient gets one policy. Enrolment is spread uniformly
    over the first ``enrolment_days`` days (default: the whole period).
    """
    resolved = get_preset(preset)
    if n_patients < 0:
        raise ValueError("n_patients cannot be negative")
    if days < 1:
        raise ValueError("days must be at least 1")
    if fixed_interval_days < 7:
        raise ValueError("fixed_interval_days must be at least 7")
    if not 0 <= symptom_threshold <= 27:
        raise ValueError("symptom_threshold must be a PHQ-9 total (0-27)")
    if booster_min_spacing_days < 1:
        raise ValueError("booster_min_spacing_days must be at least 1")
    window = days if enrolment_days is None else enrolment_days
    if not 1 <= window <= days:
        raise ValueError("enrolment_days must lie between 1 and days")
    shares = _policy_shares(policy, policy_mix)

    rngs = random_streams(seed)
    draws = drawing.draw_patients(n_patients, days, window, resolved, rngs)
    drivers = drawing.draw_daily_drivers(n_patients, days, resolved, rngs)
    policies = _assign_policies(n_patients, shares, rngs["policy"])
    run = dynamics.run_course(
        draws,
        drivers,
        resolved,
        np.array([_POLICY_CODES[p] for p in policies], dtype=np.int64),
        days,
        fixed_interval_days,
        symptom_threshold,
        booster_min_spacing_days,
    )
    answers = draw_answers(run, draws, drivers.stress, resolved, rngs)
    patients = _build_patients(draws, run, answers, policies, days)
    return Cohort(preset=resolved, days=days, seed=seed, patients=patients)


def random_streams(seed: int | np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """Return the cohort's independent random streams, one per component, from one seed."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = root.spawn(len(_STREAMS))
    return {
        name: np.random.default_rng(child) for name, child in zip(_STREAMS, children, strict=True)
    }


def _policy_shares(
    policy: MaintenancePolicy | str | Mapping[MaintenancePolicy, float],
    policy_mix: Mapping[MaintenancePolicy, float] | None,
) -> dict[MaintenancePolicy, float]:
    if policy_mix is not None:
        if policy != MaintenancePolicy.NONE:
            raise ValueError("give either policy or policy_mix, not both")
        policy = policy_mix
    if isinstance(policy, str):
        return {MaintenancePolicy(policy): 1.0}
    shares = {MaintenancePolicy(key): float(share) for key, share in policy.items()}
    total = sum(shares.values())
    if not shares or any(share < 0 for share in shares.values()) or total <= 0:
        raise ValueError("policy shares must be non-negative and sum to more than 0")
    return {key: share / total for key, share in shares.items()}


def _assign_policies(
    n: int, shares: dict[MaintenancePolicy, float], rng: np.random.Generator
) -> list[MaintenancePolicy]:
    ordered = [p for p in MaintenancePolicy if p in shares]
    cumulative = np.cumsum([shares[p] for p in ordered])
    picks = np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(ordered) - 1)
    return [ordered[i] for i in picks.tolist()]


def _split_by_patient(patient_of_row: IntArray, n_patients: int) -> list[int]:
    """Return the row offsets where each patient's rows start (rows sorted by patient)."""
    offsets: list[int] = np.searchsorted(patient_of_row, np.arange(n_patients + 1)).tolist()
    return offsets


def _build_patients(
    draws: drawing.PatientDraws,
    run: dynamics.CourseRun,
    answers: Answers,
    policies: list[MaintenancePolicy],
    days: int,
) -> tuple[SimulatedPatient, ...]:
    """Turn the arrays into frozen records; the only loop over patients."""
    n = len(policies)
    phq9_patient, phq9_day = np.nonzero(run.phq9 >= 0)
    phq9_total = run.phq9[run.phq9 >= 0].tolist()
    phq9_items = [tuple(row) for row in answers.phq9_items.tolist()]
    phq9_offsets = _split_by_patient(phq9_patient, n)
    phq9_days = phq9_day.tolist()

    gad7_patient, gad7_day = np.nonzero(answers.gad7 >= 0)
    gad7_total = answers.gad7[answers.gad7 >= 0].tolist()
    gad7_items = [tuple(row) for row in answers.gad7_items.tolist()]
    gad7_offsets = _split_by_patient(gad7_patient, n)
    gad7_days = gad7_day.tolist()

    daily_answered = answers.daily[:, :, 0] >= 0
    daily_patient, daily_day = np.nonzero(daily_answered)
    daily_items = [tuple(row) for row in answers.daily[daily_answered].tolist()]
    daily_offsets = _split_by_patient(daily_patient, n)
    daily_days = daily_day.tolist()

    session_patient, session_day = np.nonzero(run.sessions)
    session_kind = run.sessions[run.sessions != 0].tolist()
    session_offsets = _split_by_patient(session_patient, n)
    session_days = session_day.tolist()

    induction_end = draws.induction_end_day
    ended = induction_end < days
    outcome = draws.outcome
    flags = {
        "responded": (ended & (outcome <= drawing.RESPONSE)).tolist(),
        "remitted": (ended & (outcome == drawing.REMISSION)).tolist(),
        "worsened": (ended & (outcome == drawing.WORSE)).tolist(),
    }
    baseline = np.rint(draws.set_point).astype(np.int64).tolist()
    stopped = draws.stopped_after_first.tolist()
    therapy = draws.therapy.tolist()
    antidepressant = draws.antidepressant.tolist()
    daily_checkins = draws.daily_checkins.tolist()
    diagnosis = draws.diagnosis.tolist()
    enrolment = draws.enrolment_day.tolist()
    induction_end_list = induction_end.tolist()
    ended_list = ended.tolist()
    discontinued = run.discontinued_day.tolist()
    relapse_day = run.relapse_day.tolist()
    relapse_onset = run.relapse_onset_day.tolist()
    threshold = draws.relapse_threshold.tolist()

    patients = []
    for i in range(n):
        observations = [
            SimulatedObservation(phq9_days[r], "phq9", phq9_total[r], phq9_items[r])
            for r in range(phq9_offsets[i], phq9_offsets[i + 1])
        ]
        observations += [
            SimulatedObservation(gad7_days[r], "gad7", gad7_total[r], gad7_items[r])
            for r in range(gad7_offsets[i], gad7_offsets[i + 1])
        ]
        observations += [
            SimulatedObservation(daily_days[r], "daily", None, daily_items[r])
            for r in range(daily_offsets[i], daily_offsets[i + 1])
        ]
        # Stable sort: within a day, PHQ-9 before GAD-7 before the daily check.
        observations.sort(key=lambda observation: observation.day)
        latent = run.latent[i].copy()
        latent.setflags(write=False)
        patients.append(
            SimulatedPatient(
                index=i,
                baseline_phq9=baseline[i],
                policy=policies[i],
                responded=flags["responded"][i],
                remitted=flags["remitted"][i],
                worsened=flags["worsened"][i],
                stopped_after_first=stopped[i],
                sessions=tuple(
                    SimulatedSession(session_days[r], _SESSION_KINDS[session_kind[r]])
                    for r in range(session_offsets[i], session_offsets[i + 1])
                ),
                observations=tuple(observations),
                latent_phq9=latent,
                relapse_onset_day=relapse_onset[i] if relapse_day[i] >= 0 else None,
                relapse_day=relapse_day[i] if relapse_day[i] >= 0 else None,
                therapy=therapy[i],
                antidepressant=antidepressant[i],
                diagnosis=DIAGNOSES[diagnosis[i]],
                enrolment_day=enrolment[i],
                induction_end_day=induction_end_list[i] if ended_list[i] else None,
                discontinued_day=discontinued[i] if discontinued[i] < days else None,
                daily_checkins=daily_checkins[i],
                relapse_threshold=threshold[i],
            )
        )
    return tuple(patients)
