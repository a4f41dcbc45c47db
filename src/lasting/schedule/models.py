"""The clinic's price list, and calendar feeds: a secret, revocable iCalendar address
for one clinician's, one location's or one patient's appointments. The events say
"Lasting appointment" and nothing else: a calendar synced to a phone or a mail provider
must not carry names, diagnoses or the word ketamine."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from lasting.accounts.models import Location, Organization
from lasting.patients.models import Patient
from lasting.treatment.models import Route, SessionKind


class FeedScope(models.TextChoices):
    CLINICIAN = "clinician", "A clinician's appointments"
    LOCATION = "location", "A location's appointments"
    PATIENT = "patient", "A patient's appointments"


class CalendarFeed(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=16, choices=FeedScope.choices)
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # Only the SHA-256 of the address's secret is kept: the address is shown once.
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        scope="clinician",
                        clinician__isnull=False,
                        location__isnull=True,
                        patient__isnull=True,
                    )
                    | models.Q(
                        scope="location",
                        clinician__isnull=True,
                        location__isnull=False,
                        patient__isnull=True,
                    )
                    | models.Q(
                        scope="patient",
                        clinician__isnull=True,
                        location__isnull=True,
                        patient__isnull=False,
                    )
                ),
                name="calendar_feed_names_its_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"calendar feed {self.pk} ({self.scope})"


class Price(models.Model):
    """What one session of a kind by a route costs at a location (the self-pay price the
    clinic charges; the cost of maintenance is worked out from it)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="prices")
    route = models.CharField(max_length=24, choices=Route.choices)
    kind = models.CharField(max_length=16, choices=SessionKind.choices)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["location", "route", "kind"], name="one_price_per_location_route_kind"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.kind}: {self.amount} {self.currency}"
