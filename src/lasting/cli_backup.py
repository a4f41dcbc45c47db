"""`lasting backup` and `lasting restore`: the command-line side of `lasting.backups`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def setup_django() -> None:
    from lasting.cli import setup_django as setup  # at call time: cli imports this module

    setup()


def cmd_backup(args: argparse.Namespace) -> int:
    setup_django()
    from lasting.audit.models import Action
    from lasting.audit.services import Actor, record_event
    from lasting.backups import BackupError, create_backup

    out: Path = args.out or Path(
        f"lasting-backup-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.tar"
    )
    # A copy of every chart leaves the database: the trail says so (and the copy holds it).
    record_event(Actor.system("lasting backup"), Action.EXPORT, object_ref=("Backup", out.name))
    try:
        manifest = create_backup(out)
    except BackupError as error:
        print(f"lasting backup: {error}", file=sys.stderr)
        return 1
    rows = sum(manifest.tables.values())
    print(
        f"Backup of {manifest.vendor} written to {out}: {len(manifest.tables)} tables, "
        f"{rows:,} rows, {len(manifest.schema)} migrations, sha256 {manifest.payload_sha256}"
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    setup_django()
    from lasting.backups import BackupError, drill, restore

    if not args.file.is_file():
        print(f"lasting restore: {args.file}: no such file", file=sys.stderr)
        return 1
    try:
        if args.drill:
            report = drill(args.file)
        else:
            manifest = restore(args.file, replace=args.replace)
    except BackupError as error:
        print(f"lasting restore: {error}", file=sys.stderr)
        return 1
    if not args.drill:
        from lasting.audit.models import Action
        from lasting.audit.services import Actor, record_event, write_restore_marker

        write_restore_marker(args.file.name)
        record_event(
            Actor.system("lasting restore"), Action.CREATE, object_ref=("Restore", args.file.name)
        )
        rows = sum(manifest.tables.values())
        print(f"Restored {args.file} ({rows:,} rows, taken {manifest.created_at})")
        return 0
    for problem in report.problems:
        print(f"drill: {problem}", file=sys.stderr)
    verdict = "FAILED" if report.problems else "passed"
    print(
        f"Restore drill {verdict}: {report.tables} tables and {report.rows:,} rows restored into a "
        f"scratch database; audit chain of {report.audit_events:,} events "
        f"{'has problems' if report.problems else 'intact'}; the live database was not touched"
    )
    return 1 if report.problems else 0
