"""Background jobs for plans: the engine's periodic sweep, one organisation per job."""

from __future__ import annotations

from django_tasks import task

from lasting.plans.services import reassess_patients, sweep_organization


@task()
def sweep_organization_task(organization_id: int) -> int:
    """Re-assess an organisation's patients and apply their plans; safe to run twice."""
    return sweep_organization(organization_id)


@task()
def reassess_patients_task(organization_id: int, patient_ids: list[int]) -> int:
    """Re-assess the patients an import stored data for, once, in one batch."""
    return reassess_patients(organization_id, patient_ids)
