"""The append-only audit trail (HIPAA §164.312(b), ONC 170.315(d)(2)).

Each event names who did what to which patient record, from where, with what outcome,
and never the clinical values. Events form a hash chain: each stores the hash of the
previous one, so an edited or deleted row is detected by `lasting audit verify`.
"""

from __future__ import annotations

from django.db import models


class Action(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    SEARCH = "search", "Search"
    EXPORT = "export", "Export"
    PRINT = "print", "Print"
    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    RESOLVE = "resolve", "Resolve"
    ESCALATE = "escalate", "Escalate"
    LOGIN = "login", "Log in"
    LOGIN_FAILED = "login_failed", "Failed log-in"
    LOGOUT = "logout", "Log out"
    PRIVILEGE_CHANGE = "privilege_change", "Privilege change"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class AuditEvent(models.Model):
    # Plain ids, not foreign keys: the trail outlives the rows it describes.
    at = models.DateTimeField(db_index=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    organization_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.outcome}"


class ChainHead(models.Model):
    """One row holding the latest hash and how many events the chain holds; locking it
    serialises appends on PostgreSQL."""

    last_hash = models.CharField(max_length=64)
    count = models.BigIntegerField(default=0)
