"""Settings parse their variables strictly; the CLI names what is wrong and exits non-zero."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lasting.settings import database_from_url, email_settings, env_bool


def test_a_sqlite_url_gives_wal_durable_immediate_transactions():
    database = database_from_url("sqlite:////srv/lasting/db.sqlite3")
    assert database["NAME"] == "/srv/lasting/db.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert "synchronous=FULL" in database["OPTIONS"]["init_command"]


def test_a_relative_sqlite_url_stays_relative():
    assert database_from_url("sqlite:///var/db.sqlite3")["NAME"] == "var/db.sqlite3"


def test_a_postgres_url_is_split_into_its_parts():
    database = database_from_url("postgres://lasting:s%40cret@db.internal:6432/clinic")
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["USER"], database["PASSWORD"]) == ("lasting", "s@cret")
    assert (database["HOST"], database["PORT"], database["NAME"]) == (
        "db.internal",
        "6432",
        "clinic",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://x/y", "must start with sqlite:/// or postgres://"),
        ("postgres://host/", "needs a database name"),
    ],
)
def test_a_bad_database_url_is_named(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url(url)


def test_a_bad_boolean_names_the_variable(monkeypatch):
    monkeypatch.setenv("LASTING_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="LASTING_DEBUG must be 1 or 0"):
        env_bool("LASTING_DEBUG", False)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lasting.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_the_cli_lists_its_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "audit"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "--patients", "-5"], "must be at least 1, got -5"),
        (["demo", "--patients", "many"], "'many' is not a whole number"),
        (["serve", "--port", "70000"], "a port is at most 65535"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_cli_arguments_get_a_clear_message_and_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("url", "port", "starttls", "implicit_tls"),
    [
        ("smtp://mailer:s%40cret@mail.example.org", 587, True, False),
        ("smtps://mailer:secret@mail.example.org", 465, False, True),
        ("smtp+plain://127.0.0.1:2525", 2525, False, False),
    ],
)
def test_smtp_urls_say_how_e_mail_is_protected(url, port, starttls, implicit_tls):
    config = email_settings(url)
    assert config["EMAIL_PORT"] == port
    assert config["EMAIL_USE_TLS"] is starttls
    assert config["EMAIL_USE_SSL"] is implicit_tls


def test_an_smtp_url_keeps_its_user_and_password():
    config = email_settings("smtp://mailer:s%40cret@mail.example.org")
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("mailer", "s@cret")


def test_a_bad_smtp_url_is_named():
    with pytest.raises(ImproperlyConfigured, match="smtp\\+plain:// for a local relay"):
        email_settings("http://mail.example.org")


def test_without_smtp_the_demo_saves_e_mails_as_files(tmp_path):
    config = email_settings("", str(tmp_path))
    assert config["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
    assert config["EMAIL_FILE_PATH"] == str(tmp_path)


@pytest.mark.parametrize("target", ["/dev/null", "directory"])
def test_replay_refuses_an_output_that_is_not_a_regular_file(tmp_path, target):
    (tmp_path / "o.csv").write_text("patient_id,observed_on,instrument,score\n")
    (tmp_path / "s.csv").write_text("patient_id,session_on,kind\n")
    out = Path(target) if target.startswith("/") else tmp_path / target
    if target == "directory":
        out.mkdir()
    result = run_cli(
        "replay",
        "--observations",
        str(tmp_path / "o.csv"),
        "--sessions",
        str(tmp_path / "s.csv"),
        "--out",
        str(out),
    )
    assert result.returncode == 1
    assert f"{out}: not a regular file" in result.stderr
    assert out.is_dir() if target == "directory" else out.is_char_device()


def test_lasting_keeps_its_var_directory_and_database_private(tmp_path):
    var = tmp_path / "var"
    environment = {**os.environ, "LASTING_VAR_DIR": str(var)}
    environment.pop("LASTING_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "lasting.cli", "manage", "migrate", "--no-input", "-v", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        # A permissive mask, as a login shell commonly has.
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    written = [path for path in var.rglob("*") if path.is_file()]
    assert any(path.name == "lasting.sqlite3" for path in written)
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in written} == {
        path.name: 0o600 for path in written
    }


def test_a_var_directory_left_open_is_closed(tmp_path):
    from lasting.settings import make_private

    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    make_private(var)
    assert stat.S_IMODE(var.stat().st_mode) == 0o700


def test_two_web_servers_on_one_machine_share_no_control_socket():
    from lasting.cli import web_command

    assert "--no-control-socket" in web_command("127.0.0.1", 8000, 2)
