"""Background jobs for costs: the 12-month forecast, one organisation per job."""

from __future__ import annotations

from django_tasks import task

from lasting.costs.services import forecast_organization


@task()
def forecast_organization_task(organization_id: int) -> int:
    """Forecast the patients whose inputs changed; safe to run twice (fingerprints)."""
    return forecast_organization(organization_id)
