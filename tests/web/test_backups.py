"""`lasting backup` and `lasting restore`: a round trip through the real command, the drill
into a scratch database, and refusals of corrupt, foreign and mismatched files. On SQLite
always; on PostgreSQL when the suite runs against it (CI's second pass)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = pytest.mark.slow(seconds=40)

PASSWORD = "a long admin passphrase 9"
POSTGRES_URL = os.environ.get("LASTING_DATABASE_URL", "")
AUDIT_KEY = "the clinic's audit key, kept in its secrets store"


def lasting(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lasting.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=environment,
    )


def clinic_environment(tmp_path: Path, name: str, database_url: str = "") -> dict[str, str]:
    # Installations that share a trail share its key, kept outside the database and its
    # backups (a restore elsewhere is given the same LASTING_AUDIT_KEY).
    environment = {
        **os.environ,
        "LASTING_VAR_DIR": str(tmp_path / name),
        "LASTING_AUDIT_KEY": AUDIT_KEY,
    }
    environment.pop("LASTING_DATABASE_URL", None)
    if database_url:
        environment["LASTING_DATABASE_URL"] = database_url
    return environment


def set_up_clinic(environment: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    assert lasting(environment, "manage", "migrate", "-v", "0").returncode == 0
    created = lasting(
        environment,
        "setup",
        "--no-input",
        "--organization",
        "Backup Clinic",
        "--time-zone",
        "America/Denver",
        "--location",
        "Main;1 Main St;3",
        "--admin-email",
        "admin@backup.example",
        "--admin-first-name",
        "Ada",
        "--admin-last-name",
        "Park",
        "--admin-password-file",
        str(tmp_path / "pw"),
    )
    assert created.returncode == 0, created.stderr


def manifest_of(path: Path) -> dict[str, object]:
    with tarfile.open(path) as archive:
        member = archive.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())


def rewrite(
    path: Path, out: Path, *, manifest: dict[str, object] | None = None, flip: bool = False
) -> None:
    """Copy a backup, changing its manifest or one byte of its payload."""
    with tarfile.open(path) as source, tarfile.open(out, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
            elif member.name != "manifest.json" and flip:
                data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))


def take_backup(tmp_path: Path, source: dict[str, str]) -> Path:
    set_up_clinic(source, tmp_path)
    backup = tmp_path / "clinic.tar"
    taken = lasting(source, "backup", "--out", str(backup))
    assert taken.returncode == 0, taken.stderr
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    return backup


def round_trip(
    tmp_path: Path, source: dict[str, str], backup: Path, target: dict[str, str]
) -> None:
    manifest = manifest_of(backup)
    assert manifest["tables"]["accounts_organization"] == 1  # type: ignore[index]

    drilled = lasting(source, "restore", "--drill", str(backup))
    assert drilled.returncode == 0, drilled.stderr
    assert "Restore drill passed" in drilled.stdout
    assert "the live database was not touched" in drilled.stdout

    restored = lasting(target, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    again = lasting(target, "restore", str(backup))
    assert again.returncode == 1
    assert "already holds data" in again.stderr
    # The restore is in the trail and the anchor file, and the restored trail verifies.
    anchors = (Path(target["LASTING_VAR_DIR"]) / "audit-anchors.jsonl").read_text()
    assert f'"restored_from": "{backup.name}"' in anchors
    verified = lasting(target, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    # The restored database backs up to the same rows, table by table.
    copy = tmp_path / "copy.tar"
    assert lasting(target, "backup", "--out", str(copy)).returncode == 0
    copied = dict(manifest_of(copy)["tables"])  # type: ignore[arg-type]
    original = dict(manifest["tables"])  # type: ignore[arg-type]
    # The trail grew by two events: the restore, and the backup just taken.
    assert copied.pop("audit_auditevent") == original.pop("audit_auditevent") + 2
    assert copied == original


def test_a_sqlite_clinic_backs_up_drills_and_restores_into_an_empty_installation(backup, tmp_path):
    source, path = backup
    round_trip(tmp_path, source, path, clinic_environment(tmp_path, "b"))


@pytest.fixture
def postgres_databases():
    """Two fresh databases on the suite's PostgreSQL server, dropped afterwards."""
    if not POSTGRES_URL.startswith("postgres"):
        pytest.skip("the suite runs on SQLite; CI's PostgreSQL pass runs this test")
    import psycopg

    parts = urlsplit(POSTGRES_URL)
    names = [f"lasting_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield [urlunsplit(parts._replace(path=f"/{name}")) for name in names]
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_postgresql_clinic_backs_up_drills_and_restores(tmp_path, postgres_databases):
    source_url, target_url = postgres_databases
    source = clinic_environment(tmp_path, "a", source_url)
    path = take_backup(tmp_path, source)
    round_trip(tmp_path, source, path, clinic_environment(tmp_path, "b", target_url))


@pytest.fixture(scope="module")
def backup(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("backup")
    environment = clinic_environment(tmp_path, "a")
    return environment, take_backup(tmp_path, environment)


def test_a_corrupt_payload_is_refused(backup, tmp_path):
    environment, path = backup
    corrupt = tmp_path / "corrupt.tar"
    rewrite(path, corrupt, flip=True)
    for args in (["--drill"], []):
        result = lasting(environment, "restore", *args, str(corrupt))
        assert result.returncode == 1
        assert "checksum does not match: the file is corrupt" in result.stderr


def test_a_backup_of_another_schema_version_is_refused(backup, tmp_path):
    environment, path = backup
    manifest = manifest_of(path)
    manifest["schema"] = [*manifest["schema"], "patients.9999_from_the_future"]  # type: ignore[misc]
    other = tmp_path / "other.tar"
    rewrite(path, other, manifest=manifest)
    result = lasting(environment, "restore", "--drill", str(other))
    assert result.returncode == 1
    assert "its schema does not match this Lasting" in result.stderr
    assert "patients.9999_from_the_future" in result.stderr


@pytest.mark.parametrize("content", [b"", b"not a tar file at all", None])
def test_a_file_that_is_not_a_backup_is_refused(backup, tmp_path, content):
    environment, _ = backup
    path = tmp_path / "x.tar"
    if content is None:
        with tarfile.open(path, "w") as archive:
            archive.addfile(tarfile.TarInfo("hello.txt"), io.BytesIO(b""))
    else:
        path.write_bytes(content)
    result = lasting(environment, "restore", "--drill", str(path))
    assert result.returncode == 1
    assert "not a" in result.stderr
    assert "Lasting backup" in result.stderr


def test_backup_refuses_an_output_that_is_not_a_regular_file(backup, tmp_path):
    environment, _ = backup
    result = lasting(environment, "backup", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "not a regular file" in result.stderr
