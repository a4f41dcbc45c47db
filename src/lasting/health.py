"""Health endpoints for load balancers and process managers; they show no patient data.

`/healthz`: the process answers (liveness). `/readyz`: it can serve — the database
answers, every migration of this code is applied, and the task queue is reachable — and
says which check failed with 503 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def database_answers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return bool(cursor.fetchone() == (1,))


_migrated: list[bool] = []


def migrations_current() -> bool:
    """Every migration of this code is applied. Once true it stays true for the process's
    life (migrations never run backwards under a running server), so a load balancer's
    probes do not rebuild the migration graph each time."""
    if _migrated:
        return True
    executor = MigrationExecutor(connection)
    current = not executor.migration_plan(executor.loader.graph.leaf_nodes())
    if current:
        _migrated.append(True)
    return current


def queue_reachable() -> bool:
    """The database backend queues in the database (checked above); RQ needs Redis."""
    if settings.TASK_BACKEND != "rq":
        return True
    import django_rq

    return bool(django_rq.get_connection("default").ping())


CHECKS: dict[str, Callable[[], bool]] = {
    "database": database_answers,
    "migrations": migrations_current,
    "queue": queue_reachable,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in CHECKS.items():
        try:
            results[name] = "ok" if check() else "failing"
        except (DatabaseError, OSError, ConnectionError, Exception) as error:
            # The exception's type only: its message could quote data.
            results[name] = f"failing ({type(error).__name__})"
    ready = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "not ready", "checks": results}, status=200 if ready else 503
    )
