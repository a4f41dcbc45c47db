"""The regime generator (the reporting family) is calibrated, different and well formed.

Calibration targets and their sources: tests/reference/durability_anchors.md.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
from datetime import date

import numpy as np
import pytest

from lasting_core.replayfiles import replay_files
from lasting_core.simulation import kaplan_meier
from lasting_core.simulation.evaluation import REPORTING_FAMILY, observed_relapses
from lasting_core.simulation.export import write_cohort
from lasting_core.simulation.regime_cohort import RegimeCohort, simulate_regime_cohort
from lasting_core.simulation.regime_settings import RegimeSettings
from lasting_core.simulation.regimes import (
    RETURNING,
    draw_regime_patients,
    random_streams,
    run_regimes,
)


@pytest.fixture(scope="module")
def untreated() -> RegimeCohort:
    """Everyone enrolled on day 0, no boosters: the setting of the published anchors."""
    return simulate_regime_cohort(3000, 200, seed=2024, enrolment_days=1)


@pytest.fixture(scope="module")
def clinic_year() -> RegimeCohort:
    """A reactive clinic's year: staggered enrolment, boosters booked on symptoms."""
    return simulate_regime_cohort(300, 365, seed=3, reactive_share=0.7)


def _ended(cohort: RegimeCohort) -> list:
    return [p for p in cohort.patients if p.induction_end_day is not None]


class TestCalibration:
    def test_response_and_remission_lie_in_the_published_ranges(
        self, untreated: RegimeCohort
    ) -> None:
        ended = _ended(untreated)
        response = np.mean([p.responded for p in ended])
        remission = np.mean([p.remitted for p in ended])
        worse = np.mean([p.worsened for p in ended])
        assert 0.50 <= response <= 0.70  # McInnes 2022 53.6 %; Phillips 59 %; Oliver 50-72 %
        assert 0.20 <= remission <= 0.40  # McInnes 2022 28.9 %
        assert 0.05 <= worse <= 0.11  # McInnes 2022 8.4 %

    def test_responders_without_maintenance_hold_as_in_mcinnes(
        self, untreated: RegimeCohort
    ) -> None:
        durations, events = [], []
        for p in _ended(untreated):
            if not p.responded or p.stopped_after_first:
                continue
            if p.relapse_day is not None:
                durations.append(p.relapse_day - p.induction_end_day)
                events.append(True)
            else:
                durations.append(untreated.days - 1 - p.induction_end_day)
                events.append(False)
        curve = kaplan_meier(durations, events)
        assert curve.at(28) == pytest.approx(0.80, abs=0.05)
        assert curve.at(56) == pytest.approx(0.60, abs=0.05)


