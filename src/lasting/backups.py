"""Back up the database to one file, restore it, and drill a restore without touching it.

A backup is a tar archive of two members: `manifest.json` (format, database vendor, the
schema as the list of applied migrations, the row count of every table, and the payload's
SHA-256) and the payload: a copy made by SQLite's online backup API, or a `pg_dump`
custom-format dump. The row counts are taken from the same snapshot as the payload (the
SQLite copy itself; on PostgreSQL one exported snapshot shared with pg_dump), so a backup
taken while the clinic works still drills clean.

`restore` refuses a file whose checksum or schema does not match this Lasting, and will
not overwrite a database that holds data unless told to. `drill` restores into a scratch
database, compares every table's row count with the manifest and verifies the audit
chain there, then removes the scratch database.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """A backup that cannot be written, read or restored; the message says why."""


@dataclass(frozen=True)
class Manifest:
    format: int
    vendor: str
    created_at: str
    schema: list[str]
    tables: dict[str, int]
    payload: str
    payload_sha256: str
    payload_bytes: int


@dataclass(frozen=True)
class DrillReport:
    tables: int
    rows: int
    audit_events: int
    problems: list[str]


def code_schema() -> list[str]:
    """Every migration this Lasting's code holds, as "app.name", sorted."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.graph.nodes)


