"""Requests for a patient's e-mailed sign-in link."""

from __future__ import annotations

from django.db import models

from lasting.accounts.models import Organization
from lasting.patients.models import Patient


class SignInRequest(models.Model):
    """One request for a sign-in link, whether or not a link was sent.

    Every request is kept, for a registered address or not, so the throttle counts the
    same way for both and its answer reveals nothing. Neither the address nor the token
    is stored in clear: `email_digest` is a keyed hash of the address, `token_hash` the
    SHA-256 of the token, so a copy of the database can neither list addresses that were
    tried nor open a link.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email_digest = models.CharField(max_length=64)
    requested_from = models.GenericIPAddressField(null=True, blank=True)
    requested_at = models.DateTimeField()
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when the background job takes the e-mail on, so a job run twice sends it once.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["email_digest", "requested_at"]),
            models.Index(fields=["requested_from", "requested_at"]),
        ]

    def __str__(self) -> str:
        return f"Sign-in request {self.pk} at {self.requested_at:%Y-%m-%d %H:%M}"
