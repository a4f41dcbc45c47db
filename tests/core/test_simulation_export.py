"""A simulated cohort exported as CSV reads back through Lasting's own readers."""

from __future__ import annotations

import csv
from datetime import date

from lasting_core.csvformats import read_observations, read_sessions
from lasting_core.replayfiles import replay_files
from lasting_core.simulation import simulate_cohort
from lasting_core.simulation.export import CLINIC_POLICY_MIX, write_cohort


def test_the_export_follows_the_exchange_formats_and_carries_the_truth(tmp_path):
    cohort = simulate_cohort(30, 200, seed=4, policy_mix=CLINIC_POLICY_MIX)
    counts = write_cohort(cohort, tmp_path, date(2026, 1, 1))
    observations = read_observations(tmp_path / "observations.csv")
    sessions = read_sessions(tmp_path / "sessions.csv")
    assert len(observations) == counts["observations.csv"] > 0
    assert len(sessions) == counts["sessions.csv"] > 0
    with (tmp_path / "truth.csv").open() as handle:
        truth = list(csv.DictReader(handle))
    assert len(truth) == 30
    relapsed = [row for row in truth if row["relapse_on"]]
    assert relapsed, "a 200-day cohort of 30 has some relapses"
    assert all(row["relapse_onset_on"] <= row["relapse_on"] for row in relapsed)
    assert counts["latent.csv"] > 30 * 50  # one row per patient-day after enrolment
    assert replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")
