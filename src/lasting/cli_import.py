"""`lasting import patients|sessions|checkins FILE --organization SLUG [--dry-run]` and
`lasting export patients|sessions|checkins --organization SLUG --out FILE`.

An import reads and checks the whole file first; any bad row refuses the whole file,
listing every bad row (line, column, reason; the first 50 shown) with a non-zero exit.
Check-ins and sessions enter through the one door's bulk entrance
(`lasting.intake.imports`), patients through `patients.services.import_patients`.
Formats: docs/formats.md#importing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lasting.accounts.models import Organization
    from lasting.csvimport import ReadResult

ERRORS_SHOWN = 50
# Below this many rows the bar would only flicker.
PROGRESS_FROM_ROWS = 2000
TICKS_PER_DRAW = 500
KINDS = ("patients", "sessions", "checkins")


def find_organization(command: str, slug: str) -> Organization | None:
    from lasting.accounts.models import Organization

    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        known = ", ".join(Organization.objects.order_by("slug").values_list("slug", flat=True))
        print(
            f"lasting {command}: no organisation {slug!r} (known: {known or 'none'})",
            file=sys.stderr,
        )
    return organization


@contextmanager
def progress_bar(path: Path, label: str) -> Iterator[Callable[[], None]]:
    """A tick per row read, drawn as a bar on standard error (a terminal) for long files."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    lines = sum(1 for _ in path.open("rb")) - 1 if path.is_file() else 0
    if lines < PROGRESS_FROM_ROWS or not sys.stderr.isatty():
        yield lambda: None
        return
    progress = Progress(
        f"[bold]{label}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task(label, total=max(lines, 1))
        counted = [0]

        def tick() -> None:
            counted[0] += 1
            if counted[0] % TICKS_PER_DRAW == 0:  # rich's advance takes a lock: not per row
                progress.advance(task, TICKS_PER_DRAW)

        yield tick


def report_errors(path: Path, result: ReadResult[Any]) -> None:
    print(
        f"lasting import: {path} refused, nothing imported: {len(result.errors)} bad row(s) "
        f"of {result.rows}",
        file=sys.stderr,
    )
    for error in result.errors[:ERRORS_SHOWN]:
        print(f"  {path.name}, {error}", file=sys.stderr)
    if len(result.errors) > ERRORS_SHOWN:
        print(f"  ... and {len(result.errors) - ERRORS_SHOWN} more", file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> int:
    from lasting.cli import setup_django

    setup_django()
    from lasting.audit.services import Actor
    from lasting.csvimport import FileRefused, read_checkins, read_patients, read_sessions

    path: Path = args.file
    organization = find_organization("import", args.organization)
    if organization is None:
        return 1
    readers: dict[str, Callable[..., ReadResult[Any]]] = {
        "patients": read_patients,
        "sessions": read_sessions,
        "checkins": read_checkins,
    }
    started = time.perf_counter()
    try:
        with progress_bar(path, f"Checking {path.name}") as tick:
            result = readers[args.kind](path, organization, tick)
    except FileRefused as refused:
        print(f"lasting import: {refused}; nothing imported", file=sys.stderr)
        return 1
    if result.errors:
        report_errors(path, result)
        return 1
    if args.dry_run:
        print(
            f"{path}: {result.rows} rows checked, all valid ({describe(args.kind, result)}); "
            "dry run, nothing imported"
        )
        return 0
    actor = Actor.system(f"lasting import {args.kind}", organization.pk)
    summary = store(args.kind, actor, organization, result)
    seconds = time.perf_counter() - started
    print(f"{path}: {summary} into {organization.slug} in {seconds:.1f} s")
    return 0


def describe(kind: str, result: ReadResult[Any]) -> str:
    if kind == "checkins":
        responses = sum(len(entry.scores) for entry in result.items)
        return f"{len(result.items)} check-ins with {responses} responses"
    return f"{len(result.items)} {kind}"


def store(kind: str, actor: Any, organization: Organization, result: ReadResult[Any]) -> str:
    """Store what was read through its door; return a sentence saying what was stored."""
    from lasting.intake.imports import import_checkins, import_sessions
    from lasting.patients.services import import_patients

    if kind == "patients":
        return f"{len(import_patients(actor, organization, result.items))} patients imported"
    if kind == "sessions":
        by_patient: dict[Any, list[dict[str, Any]]] = {}
        for patient, fields in sorted(result.items, key=lambda pair: pair[1]["started_at"]):
            by_patient.setdefault(patient, []).append(fields)
        return f"{import_sessions(actor, organization, by_patient)} sessions imported"
    imported = import_checkins(actor, organization, result.items)
    return (
        f"{imported.checkins} check-ins ({imported.responses} responses) imported; "
        f"{len(imported.alerts)} safety alert(s) opened for review from the history; "
        f"{imported.phq9_without_item9} PHQ-9 without item 9"
    )


def cmd_export_records(args: argparse.Namespace) -> int:
    from lasting.cli import setup_django

    setup_django()
    from lasting.audit.models import Action
    from lasting.audit.services import Actor, record_patients_shown
    from lasting.csvexport import observations_csv, patients_csv, sessions_csv

    organization = find_organization("export", args.organization)
    if organization is None:
        return 1
    writers = {"patients": patients_csv, "sessions": sessions_csv, "checkins": observations_csv}
    text, patient_ids = writers[args.export_command](organization)
    record_patients_shown(
        Actor.system(f"lasting export {args.export_command}", organization.pk),
        Action.EXPORT,
        patient_ids,
        organization_id=organization.pk,
        list_name=f"{args.export_command.capitalize()}Export",
    )
    out: Path = args.out
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"lasting export: cannot write {out} ({error.strerror})", file=sys.stderr)
        return 1
    rows = text.count("\n") - 1
    print(f"{rows} rows of {organization.slug}'s {args.export_command} written to {out}")
    return 0


def add_import_parser(commands: Any, export_commands: Any) -> None:
    """Register `lasting import` and `lasting export patients|sessions|checkins`."""
    importer = commands.add_parser(
        "import", help="import patients, sessions or check-ins from CSV (docs/formats.md)"
    )
    importer.add_argument("kind", choices=KINDS, help="what the file holds")
    importer.add_argument("file", type=Path, help="patients.csv, sessions.csv or observations.csv")
    importer.add_argument("--organization", required=True, help="the organisation's slug")
    importer.add_argument(
        "--dry-run", action="store_true", help="check the whole file and report; store nothing"
    )
    importer.set_defaults(handler=cmd_import)
    for kind in KINDS:
        export = export_commands.add_parser(
            kind, help=f"the organisation's {kind} as the file `lasting import {kind}` reads"
        )
        export.add_argument("--organization", required=True, help="the organisation's slug")
        export.add_argument("--out", type=Path, required=True, help="the CSV file to write")
        export.set_defaults(handler=cmd_export_records)
