"""The production files in deploy/ and the Dockerfile, checked as far as this machine can:
the commands they run parse with Lasting's own CLI, the image runs as a non-root user from
a pinned base, and no secret is baked in (docs/operations.md)."""

from __future__ import annotations

import configparser
import json
import re
import shlex
from pathlib import Path

import pytest

from lasting.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
SETTINGS_DOC = (ROOT / "src" / "lasting" / "settings.py").read_text()


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text().replace("\\\n", " "))
    return parser


def lasting_arguments(command: str) -> list[str] | None:
    """The arguments after a `…/bin/lasting` in a command line, or None without one."""
    words = shlex.split(command.replace("%%", "%"))
    for index, word in enumerate(words):
        if word.endswith("/bin/lasting"):
            return words[index + 1 :]
    return None


def test_there_are_units_for_web_workers_scheduler_and_backups():
    assert {path.name for path in UNITS} == {
        "lasting-web.service",
        "lasting-worker@.service",
        "lasting-scheduler.service",
        "lasting-backup.service",
    }
    assert (ROOT / "deploy" / "systemd" / "lasting-backup.timer").exists()


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_each_unit_runs_as_lasting_with_the_environment_file_and_a_private_umask(path):
    service = unit(path)["Service"]
    assert service["User"] == "lasting"
    assert service["EnvironmentFile"] == "/etc/lasting/lasting.env"
    assert service["UMask"] == "0077"
    assert service["NoNewPrivileges"] == "true"


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_each_lasting_command_of_a_unit_parses(path):
    command = unit(path)["Service"]["ExecStart"].replace('"$file"', "backup.tar")
    inner = re.findall(r"/opt/lasting/\.venv/bin/lasting [^;&'\"]+", command)
    assert inner, f"{path.name} runs no lasting command"
    for line in inner:
        arguments = lasting_arguments(line)
        assert arguments is not None
        build_parser().parse_args(arguments)  # SystemExit on an unknown option


def test_the_example_environment_names_only_documented_variables():
    example = (ROOT / "deploy" / "lasting.env.example").read_text()
    names = re.findall(r"^(LASTING_[A-Z_]+)=", example, flags=re.MULTILINE)
    assert names
    assert [name for name in names if name not in SETTINGS_DOC] == []


def test_the_image_is_non_root_pinned_and_holds_no_secret():
    dockerfile = (ROOT / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), base
    users = re.findall(r"^USER (\S+)", dockerfile, flags=re.MULTILINE)
    assert users
    assert users[-1] not in {"root", "0"}
    assert "HEALTHCHECK" in dockerfile
    assert "/healthz" in dockerfile
    assert not re.search(r"LASTING_(SECRET|AUDIT)_KEY", dockerfile)
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.MULTILINE):
        for name in source.split():
            assert (ROOT / name).exists(), f"COPY {name}: no such file"
    command = re.search(r"^CMD (\[.+\])", dockerfile, flags=re.MULTILINE).group(1)
    arguments = json.loads(command)
    assert arguments[0] == "lasting"
    build_parser().parse_args(arguments[1:])


def test_the_image_leaves_the_test_tree_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", ".git", "tests"} <= set(ignored)
