"""Background job for the audit trail: anchor the chain's head outside the database."""

from __future__ import annotations

from django_tasks import task

from lasting.audit.services import write_anchor


@task()
def write_anchor_task() -> int:
    """Append the chain's head to the anchor file and the log; return its event count."""
    return write_anchor().count
