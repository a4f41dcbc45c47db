"""Organisations, their locations, people and the role each person holds in each organisation."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_otp.models import Device, ThrottlingMixin

from lasting_core.escalation import DEFAULTS as ESCALATION
from lasting_core.escalation import BusinessHours, parse_weekdays


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone (e.g. America/Denver).")


PHONE_CHARACTERS = re.compile(r"[0-9+() .-]{2,32}")
NUMBER_IN_TEXT = re.compile(r"\d[\d ().-]*\d|\d")


def validate_phone(value: str) -> None:
    if value and not (PHONE_CHARACTERS.fullmatch(value) and any(c.isdigit() for c in value)):
        raise ValidationError(f"{value!r} is not a phone number (digits, spaces, + ( ) . -).")


def digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


def validate_one_line(instructions: str, phone: str, text_number: str) -> None:
    """Refuse instructions that name a number other than the line's own phone or text
    number: a crisis box names one line (never 988 next to another number), and the
    emergency number has a labelled line of its own."""
    own = {digits(phone), digits(text_number)} - {""}
    others = [
        found.group()
        for found in NUMBER_IN_TEXT.finditer(instructions)
        if len(digits(found.group())) >= 3 and digits(found.group()) not in own
    ]
    if others:
        raise ValidationError(
            {
                "instructions": (
                    f"The instructions name {', '.join(others)}, which is not this line's "
                    "phone or text number. Name only this line's number here; the emergency "
                    "number has its own field."
                )
            }
        )


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
    # Minutes a safety alert may stay without acknowledgement, then without a contact
    # outcome, before it escalates (docs/clinical.md#safety-alerts; lasting_core.escalation).
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
    # Alert budgets: the early-warning and disengagement alerts a patient-year in care the
    # clinic expects (docs/clinical.md "Alert budgets"); the outcome report sets the
    # engine's replay beside them. Safety and relapse alerts have none: each is raised.
    early_warning_budget_per_year = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.1), MaxValueValidator(52)]
    )
    disengagement_budget_per_year = models.FloatField(
        default=1.0, validators=[MinValueValidator(0.1), MaxValueValidator(52)]
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


class CrisisLanguage(models.TextChoices):
    """The languages patients read Lasting in (the same codes as settings.LANGUAGES)."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


class CrisisResource(models.Model):
    """Where a patient gets help now, in one language: shown on every patient page and in
    every reminder (docs/clinical.md#crisis-resources). An organisation without any row
    shows Lasting's defaults (`lasting.accounts.queries.DEFAULT_CRISIS_RESOURCES`)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="crisis_resources"
    )
    language = models.CharField(max_length=8, choices=CrisisLanguage.choices)
    name = models.CharField(max_length=200)
    # What the patient dials (the tel: link).
    phone = models.CharField(max_length=32, validators=[validate_phone])
    # Where a text message reaches the line; empty when it takes none.
    text_number = models.CharField(max_length=32, blank=True, validators=[validate_phone])
    # A word to text that reaches the right counsellors (the 988 Lifeline's AYUDA).
    text_keyword = models.CharField(max_length=32, blank=True)
    # How to reach the line, in this language; names no number but the line's own.
    instructions = models.CharField(max_length=400)
    # Emergency services (911 in the US); empty: "your local emergency number".
    emergency_phone = models.CharField(max_length=32, blank=True, validators=[validate_phone])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "language"], name="one_crisis_resource_per_language"
            )
        ]
        ordering = ["language"]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    def clean(self) -> None:
        validate_one_line(self.instructions, self.phone, self.text_number)


# A choice: more chairs than this in one room is a typing error, not a clinic.
MAX_CHAIRS = 50


class Location(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=400, blank=True)
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    # Treatment chairs: how many patients can be dosed and monitored at once.
    chairs = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_CHAIRS)]
    )
    # A closed location keeps its history (sessions, patients) but takes no new records.
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="location_name_unique"),
            models.CheckConstraint(
                condition=models.Q(chairs__gte=1, chairs__lte=MAX_CHAIRS),
                name="location_chairs_in_range",
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # devices: django-otp
    """One account per person; what they may do comes from their memberships."""

    email = models.EmailField(unique=True)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    """What a person does in one organisation (docs/clinical.md#roles)."""

    ADMIN = "admin", "Clinic admin"
    CLINICIAN = "clinician", "Clinician"
    # Nurses keep the stored value "staff" so existing memberships and links stay valid.
    STAFF = "staff", "Nurse"
    SCHEDULER = "scheduler", "Scheduler"  # front desk


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


class Invitation(models.Model):
    """An e-mailed, single-use invitation to join an organisation in a role.

    Only the token's SHA-256 is stored: the database alone opens no account. The invitee
    chooses a username and a password that meets the password rules when accepting.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    title = models.CharField(max_length=64, blank=True, help_text="e.g. MD, NP, RN")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    membership = models.OneToOneField(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.role})"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class ApiToken(models.Model):
    """A personal API token: its holder acts through /api/v1/ and /fhir/ as one membership,
    with that membership's role in that organisation and nothing more.

    Only the token's SHA-256 is stored (the token is random, so a fast hash is enough):
    it is shown once, when created. The prefix tells one token from another in lists.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64, help_text="What uses it, e.g. 'EHR bridge'.")
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# django-otp ships no type information, so its base classes are Any to mypy.
class RecoveryCodes(ThrottlingMixin, Device):  # type: ignore[misc]
    """A workforce account's single-use recovery codes as one second-factor device, so a
    code signs in through the same django-otp session mark as the authenticator app.

    Only a keyed hash of each code is stored (accounts/mfa.py); the codes are shown once.
    """

    class Meta(Device.Meta):  # type: ignore[misc]
        verbose_name = "recovery codes"

    def verify_token(self, token: object) -> bool:
        from lasting.accounts.mfa import recovery_code_hash

        allowed, _ = self.verify_is_allowed()
        if not allowed or not isinstance(token, str):
            return False
        unused = self.codes.filter(code_hash=recovery_code_hash(token), used_at__isnull=True)
        if unused.update(used_at=timezone.now()) == 1:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1))


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["device", "code_hash"], name="one_row_per_recovery_code"
            )
        ]
