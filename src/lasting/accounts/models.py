"""Organisations, their locations, people and the role each person holds in each organisation."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from lasting_core.escalation import DEFAULTS as ESCALATION
from lasting_core.escalation import BusinessHours, parse_weekdays


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone (e.g. America/Denver).")


def validate_weekdays(value: str) -> None:
    try:
        parse_weekdays(value)
    except ValueError as error:
        raise ValidationError(f"{value!r}: {error} (e.g. 12345 for Monday to Friday).") from error
    if len(set(value)) != len(value):
        raise ValidationError(f"{value!r} names a weekday twice.")


def weekday_digits(days: tuple[int, ...]) -> str:
    return "".join(str(day) for day in sorted(days))


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    crisis_line_name = models.CharField(max_length=200, default="988 Suicide & Crisis Lifeline")
    crisis_line_phone = models.CharField(max_length=32, default="988")
    crisis_line_text = models.CharField(
        max_length=400,
        default=(
            "Call or text 988, any time, day or night. If you are in immediate danger, call 911."
        ),
    )
    # Minutes a safety alert may stay without acknowledgement, then without a contact
    # outcome, before it escalates (DESIGN section 4; lasting_core.escalation).
    alert_ack_sla_minutes = models.PositiveIntegerField(default=ESCALATION.ack_sla_minutes)
    # Who is told when an urgent alert is not acknowledged in time; if empty, every
    # other active clinician of the organisation.
    escalation_contact = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Business hours on the organisation's clock: ISO weekday digits (1 = Monday) and the
    # same opening and closing times on each of those days.
    business_weekdays = models.CharField(
        max_length=7,
        blank=True,
        default=weekday_digits(ESCALATION.business_weekdays),
        validators=[validate_weekdays],
    )
    business_opens = models.TimeField(default=ESCALATION.business_opens)
    business_closes = models.TimeField(default=ESCALATION.business_closes)
    # Who is told of safety alerts outside business hours (the on-call clinician or
    # nurse); if empty, the escalation goes where it would in business hours.
    after_hours_contact = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(business_opens__lt=models.F("business_closes")),
                name="business_hours_open_before_they_close",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def business_hours(self) -> BusinessHours:
        return BusinessHours(
            time_zone=self.time_zone,
            weekdays=parse_weekdays(self.business_weekdays),
            opens=self.business_opens,
            closes=self.business_closes,
        )


class Location(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=400, blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="location_name_unique")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """One account per person; what they may do comes from their memberships."""

    email = models.EmailField(unique=True)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    ADMIN = "admin", "Clinic admin"
    CLINICIAN = "clinician", "Clinician"
    STAFF = "staff", "Staff"


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    title = models.CharField(max_length=64, blank=True, help_text="e.g. MD, NP, RN")
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"