class TestStructure:
    def test_the_onset_hazard_is_gompertz_in_the_days_since_the_last_session(self) -> None:
        """Without frailty and life events (and without therapy or a single session, which
        scale it), every patient's onset hazard is lambda exp(gamma u): it rises with u."""
        settings = dataclasses.replace(
            RegimeSettings(), frailty_log_sd=0.0, life_events_per_year=0.0
        )
        rngs = random_streams(5)
        days = 200
        draws = draw_regime_patients(3000, days, 1, 0.0, settings, rngs)
        run = run_regimes(draws, settings, days, rngs)
        end = run.induction_end_day
        at_risk = np.zeros(days)
        onsets = np.zeros(days)
        same = ~draws.therapy & ~draws.stopped_after_first
        for i in np.flatnonzero((end < days - 1) & same):
            path = run.regime[i, end[i] + 1 :]
            since = np.arange(1, path.size + 1)
            first = np.flatnonzero(path == RETURNING)
            stop = first[0] if first.size else path.size
            at_risk[since[: stop + 1]] += 1
            if first.size:
                onsets[since[first[0]]] += 1
        rates = []
        for low, high in ((1, 15), (15, 40), (40, 75)):
            rate = onsets[low:high].sum() / at_risk[low:high].sum()
            middle = (low + high - 1) / 2
            expected = settings.gompertz_base_per_day * np.exp(
                settings.gompertz_growth_per_day * middle
            )
            assert rate == pytest.approx(expected, rel=0.2)
            rates.append(rate)
        assert rates[0] < rates[1] < rates[2]

    def test_a_share_of_patients_keep_no_daily_items(self, clinic_year: RegimeCohort) -> None:
        keepers = [p for p in clinic_year.patients if p.daily_checkins]
        assert 0.3 < len(keepers) / len(clinic_year.patients) < 0.6
        for p in clinic_year.patients:
            has_daily = any(o.instrument == "daily" for o in p.observations)
            assert has_daily <= p.daily_checkins

    def test_weekly_check_ins_are_irregular_and_some_weeks_are_skipped(
        self, clinic_year: RegimeCohort
    ) -> None:
        gaps: list[int] = []
        for p in clinic_year.patients:
            if p.induction_end_day is None:
                continue
            days = [
                o.day
                for o in p.observations
                if o.instrument == "phq9" and o.day > p.induction_end_day
            ]
            gaps += np.diff(days).tolist()
        counts = np.bincount(gaps)
        assert counts[7] < 0.5 * len(gaps)  # jittered, not a strict weekly grid
        assert sum(counts[15:]) > 0.05 * len(gaps)  # skipped weeks

    def test_adherence_falls_over_time(self, clinic_year: RegimeCohort) -> None:
        early = late = 0
        for p in clinic_year.patients:
            if p.induction_end_day is None or p.discontinued_day is not None:
                continue
            end = p.induction_end_day
            days = [o.day - end for o in p.observations if o.instrument == "phq9"]
            early += sum(1 for d in days if 0 < d <= 60)
            late += sum(1 for d in days if 120 < d <= 180)
        assert late < early

    def test_the_clinic_books_boosters_days_after_a_high_score(
        self, clinic_year: RegimeCohort
    ) -> None:
        settings = clinic_year.settings
        low = settings.booking_delay_days[0]
        boosters = 0
        for p in clinic_year.patients:
            scores = [(o.day, o.total) for o in p.observations if o.instrument == "phq9"]
            for session in p.sessions:
                if session.kind != "booster":
                    continue
                boosters += 1
                assert p.policy == "symptom"
                triggers = [
                    d
                    for d, total in scores
                    if total >= settings.booking_threshold[0] and d <= session.day - low
                ]
                assert triggers, "a booster follows a PHQ-9 at or above a threshold"
        assert boosters > 20

    def test_daily_items_follow_the_symptoms(self, clinic_year: RegimeCohort) -> None:
        """Mood falls and stress rises when the latent PHQ-9 is high (within patients)."""
        moods, stresses, latents = [], [], []
        for p in clinic_year.patients:
            daily = [o for o in p.observations if o.instrument == "daily"]
            if len(daily) < 30:
                continue
            latent = np.array([p.latent_phq9[o.day] for o in daily])
            moods += (
                np.array([o.items[0] for o in daily]) - np.mean([o.items[0] for o in daily])
            ).tolist()
            stresses += (
                np.array([o.items[2] for o in daily]) - np.mean([o.items[2] for o in daily])
            ).tolist()
            latents += (latent - latent.mean()).tolist()
        assert np.corrcoef(moods, latents)[0, 1] < -0.2
        assert np.corrcoef(stresses, latents)[0, 1] > 0.2

    def test_the_truth_names_each_return_and_the_relapses(self, clinic_year: RegimeCohort) -> None:
        for p, returns in zip(clinic_year.patients, clinic_year.returns, strict=True):
            for episode in returns:
                assert p.latent_phq9[episode.onset_day] == p.latent_phq9[episode.onset_day]
                if episode.faded_day is not None:
                    assert episode.faded_day > episode.onset_day
            if p.relapse_day is not None:
                assert p.responded
                assert p.relapse_onset_day is not None
                assert p.relapse_onset_day <= p.relapse_day
                assert p.latent_phq9[p.relapse_day] >= p.relapse_threshold
        assert sum(len(observed_relapses(p)) for p in clinic_year.patients) > 30


def test_the_same_seed_gives_the_same_cohort() -> None:
    first = simulate_regime_cohort(40, 120, seed=9, reactive_share=0.5)
    again = simulate_regime_cohort(40, 120, seed=9, reactive_share=0.5)
    other = simulate_regime_cohort(40, 120, seed=10, reactive_share=0.5)
    assert first.patients == again.patients
    assert first.returns == again.returns
    assert first.patients != other.patients


def test_the_cohort_exports_as_exchange_files_that_replay(tmp_path) -> None:
    cohort = simulate_regime_cohort(30, 200, seed=4, reactive_share=0.7)
    counts = write_cohort(cohort, tmp_path, date(2026, 1, 1))
    assert counts["observations.csv"] > 0
    with (tmp_path / "truth.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 30
    assert replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")


def test_the_reporting_family_is_pinned() -> None:
    """Its settings, seeds and sizes are frozen: a change must be a visible decision."""
    family = dataclasses.replace(REPORTING_FAMILY)
    digest = hashlib.sha256(repr(family).encode()).hexdigest()[:16]
    assert family.settings == RegimeSettings()
    assert digest == PINNED_DIGEST, "the reporting family changed: update docs/engine.md"


PINNED_DIGEST = "c6c8dafa682672eb"
