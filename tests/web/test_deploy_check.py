"""Django's deployment checklist (`check --deploy`) passes with the production settings of
deploy/lasting.env.example, and fails without HTTPS, so the check is not blind."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow(seconds=30)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = ROOT / "deploy" / "lasting.env.example"


def production_environment(var_dir: Path) -> dict[str, str]:
    """The example's variables, with real keys and this machine's directories and database
    (`check --deploy` reads the settings; it does not connect to the database)."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LASTING_", "DJANGO_"))
    }
    for line in EXAMPLE_ENV.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            environment[name.strip()] = value.strip()
    environment.update(
        LASTING_SECRET_KEY=secrets.token_urlsafe(50),
        LASTING_AUDIT_KEY=secrets.token_urlsafe(50),
        LASTING_VAR_DIR=str(var_dir),
        LASTING_AUDIT_ANCHOR_FILE=str(var_dir / "audit-anchors.jsonl"),
        LASTING_DATABASE_URL=f"sqlite:///{var_dir / 'lasting.sqlite3'}",
        DJANGO_SETTINGS_MODULE="lasting.settings",
    )
    return environment


def deploy_check(environment: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_example_production_settings_pass_the_deploy_check(tmp_path):
    environment = production_environment(tmp_path / "var")
    assert environment["LASTING_SECURE_COOKIES"] == "1"
    assert "LASTING_DEBUG" not in environment

    result = deploy_check(environment, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_https_the_deploy_check_fails(tmp_path):
    environment = production_environment(tmp_path / "var")
    del environment["LASTING_SECURE_COOKIES"]

    result = deploy_check(environment, tmp_path)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in output, output
