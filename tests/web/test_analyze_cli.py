"""`lasting analyze durability`: the JSON of docs/formats.md field by field, the published
medians and log-rank p on lifelines' bundled data, and every refusal (nothing on stdout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lifelines.datasets import load_leukemia, load_lung

from lasting.cli import main

ANALYZE = ["analyze", "durability", "--episodes"]
SMALL = "episode_id,duration_days,event,group\na,10,1,x\nb,20,0,x\nc,30,1,y\nd,60,0,y\n"


@pytest.fixture(scope="module")
def lung_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """R's lung data as an episodes.csv (lifelines codes status 1 = died, 0 = censored)."""
    data = load_lung()
    lines = ["episode_id,duration_days,event"]
    pairs = zip(data["time"], data["status"], strict=True)
    lines += [f"lung-{i},{t},{s}" for i, (t, s) in enumerate(pairs)]
    path = tmp_path_factory.mktemp("lung") / "episodes.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def leukemia_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Freireich's 6-MP data as an episodes.csv grouped by arm (Rx 0 = 6-MP, 1 = placebo)."""
    data = load_leukemia()
    lines = ["episode_id,duration_days,event,arm"]
    for i, (t, s, rx) in enumerate(zip(data["t"], data["status"], data["Rx"], strict=True)):
        lines.append(f"leuk-{i},{t},{s},{'6-MP' if rx == 0 else 'placebo'}")
    path = tmp_path_factory.mktemp("leukemia") / "episodes.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def episodes_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "episodes.csv"
    path.write_text(text)
    return path


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main([*args, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    document: dict[str, Any] = json.loads(captured.out)
    return document


class TestJson:
    def test_the_document_has_exactly_groups_and_logrank_p(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        document = run_json(capsys, *ANALYZE, str(episodes_file(tmp_path, SMALL)))
        assert list(document) == ["groups", "logrank_p"]
        assert list(document["groups"][0]) == [
            "group",
            "n",
            "events",
            "median_days",
            "median_ci",
            "survival",
        ]

    def test_group_is_all_without_group_by(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        document = run_json(capsys, *ANALYZE, str(episodes_file(tmp_path, SMALL)))
        assert [g["group"] for g in document["groups"]] == ["all"]

    def test_group_names_each_value_of_the_group_by_column(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = episodes_file(tmp_path, SMALL)
        document = run_json(capsys, *ANALYZE, str(path), "--group-by", "group")
        assert [g["group"] for g in document["groups"]] == ["x", "y"]

    def test_n_counts_the_episodes_of_the_group(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = episodes_file(tmp_path, SMALL)
        document = run_json(capsys, *ANALYZE, str(path), "--group-by", "group")
        assert [g["n"] for g in document["groups"]] == [2, 2]

    def test_events_counts_the_relapses(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        text = SMALL + "e,5,1,x\n"
        path = episodes_file(tmp_path, text)
        document = run_json(capsys, *ANALYZE, str(path), "--group-by", "group")
        assert [g["events"] for g in document["groups"]] == [2, 1]

    def test_median_days_and_its_interval_reproduce_r_on_the_lung_data(
        self, lung_csv: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (group,) = run_json(capsys, *ANALYZE, str(lung_csv))["groups"]
        assert (group["n"], group["events"]) == (228, 165)
        assert group["median_days"] == 310
        assert group["median_ci"] == [284, 361]

    def test_median_and_its_interval_are_null_when_not_reached(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        text = "episode_id,duration_days,event\na,10,1\nb,20,0\nc,30,0\nd,40,0\n"
        (group,) = run_json(capsys, *ANALYZE, str(episodes_file(tmp_path, text)))["groups"]
        assert group["median_days"] is None
        assert group["median_ci"] == [None, None]

    def test_survival_is_given_at_28_56_84_and_182_days_and_null_beyond_follow_up(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (group,) = run_json(capsys, *ANALYZE, str(episodes_file(tmp_path, SMALL)))["groups"]
        survival = group["survival"]
        assert list(survival) == ["28", "56", "84", "182"]
        # 4 at risk, relapses at 10 (3/4) and 30 (3/4 * 1/2); followed up to 60 days.
        assert survival["28"] == pytest.approx(0.75)
        assert survival["56"] == pytest.approx(0.375)
        assert (survival["84"], survival["182"]) == (None, None)

    def test_logrank_p_is_null_without_groups(
        self, leukemia_csv: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert run_json(capsys, *ANALYZE, str(leukemia_csv))["logrank_p"] is None

    def test_logrank_p_is_null_with_one_group_only(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        text = "episode_id,duration_days,event,group\na,10,1,x\nb,20,0,x\n"
        path = episodes_file(tmp_path, text)
        assert run_json(capsys, *ANALYZE, str(path), "--group-by", "group")["logrank_p"] is None

    def test_logrank_p_and_the_medians_are_the_published_ones_on_the_leukemia_data(
        self, leukemia_csv: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        document = run_json(capsys, *ANALYZE, str(leukemia_csv), "--group-by", "arm")
        medians = {g["group"]: g["median_days"] for g in document["groups"]}
        assert medians == {"6-MP": 23, "placebo": 8}
        # Log-rank chi-square 16.79 on 1 df (Kleinbaum and Klein; R survdiff).
        assert document["logrank_p"] == pytest.approx(4.17e-5, rel=0.01)


class TestReadableOutput:
    def test_the_table_and_the_ascii_curve_name_the_groups_and_medians(
        self, leukemia_csv: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main([*ANALYZE, str(leukemia_csv), "--group-by", "arm"]) == 0
        printed = capsys.readouterr().out
        assert "8 (4-11)" in printed
        assert "Log-rank test across groups: p = 4.17e-05" in printed
        assert "* 6-MP, o placebo" in printed
        assert "35 days" in printed

    def test_plot_saves_an_svg_curve(
        self, leukemia_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        plot = tmp_path / "curve.svg"
        assert main([*ANALYZE, str(leukemia_csv), "--group-by", "arm", "--plot", str(plot)]) == 0
        svg = plot.read_text()
        assert svg.lstrip().startswith("<svg")
        assert "placebo" in svg
        assert f"Curve saved to {plot}" in capsys.readouterr().out
        assert [p.name for p in tmp_path.iterdir()] == ["curve.svg"]  # no temporary left

    def test_plot_replaces_an_existing_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        plot = tmp_path / "curve.svg"
        plot.write_text("old")
        path = episodes_file(tmp_path, SMALL)
        assert main([*ANALYZE, str(path), "--json", "--plot", str(plot)]) == 0
        assert plot.read_text().lstrip().startswith("<svg")
        json.loads(capsys.readouterr().out)


def assert_refused(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(args) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert captured.err.startswith("lasting analyze durability: ")


class TestRefusals:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "line 1: the file is empty"),
            ("id,duration_days,event\na,1,1\n", "line 1: missing column(s): episode_id"),
            ("episode_id,duration_days,event\n", "line 1: the file has a header but no episodes"),
            ("episode_id,duration_days,event\na,1,1\nb,2\n", "line 3: expected 3 fields, found 2"),
            ("episode_id,duration_days,event\na,1,1\na,2,0\n", "line 3: episode_id 'a' appears"),
            ("episode_id,duration_days,event\na,soon,1\n", "line 2: duration_days 'soon' is not"),
            ("episode_id,duration_days,event\na,-1,1\n", "line 2: duration_days '-1' must be 0"),
            ("episode_id,duration_days,event\na,1,2\n", "line 2: event '2' must be 1 (relapse)"),
        ],
    )
    def test_a_malformed_file_gives_its_line_and_reason_and_nothing_on_stdout(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
    ) -> None:
        path = episodes_file(tmp_path, text)
        assert_refused(capsys, [*ANALYZE, str(path), "--json"], message)
        assert_refused(capsys, [*ANALYZE, str(path)], message)

    def test_an_unknown_group_by_column_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = episodes_file(tmp_path, SMALL)
        args = [*ANALYZE, str(path), "--group-by", "diagnosis"]
        assert_refused(capsys, args, "line 1: no column named 'diagnosis' to group by")

    def test_a_malformed_file_writes_no_plot(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = episodes_file(tmp_path, "episode_id,duration_days,event\na,x,1\n")
        plot = tmp_path / "curve.svg"
        assert_refused(capsys, [*ANALYZE, str(path), "--plot", str(plot)], "line 2")
        assert not plot.exists()

    def test_a_missing_file_is_named(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        missing = tmp_path / "nope.csv"
        assert_refused(capsys, [*ANALYZE, str(missing)], f"{missing}: no such file")

    def test_a_directory_is_not_an_episodes_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert_refused(capsys, [*ANALYZE, str(tmp_path)], f"{tmp_path}: not a regular file")

    def test_a_file_that_is_not_utf8_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "episodes.csv"
        path.write_bytes("episode_id,duration_days,event,group\na,3,1,Bogotá\n".encode("latin-1"))
        assert_refused(
            capsys, [*ANALYZE, str(path)], "line 2: not UTF-8 text (byte 49); save it as UTF-8"
        )

    def test_a_utf8_byte_order_mark_is_accepted(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "episodes.csv"
        path.write_bytes(SMALL.encode("utf-8-sig"))
        assert run_json(capsys, *ANALYZE, str(path))["groups"][0]["n"] == 4

    def test_an_unreadable_file_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = episodes_file(tmp_path, SMALL)

        def refuse(self: Path) -> bytes:
            raise PermissionError(13, "Permission denied")

        # The tests may run as root, who reads any file whatever its mode.
        monkeypatch.setattr(Path, "read_bytes", refuse)
        assert_refused(capsys, [*ANALYZE, str(path)], "cannot read: Permission denied")

    def test_a_plot_onto_a_directory_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = episodes_file(tmp_path, SMALL)
        target = tmp_path / "curve.svg"
        target.mkdir()
        assert_refused(capsys, [*ANALYZE, str(path), "--plot", str(target)], "not a regular file")

    def test_a_plot_into_a_missing_directory_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = episodes_file(tmp_path, SMALL)
        target = tmp_path / "absent" / "curve.svg"
        assert_refused(
            capsys, [*ANALYZE, str(path), "--plot", str(target)], "absent: no such directory"
        )