def applied_schema(alias: str = "default") -> list[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        return sorted(f"{app}.{name}" for app, name in cursor.fetchall())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def count_rows(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # names from introspection
        counts[table] = int(cursor.fetchone()[0])
    return counts


def postgres_environment(config: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection options for a Django database entry."""
    options = []
    if config.get("HOST"):
        options += ["--host", str(config["HOST"])]
    if config.get("PORT"):
        options += ["--port", str(config["PORT"])]
    if config.get("USER"):
        options += ["--username", str(config["USER"])]
    environment = {**os.environ}
    if config.get("PASSWORD"):
        environment["PGPASSWORD"] = str(config["PASSWORD"])
    return options, environment


def run_tool(command: list[str], environment: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        )
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-400:]}")


def write_archive(out: Path, manifest: Manifest, payload: Path) -> None:
    """Write the archive beside `out` and rename it into place: never half a backup."""
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex}.partial")
    try:
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(asdict(manifest), indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            info.mtime = int(time.time())
            archive.addfile(info, fileobj=_bytes(data))
            archive.add(payload, arcname=manifest.payload)
        os.chmod(partial, 0o600)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _bytes(data: bytes) -> Any:
    import io

    return io.BytesIO(data)


def create_backup(out: Path, alias: str = "default") -> Manifest:
    """Back up the database `alias` to the file `out`."""
    if out.exists() and not out.is_file():
        raise BackupError(f"{out}: not a regular file")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent}: no such directory")
    connection = connections[alias]
    schema = applied_schema(alias)
    with tempfile.TemporaryDirectory(prefix="lasting-backup-") as scratch:
        if connection.vendor == "sqlite":
            payload = Path(scratch) / "database.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(payload)
            try:
                connection.connection.backup(target)
                tables = [
                    row[0]
                    for row in target.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' "
                        "AND name NOT LIKE 'sqlite_%'"
                    )
                ]
                counts = count_rows(target.cursor(), tables)
            finally:
                target.close()
        elif connection.vendor == "postgresql":
            payload = Path(scratch) / "database.pgdump"
            counts = _dump_postgres(alias, payload)
        else:
            raise BackupError(f"backups of {connection.vendor} are not supported")
        manifest = Manifest(
            format=FORMAT,
            vendor=connection.vendor,
            created_at=timezone.now().isoformat(),
            schema=schema,
            tables=counts,
            payload=payload.name,
            payload_sha256=sha256_of(payload),
            payload_bytes=payload.stat().st_size,
        )
        write_archive(out, manifest, payload)
    return manifest


def _dump_postgres(alias: str, payload: Path) -> dict[str, int]:
    """pg_dump in one exported snapshot, counting every table in that same snapshot."""
    connection = connections[alias]
    config = connection.settings_dict
    options, environment = postgres_environment(config)
    # A connection of its own: the snapshot lives as long as its transaction.
    snapshot_connection = connection.get_new_connection(connection.get_connection_params())
    try:
        snapshot_connection.autocommit = False
        with snapshot_connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = [row[0] for row in cursor.fetchall()]
            counts = count_rows(cursor, tables)
            run_tool(
                [
                    "pg_dump",
                    *options,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    # Row-level security (accounts/tenancy.py) applies to the tables'
                    # owner too; unscoped, its policy shows every row.
                    "--enable-row-security",
                    "--no-owner",
                    "--file",
                    str(payload),
                    str(config["NAME"]),
                ],
                environment,
            )
        snapshot_connection.rollback()
    finally:
        snapshot_connection.close()
    return counts


def read_backup(path: Path, into: Path) -> tuple[Manifest, Path]:
    """Unpack and check a backup: its manifest, its payload's checksum, and that its schema
    is this Lasting's. Returns the manifest and the payload's path under `into`."""
    try:
        with tarfile.open(path, "r") as archive:
            names = archive.getnames()
            if MANIFEST not in names or len(names) != 2:
                raise BackupError(f"{path}: not a Lasting backup")
            manifest_file = archive.extractfile(MANIFEST)
            assert manifest_file is not None
            fields = json.loads(manifest_file.read())
            manifest = Manifest(**fields)
            if manifest.payload not in names or "/" in manifest.payload:
                raise BackupError(f"{path}: the manifest names no payload it holds")
            archive.extract(manifest.payload, into, filter="data")
    except (tarfile.TarError, OSError, ValueError, TypeError, KeyError) as error:
        raise BackupError(
            f"{path}: not a readable Lasting backup ({type(error).__name__})"
        ) from error
    payload = into / manifest.payload
    if manifest.format != FORMAT:
        raise BackupError(f"{path}: backup format {manifest.format}, this Lasting reads {FORMAT}")
    if sha256_of(payload) != manifest.payload_sha256:
        raise BackupError(f"{path}: the payload's checksum does not match: the file is corrupt")
    expected = code_schema()
    if manifest.schema != expected:
        missing = sorted(set(expected) - set(manifest.schema))
        extra = sorted(set(manifest.schema) - set(expected))
        raise BackupError(
            f"{path}: its schema does not match this Lasting "
            f"(missing {len(missing)} migrations, e.g. {missing[:2]}; unknown {len(extra)}, "
            f"e.g. {extra[:2]}): restore it with the Lasting version that wrote it"
        )
    return manifest, payload


@contextmanager
def scratch_database(manifest: Manifest, payload: Path, alias: str) -> Iterator[str]:
    """Restore the payload into a scratch database reachable as a Django alias."""
    base = connections["default"].settings_dict
    if manifest.vendor != connections["default"].vendor:
        raise BackupError(
            f"the backup is of {manifest.vendor}; this Lasting runs on "
            f"{connections['default'].vendor}"
        )
    drill_name = f"lasting_drill_{uuid.uuid4().hex[:12]}"
    if manifest.vendor == "sqlite":
        config = {**base, "NAME": str(payload)}
    else:
        _postgres_admin(f'CREATE DATABASE "{drill_name}"')
        options, environment = postgres_environment(base)
        config = {**base, "NAME": drill_name}
        try:
            run_tool(
                [
                    "pg_restore",
                    *options,
                    "--no-owner",
                    "--enable-row-security",
                    "--dbname",
                    drill_name,
                    str(payload),
                ],
                environment,
            )
        except BackupError:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{drill_name}"')
            raise
    connections.settings[alias] = config
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]
        if manifest.vendor == "postgresql":
            _postgres_admin(f'DROP DATABASE IF EXISTS "{drill_name}"')


def _postgres_admin(statement: str) -> None:
    """Run CREATE/DROP DATABASE on a connection of its own, outside any transaction."""
    connection = connections["default"]
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        with raw.cursor() as cursor:
            cursor.execute(statement)
    finally:
        raw.close()


def drill(path: Path) -> DrillReport:
    """Restore a backup into a scratch database and check it; the live one is untouched."""
    from lasting.audit.services import verify_chain

    with tempfile.TemporaryDirectory(prefix="lasting-drill-") as scratch:
        manifest, payload = read_backup(path, Path(scratch))
        with scratch_database(manifest, payload, "lasting_drill") as alias:
            with connections[alias].cursor() as cursor:
                counts = count_rows(cursor, list(manifest.tables))
            problems = [
                f"{table}: {counts[table]} rows restored, {expected} in the backup"
                for table, expected in manifest.tables.items()
                if counts[table] != expected
            ]
            problems += [
                f"audit event {problem.event_id}: {problem.reason}"
                for problem in verify_chain(using=alias)
            ]
            events = manifest.tables.get("audit_auditevent", 0)
    return DrillReport(len(counts), sum(counts.values()), events, problems)


def restore(path: Path, *, replace: bool) -> Manifest:
    """Restore a backup over the configured database (which must be empty, or `replace`)."""
    connection = connections["default"]
    with tempfile.TemporaryDirectory(prefix="lasting-restore-") as scratch:
        manifest, payload = read_backup(path, Path(scratch))
        if manifest.vendor != connection.vendor:
            raise BackupError(
                f"the backup is of {manifest.vendor}; this Lasting runs on {connection.vendor}"
            )
        if not replace and _holds_data():
            raise BackupError(
                "the database already holds data: stop Lasting, then restore with --replace "
                "(or restore into an empty database)"
            )
        if connection.vendor == "sqlite":
            target = Path(str(connection.settings_dict["NAME"]))
            connection.close()
            restored = target.with_name(f".{target.name}.{uuid.uuid4().hex}.restoring")
            shutil.copyfile(payload, restored)
            os.chmod(restored, 0o600)
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            os.replace(restored, target)
        else:
            options, environment = postgres_environment(connection.settings_dict)
            connection.close()
            run_tool(
                [
                    "pg_restore",
                    *options,
                    "--enable-row-security",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    "--dbname",
                    str(connection.settings_dict["NAME"]),
                    str(payload),
                ],
                environment,
            )
    return manifest


def _holds_data() -> bool:
    connection = connections["default"]
    if "accounts_organization" not in connection.introspection.table_names():
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM accounts_organization")
        return bool(cursor.fetchone()[0])
