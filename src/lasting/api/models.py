"""What the REST API keeps of its own: the idempotency keys of POST requests."""

from __future__ import annotations

from django.db import models

from lasting.accounts.models import Membership, Organization


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a member sent with a POST: the request's fingerprint and, once
    the operation finished, its response, replayed to a retry. A row without a status is
    still in flight. Kept 7 days (`idempotency.purge_idempotency_keys`). The stored
    response holds patient data, so the row carries its organisation: a tenant table,
    behind row-level security like the records it answered with."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "key"], name="api_idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"idempotency key {self.pk}"
