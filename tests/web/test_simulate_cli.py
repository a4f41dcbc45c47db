"""`lasting simulate`: the policy arena from the command line, without Django or a database."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from lasting.arena_report import CSV_COLUMNS, read_csv
from lasting.cli import main

SMALL = ["simulate", "--patients", "120", "--days", "120", "--seed", "2"]


def test_simulate_writes_the_table_and_the_frontier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "arena"
    code = main(
        [*SMALL, "--policies", "fixed:28,fixed:56,symptom,forecast:0.5,oracle", "--out", str(out)]
    )
    assert code == 0
    rows = read_csv(out / "arena.csv")
    assert [row["policy"] for row in rows] == [
        "fixed:28",
        "fixed:56",
        "symptom",
        "forecast:0.5",
        "oracle",
    ]
    assert tuple(rows[0]) == CSV_COLUMNS
    assert float(rows[0]["cost_per_patient_year"]) == pytest.approx(
        500 * float(rows[0]["sessions_per_patient_year"]), abs=1.0
    )
    assert (out / "frontier.svg").read_text().lstrip().startswith("<svg")
    assert (out / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "fixed:56" in printed
    assert "forecast:0.5" in printed


def test_simulate_prices_sessions_as_told(tmp_path: Path) -> None:
    code = main(
        [*SMALL, "--policies", "fixed:28", "--price-per-session", "250", "--out", str(tmp_path)]
    )
    assert code == 0
    (row,) = read_csv(tmp_path / "arena.csv")
    assert float(row["cost_per_patient_year"]) == pytest.approx(
        250 * float(row["sessions_per_patient_year"]), abs=1.0
    )


def test_an_unknown_policy_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*SMALL, "--policies", "fixed:28,weekly", "--out", str(tmp_path)])
    assert code != 0
    assert "unknown policy 'weekly'" in capsys.readouterr().err
    assert not (tmp_path / "arena.csv").exists()


@pytest.mark.parametrize(
    "arguments",
    [["--patients", "-5"], ["--days", "0"], ["--price-per-session", "-1"], ["--preset", "mars"]],
)
def test_bad_numbers_exit_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str]
) -> None:
    try:
        code = main(["simulate", *arguments, "--out", str(tmp_path)])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    assert code != 0
    assert capsys.readouterr().err.strip()


def test_an_unwritable_directory_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # /proc/self is a directory nobody may create files in, root included, so the test
    # runs (and can fail) under CI's root user too.
    code = main([*SMALL, "--policies", "fixed:28", "--out", "/proc/self"])
    assert code != 0
    assert "cannot write" in capsys.readouterr().err


def test_an_out_path_that_is_a_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main([*SMALL, "--policies", "fixed:28", "--out", str(blocker / "arena")])
    assert code != 0
    assert "cannot create" in capsys.readouterr().err


def test_a_directory_without_write_permission_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # As root the permission bits do not bind, so the check itself is made to say no.
    monkeypatch.setattr("lasting.cli.os.access", lambda path, mode: False)
    code = main([*SMALL, "--policies", "fixed:28", "--out", str(tmp_path)])
    assert code != 0
    assert f"cannot write to {tmp_path}" in capsys.readouterr().err
    assert not (tmp_path / "arena.csv").exists()


def test_the_cohort_can_be_exported_as_exchange_files(tmp_path: Path) -> None:
    code = main([*SMALL, "--policies", "fixed:28", "--out", str(tmp_path), "--export-cohort"])
    assert code == 0
    for name in ("observations.csv", "sessions.csv", "truth.csv", "latent.csv"):
        assert (tmp_path / "cohort" / name).stat().st_size > 0


def test_two_workers_write_the_table_of_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Shards of 50 patients, so the 120 patients make three and the two workers share them.
    monkeypatch.setattr("lasting_core.simulation.arena.SHARD_PATIENTS", 50)
    tables = []
    for workers in ("1", "2"):
        out = tmp_path / workers
        code = main(
            [*SMALL, "--policies", "fixed:28,symptom", "--workers", workers, "--out", str(out)]
        )
        assert code == 0
        tables.append(read_csv(out / "arena.csv"))
    one, two = tables
    assert [(row["policy"], row["sessions_per_patient_year"]) for row in two] == [
        (row["policy"], row["sessions_per_patient_year"]) for row in one
    ]
    assert [row["relapse_days_per_patient_year"] for row in two] == [
        row["relapse_days_per_patient_year"] for row in one
    ]


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_workers_below_one_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workers: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*SMALL, "--workers", workers, "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert f"--workers: must be at least 1, got {workers}" in capsys.readouterr().err


def test_workers_and_dask_together_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [*SMALL, "--workers", "2", "--dask", "tcp://127.0.0.1:8786", "--out", str(tmp_path)]
    )
    assert code == 2
    assert "either --workers or --dask" in capsys.readouterr().err


def test_dask_without_the_scale_extra_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    code = main([*SMALL, "--dask", "tcp://127.0.0.1:8786", "--out", str(tmp_path)])
    assert code == 2
    assert "pip install 'lasting[scale]'" in capsys.readouterr().err
    assert not (tmp_path / "arena.csv").exists()


def test_an_unreachable_scheduler_is_reported_within_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lasting.dask_runner.CONNECT_TIMEOUT_SECONDS", 2.0)
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    code = main([*SMALL, "--dask", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path)])
    assert code == 2
    assert time.monotonic() - started < 30
    assert f"no Dask scheduler answered at tcp://127.0.0.1:{port} within 2 s" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "arena.csv").exists()


def test_the_seen_bound_is_read_against_the_oracle_when_asked_for(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies = "seen:0.5,seen:8,oracle"
    assert main([*SMALL, "--policies", policies, "--out", str(tmp_path / "arena")]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "seen against the oracle at equal sessions" in printed
    assert "a bound: it sees the hidden latent PHQ-9" in printed
