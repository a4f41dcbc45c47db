"""Replay from CSV files: a simulated clinic's history in, alerts.csv rows out."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from lasting_core.csvformats import AlertKindCode, CsvFormatError
from lasting_core.replayfiles import replay_files
from lasting_core.simulation import MaintenancePolicy, simulate_cohort

START = date(2026, 1, 5)


def write_cohort(directory: Path, *, patients: int = 40, days: int = 240, seed: int = 3) -> None:
    cohort = simulate_cohort(patients, days, seed=seed, policy=MaintenancePolicy.NONE)
    observations = ["patient_id,observed_on,instrument,score,item9"]
    sessions = ["patient_id,session_on,kind"]
    for patient in cohort.patients:
        pid = f"p{patient.index}"
        for obs in patient.observations:
            on = (START + timedelta(days=obs.day)).isoformat()
            if obs.instrument == "phq9":
                observations.append(f"{pid},{on},phq9,{obs.total},{obs.items[8]}")
            elif obs.instrument == "daily":
                for name, value in zip(("mood", "sleep", "stress"), obs.items, strict=False):
                    observations.append(f"{pid},{on},daily_{name},{value},")
        for session in patient.sessions:
            sessions.append(
                f"{pid},{(START + timedelta(days=session.day)).isoformat()},{session.kind}"
            )
    (directory / "observations.csv").write_text("\n".join(observations) + "\n")
    (directory / "sessions.csv").write_text("\n".join(sessions) + "\n")


def test_a_simulated_clinic_replays_into_alerts_of_every_engine_kind(tmp_path):
    write_cohort(tmp_path)
    rows = replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")
    kinds = {row.kind for row in rows}
    assert AlertKindCode.EARLY_WARNING in kinds
    assert AlertKindCode.RELAPSE in kinds
    assert all(row.reason for row in rows)
    assert rows == sorted(rows, key=lambda row: (row.alerted_on, row.patient_id, row.kind.value))


def test_every_positive_item9_row_is_a_safety_alert(tmp_path):
    (tmp_path / "observations.csv").write_text(
        "patient_id,observed_on,instrument,score,item9\n"
        "a,2026-02-01,phq9,14,1\na,2026-02-08,phq9,15,1\nb,2026-02-01,phq9,3,0\n"
    )
    (tmp_path / "sessions.csv").write_text("patient_id,session_on,kind\n")
    rows = replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")
    safety = [row for row in rows if row.kind == AlertKindCode.SAFETY]
    assert [(row.patient_id, row.alerted_on) for row in safety] == [
        ("a", date(2026, 2, 1)),
        ("a", date(2026, 2, 8)),
    ]


def test_cutting_the_files_after_a_day_changes_no_earlier_alert(tmp_path):
    write_cohort(tmp_path, patients=25, days=200, seed=8)
    full = replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")
    cut_on = START + timedelta(days=120)
    cut = tmp_path / "cut"
    cut.mkdir()
    for name, column in (("observations.csv", 1), ("sessions.csv", 1)):
        lines = (tmp_path / name).read_text().splitlines()
        kept = [lines[0]] + [
            line for line in lines[1:] if date.fromisoformat(line.split(",")[column]) <= cut_on
        ]
        (cut / name).write_text("\n".join(kept) + "\n")
    partial = replay_files(cut / "observations.csv", cut / "sessions.csv")
    before = [row for row in full if row.alerted_on <= cut_on]
    assert [row for row in partial if row.alerted_on <= cut_on] == before
    assert before


def test_a_bad_row_stops_the_replay_with_its_line(tmp_path):
    (tmp_path / "observations.csv").write_text(
        "patient_id,observed_on,instrument,score\na,2026-02-01,phq9,14\na,2026-02-08,phq9,31\n"
    )
    (tmp_path / "sessions.csv").write_text("patient_id,session_on,kind\n")
    with pytest.raises(CsvFormatError, match="line 3: score 31 is outside 0–27"):
        replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lasting.cli", "replay", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_replay_command_writes_alerts_csv(tmp_path):
    write_cohort(tmp_path, patients=15, days=180)
    out = tmp_path / "alerts.csv"
    result = run_cli(
        "--observations",
        tmp_path / "observations.csv",
        "--sessions",
        tmp_path / "sessions.csv",
        "--out",
        out,
    )
    assert result.returncode == 0, result.stderr
    header, *rows = out.read_text().splitlines()
    assert header == "patient_id,alerted_on,kind,p_relapse_28d,reason"
    assert f"{len(rows)} alerts written" in result.stdout


def test_the_replay_command_names_the_bad_line_and_writes_nothing(tmp_path):
    (tmp_path / "o.csv").write_text(
        "patient_id,observed_on,instrument,score\na,2026-13-01,phq9,4\n"
    )
    (tmp_path / "s.csv").write_text("patient_id,session_on,kind\n")
    out = tmp_path / "alerts.csv"
    result = run_cli(
        "--observations", tmp_path / "o.csv", "--sessions", tmp_path / "s.csv", "--out", out
    )
    assert result.returncode == 1
    assert "o.csv, line 2: '2026-13-01' is not an ISO date" in result.stderr
    assert not out.exists()


def test_the_replay_command_refuses_missing_files_and_directories(tmp_path):
    missing = run_cli(
        "--observations",
        tmp_path / "nope.csv",
        "--sessions",
        tmp_path / "s.csv",
        "--out",
        tmp_path / "a.csv",
    )
    assert missing.returncode == 1
    assert "nope.csv: no such file" in missing.stderr
    (tmp_path / "o.csv").write_text("patient_id,observed_on,instrument,score\n")
    (tmp_path / "s.csv").write_text("patient_id,session_on,kind\n")
    no_dir = run_cli(
        "--observations",
        tmp_path / "o.csv",
        "--sessions",
        tmp_path / "s.csv",
        "--out",
        tmp_path / "missing" / "a.csv",
    )
    assert no_dir.returncode == 1
    assert "no such directory" in no_dir.stderr
