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


def on(day: int) -> str:
    return (START + timedelta(days=day)).isoformat()


def write_twins(directory: Path) -> None:
    """Two identical responders, a and b, whose PHQ-9 starts rising in week 8."""
    weekly = [3, 4, 3, 4, 6, 8, 10, 12, 13, 14, 15]
    observations = ["patient_id,observed_on,instrument,score"]
    sessions = ["patient_id,session_on,kind"]
    for pid in ("a", "b"):
        observations.append(f"{pid},{on(5)},phq9,20")
        observations += [f"{pid},{on(31 + 7 * i)},phq9,{s}" for i, s in enumerate(weekly)]
        sessions += [f"{pid},{on(d)},induction" for d in (10, 13, 16, 19, 22, 24)]
    (directory / "observations.csv").write_text("\n".join(observations) + "\n")
    (directory / "sessions.csv").write_text("\n".join(sessions) + "\n")


def warnings_of(rows: list) -> dict[str, tuple[date, str]]:  # type: ignore[type-arg]
    return {
        row.patient_id: (row.alerted_on, row.reason)
        for row in rows
        if row.kind == AlertKindCode.EARLY_WARNING
    }


def test_a_life_event_next_to_observations_csv_brings_the_warning_forward(tmp_path):
    write_twins(tmp_path)
    without = warnings_of(replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv"))
    assert without["a"] == without["b"]
    (tmp_path / "life_events.csv").write_text(
        f"patient_id,occurred_on,kind,weight\nb,{on(55)},loss,1\n"
    )
    found = warnings_of(replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv"))
    assert found["a"] == without["a"]
    assert found["b"][0] < found["a"][0]
    assert "a stressful life event (loss, weight 1 of 1) 16 days ago" in found["b"][1]


def test_the_optional_files_can_be_given_by_path(tmp_path):
    write_twins(tmp_path)
    elsewhere = tmp_path / "plan"
    elsewhere.mkdir()
    (elsewhere / "events.csv").write_text(
        f"patient_id,occurred_on,kind,weight\nb,{on(55)},loss,1\n"
    )
    rows = replay_files(
        tmp_path / "observations.csv",
        tmp_path / "sessions.csv",
        life_events_path=elsewhere / "events.csv",
    )
    found = warnings_of(rows)
    assert found["b"][0] < found["a"][0]


def test_personal_warning_signs_from_csv_name_the_item_in_the_reason(tmp_path):
    write_twins(tmp_path)
    (tmp_path / "personal_items.csv").write_text(
        "patient_id,item,label,warning_when,threshold,low,high,unit\nb,sleep,Sleep,below,5,0,12,h\n"
    )
    hours = [8] * 40 + [4] * 25  # from day 31; below 5 hours from day 71 to day 95
    (tmp_path / "personal_observations.csv").write_text(
        "patient_id,observed_on,item,value\n"
        + "".join(f"b,{on(31 + i)}T21:00:00,sleep,{h}\n" for i, h in enumerate(hours))
    )
    rows = replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")
    reasons = " ".join(row.reason for row in rows if row.patient_id == "b")
    assert 'personal warning sign "Sleep": 5 h or less on' in reasons
    assert "Sleep below" not in " ".join(row.reason for row in rows if row.patient_id == "a")


def test_personal_observations_need_personal_items(tmp_path):
    write_twins(tmp_path)
    (tmp_path / "personal_observations.csv").write_text(
        f"patient_id,observed_on,item,value\nb,{on(40)},sleep,4\n"
    )
    with pytest.raises(CsvFormatError, match="line 2: item 'sleep' is not in personal_items"):
        replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")


def test_a_bad_life_event_row_stops_the_replay_with_its_line(tmp_path):
    write_twins(tmp_path)
    (tmp_path / "life_events.csv").write_text(
        f"patient_id,occurred_on,kind,weight\nb,{on(55)},loss,1\nb,{on(56)},loss,3\n"
    )
    with pytest.raises(CsvFormatError, match=r"life_events\.csv, line 3: weight 3 is outside"):
        replay_files(tmp_path / "observations.csv", tmp_path / "sessions.csv")


def test_the_replay_command_reads_the_optional_files_next_to_observations(tmp_path):
    write_twins(tmp_path)
    (tmp_path / "life_events.csv").write_text(
        f"patient_id,occurred_on,kind,weight\nb,{on(55)},loss,1\n"
    )
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
    assert "stressful life event (loss" in out.read_text()


def test_the_replay_command_takes_the_optional_files_by_name(tmp_path):
    write_twins(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "events.csv").write_text(
        f"patient_id,occurred_on,kind,weight\nb,{on(55)},loss,1\n"
    )
    out = tmp_path / "alerts.csv"
    common = ["--observations", tmp_path / "observations.csv", "--sessions"]
    result = run_cli(
        *common, tmp_path / "sessions.csv", "--life-events", elsewhere / "events.csv", "--out", out
    )
    assert result.returncode == 0, result.stderr
    assert "stressful life event (loss" in out.read_text()
    missing = run_cli(
        *common, tmp_path / "sessions.csv", "--life-events", elsewhere / "no.csv", "--out", out
    )
    assert missing.returncode == 1
    assert "no.csv: no such file" in missing.stderr
