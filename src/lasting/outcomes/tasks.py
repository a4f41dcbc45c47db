"""Background jobs for outcomes: one organisation's stored rows per job."""

from __future__ import annotations

from django_tasks import task

from lasting.outcomes.queries import warm_report_cache
from lasting.outcomes.services import refresh_outcomes


@task()
def refresh_outcomes_task(organization_id: int) -> int:
    """Recompute the organisation's outcome rows, then the unfiltered report, so the
    first reader after a refresh waits for nothing; safe to run twice."""
    stored = refresh_outcomes(organization_id)
    warm_report_cache(organization_id)
    return stored
