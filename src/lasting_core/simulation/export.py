"""Write a simulated cohort as Lasting's CSV exchange files, plus its ground truth.

observations.csv and sessions.csv follow docs/formats.md, so they
feed `lasting replay` like a clinic's own history; truth.csv and
latent.csv hold what a clinic never sees: each patient's outcome flags, relapse onset and
relapse dates, and the latent PHQ-9 day by day.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from lasting_core.simulation.cohort import Cohort, MaintenancePolicy
from lasting_core.simulation.regime_cohort import RegimeCohort

# A realistic clinic: some without maintenance, some on a fixed schedule, most given
# boosters when symptoms return (an assumption, stated; the demo clinic is similar).
CLINIC_POLICY_MIX: Mapping[MaintenancePolicy, float] = {
    MaintenancePolicy.NONE: 0.3,
    MaintenancePolicy.FIXED: 0.3,
    MaintenancePolicy.SYMPTOM: 0.4,
}
DAILY_ITEMS = ("daily_mood", "daily_sleep", "daily_stress")


def write_cohort(cohort: Cohort | RegimeCohort, directory: Path, start_on: date) -> dict[str, int]:
    """Write the four files into `directory` (created if missing); return rows per file."""
    directory.mkdir(parents=True, exist_ok=True)

    def on(day: int) -> str:
        return (start_on + timedelta(days=day)).isoformat()

    counts = {"observations.csv": 0, "sessions.csv": 0, "truth.csv": 0, "latent.csv": 0}
    with (
        (directory / "observations.csv").open("w", newline="", encoding="utf-8") as obs_file,
        (directory / "sessions.csv").open("w", newline="", encoding="utf-8") as sessions_file,
        (directory / "truth.csv").open("w", newline="", encoding="utf-8") as truth_file,
        (directory / "latent.csv").open("w", newline="", encoding="utf-8") as latent_file,
    ):
        observations = csv.writer(obs_file)
        sessions = csv.writer(sessions_file)
        truth = csv.writer(truth_file)
        latent = csv.writer(latent_file)
        observations.writerow(["patient_id", "observed_on", "instrument", "score", "item9"])
        sessions.writerow(["patient_id", "session_on", "kind"])
        truth.writerow(
            [
                "patient_id",
                "policy",
                "enrolled_on",
                "baseline_phq9",
                "responded",
                "remitted",
                "worsened",
                "stopped_after_first",
                "relapse_onset_on",
                "relapse_on",
                "discontinued_on",
            ]
        )
        latent.writerow(["patient_id", "day_on", "latent_phq9"])
        for patient in cohort.patients:
            pid = f"sim-{patient.index}"
            for record in patient.observations:
                if record.instrument == "daily":
                    for name, value in zip(DAILY_ITEMS, record.items, strict=False):
                        observations.writerow([pid, on(record.day), name, value, ""])
                        counts["observations.csv"] += 1
                    continue
                item9 = record.items[8] if record.instrument == "phq9" else ""
                observations.writerow([pid, on(record.day), record.instrument, record.total, item9])
                counts["observations.csv"] += 1
            for session in patient.sessions:
                sessions.writerow([pid, on(session.day), str(session.kind)])
                counts["sessions.csv"] += 1
            truth.writerow(
                [
                    pid,
                    str(patient.policy),
                    on(patient.enrolment_day),
                    patient.baseline_phq9,
                    int(patient.responded),
                    int(patient.remitted),
                    int(patient.worsened),
                    int(patient.stopped_after_first),
                    "" if patient.relapse_onset_day is None else on(patient.relapse_onset_day),
                    "" if patient.relapse_day is None else on(patient.relapse_day),
                    "" if patient.discontinued_day is None else on(patient.discontinued_day),
                ]
            )
            counts["truth.csv"] += 1
            for day, value in enumerate(patient.latent_phq9):
                if not math.isnan(float(value)):
                    latent.writerow([pid, on(day), f"{float(value):.2f}"])
                    counts["latent.csv"] += 1
    return counts
