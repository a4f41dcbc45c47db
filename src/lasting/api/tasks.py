"""Background jobs of the API: thin wrappers over its services, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from lasting.api.idempotency import purge_idempotency_keys


@task()
def purge_idempotency_keys_task() -> int:
    """Forget idempotency keys older than 7 days; return how many."""
    return purge_idempotency_keys()
