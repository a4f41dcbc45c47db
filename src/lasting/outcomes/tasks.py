"""Background jobs for outcomes: one organisation's stored rows per job."""

from __future__ import annotations

from django_tasks import task

from lasting.outcomes.services import refresh_outcomes


@task()
def refresh_outcomes_task(organization_id: int) -> int:
    """Recompute the organisation's outcome rows; safe to run twice (delete + insert)."""
    return refresh_outcomes(organization_id)
