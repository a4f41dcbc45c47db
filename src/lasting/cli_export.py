"""`lasting export episodes`: the clinic's stored durability episodes as episodes.csv.

The file is the format `lasting analyze durability` reads (docs/formats.md):
``episode_id,duration_days,event[,group]``. Episode ids are opaque (E1, E2, ... in the
order of the episodes' first days), never a patient's id or record number, and the
export is audited.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lasting.cli_import import add_import_parser

# The factors an export may group by: the stored episode's column, and how its value is
# written.
GROUP_COLUMNS = {
    "diagnosis": "diagnosis",
    "severity": "severity",
    "induction": "induction_group",
    "end_of_induction": "end_of_induction",
    "therapy": "in_therapy",
    "antidepressant": "antidepressant",
    "life_stress": "life_stress",
    "started_by": "started_by",
}


def _group_text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def cmd_export_episodes(args: argparse.Namespace) -> int:
    from lasting.cli import setup_django

    setup_django()
    from lasting.accounts.models import Organization
    from lasting.audit.models import Action
    from lasting.audit.services import Actor, record_event
    from lasting.outcomes.models import OutcomeEpisode
    from lasting_core.analytics.episodes import Episode, write_episodes

    organization = Organization.objects.filter(slug=args.organization).first()
    if organization is None:
        print(f"lasting export episodes: no organisation {args.organization!r}", file=sys.stderr)
        return 1
    column = GROUP_COLUMNS[args.group_by] if args.group_by else None
    fields = ["days", "relapsed", *([column] if column else [])]
    rows = (
        OutcomeEpisode.objects.filter(organization=organization)
        .order_by("start_on", "pk")
        .values_list(*fields)
    )
    episodes = [
        Episode(
            episode_id=f"E{number}",
            duration_days=float(row[0]),
            event=bool(row[1]),
            group=_group_text(row[2]) if column else None,
        )
        for number, row in enumerate(rows, start=1)
    ]
    text = write_episodes(episodes)
    record_event(
        Actor.system("lasting export episodes", organization.pk),
        Action.EXPORT,
        organization_id=organization.pk,
        object_ref=("EpisodesExport", args.out.name),
    )
    args.out.write_text(text)
    print(f"{len(episodes)} episodes of {organization.name} written to {args.out}")
    return 0


def add_export_parser(commands: Any) -> None:
    """Register `lasting export episodes` on the CLI's sub-commands, and with it
    `lasting import` and `lasting export patients|sessions|checkins` (cli_import)."""
    export = commands.add_parser("export", help="export the clinic's own data")
    export_commands = export.add_subparsers(dest="export_command", required=True)
    episodes = export_commands.add_parser(
        "episodes",
        help="the clinic's durability episodes as episodes.csv "
        "(episode_id,duration_days,event[,group]; ids are opaque)",
    )
    episodes.add_argument("--organization", required=True, help="the organisation's slug")
    episodes.add_argument("--out", type=Path, required=True, help="the episodes.csv to write")
    episodes.add_argument(
        "--group-by",
        choices=sorted(GROUP_COLUMNS),
        default=None,
        help="add a group column with this factor of each episode",
    )
    episodes.set_defaults(handler=cmd_export_episodes)
    add_import_parser(commands, export_commands)
