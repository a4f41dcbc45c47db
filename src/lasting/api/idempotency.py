"""Every POST of the API carries an `Idempotency-Key` (docs/api.md#idempotency).

1. The key is stored with the request's fingerprint before the operation runs (its own
   committed row, unique per membership and key), so a second request sees it at once.
2. Same key, same fingerprint, finished: the stored response again (status and body),
   nothing runs twice. Same key, other body: 422. Same key, not finished: 409.
3. An operation that raises (a refusal, invalid input) frees its key, so a refused
   request changes nothing; the client may send it again once the cause is gone.
Keys are kept 7 days (`purge_idempotency_keys`, run by the periodic scheduler).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Status

from lasting.accounts.models import Membership
from lasting.api.models import IdempotencyKey
from lasting.api.problems import Problem

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(days=7)
MAX_KEY_LENGTH = 255
# Declared on every POST so the OpenAPI document names it; optional there, so a missing
# key answers this module's 400 rather than a validation error.
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias=HEADER, description="Unique per request; a retry sends the same key."),
]


def fingerprint(request: HttpRequest, body: dict[str, Any]) -> str:
    """The operation and its parsed body: whitespace and key order do not matter."""
    canonical = json.dumps(
        [request.method, request.path, body], sort_keys=True, default=str, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    request: HttpRequest,
    membership: Membership,
    key: str | None,
    body: dict[str, Any],
    operation: Callable[[], tuple[int, Any]],
) -> Status[Any]:
    """Run `operation` once per (membership, key); replay its stored answer after."""
    key = (key or "").strip()
    if not key:
        raise Problem(400, f"Every POST needs an {HEADER} header.", [{"loc": ["header", HEADER]}])
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(
            400,
            f"The {HEADER} is at most {MAX_KEY_LENGTH} characters.",
            [{"loc": ["header", HEADER]}],
        )
    request_hash = fingerprint(request, body)
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                organization_id=membership.organization_id,
                membership=membership,
                key=key,
                request_hash=request_hash,
                created_at=timezone.now(),
            )
    except IntegrityError:
        stored = IdempotencyKey.objects.get(membership=membership, key=key)
        if stored.request_hash != request_hash:
            raise Problem(422, f"This {HEADER} was used with another request.") from None
        if stored.status_code is None:
            raise Problem(409, f"A request with this {HEADER} is still being processed.") from None
        return Status(stored.status_code, stored.response)
    try:
        status, payload = operation()
    except BaseException:
        row.delete()
        raise
    row.status_code, row.response = status, payload
    row.save(update_fields=["status_code", "response"])
    return Status(status, payload)


def purge_idempotency_keys(now: datetime | None = None) -> int:
    """Forget keys older than 7 days; return how many."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
