"""Helpers of the import and export tests: write a CSV, run the command, read its output."""

from __future__ import annotations

from pathlib import Path

import pytest

from lasting.cli import main


def write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `lasting ARGS` in-process; return the exit code, standard output and error."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err
