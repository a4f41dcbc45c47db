"""Reads about an organisation: the crisis resource a patient sees, and the admin's own
locations, people and invitations (scoped to the admin's organisation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from lasting.accounts.models import (
    CrisisLanguage,
    CrisisResource,
    Invitation,
    Location,
    Membership,
    Organization,
    Role,
    User,
)


@dataclass(frozen=True)
class CrisisLine:
    """One crisis resource as a patient reads it: every word and number from one row."""

    language: str
    name: str
    phone: str
    text_number: str
    text_keyword: str
    instructions: str
    emergency_phone: str
    is_default: bool = False


# Lasting's defaults, for an organisation that has set no crisis resource: the 988
# Suicide & Crisis Lifeline (US). Its Spanish service answers when a caller presses 2 or
# texts AYUDA to 988 (988lifeline.org, "What to expect": "Spanish-language (Press 2)",
# "Spanish-language (text AYUDA)").
DEFAULT_CRISIS_RESOURCES: dict[str, CrisisLine] = {
    CrisisLanguage.ENGLISH: CrisisLine(
        language=CrisisLanguage.ENGLISH,
        name="988 Suicide & Crisis Lifeline",
        phone="988",
        text_number="988",
        text_keyword="",
        instructions="Call or text 988, any time, day or night.",
        emergency_phone="911",
        is_default=True,
    ),
    CrisisLanguage.SPANISH: CrisisLine(
        language=CrisisLanguage.SPANISH,
        name="Línea 988 de Prevención del Suicidio y Crisis",
        phone="988",
        text_number="988",
        text_keyword="AYUDA",
        instructions=(
            "Llame al 988 y oprima 2, o envíe un mensaje de texto con la palabra AYUDA al 988, "
            "a cualquier hora del día o de la noche."
        ),
        emergency_phone="911",
        is_default=True,
    ),
}


def find_crisis_line(organization: Organization | None, language: str) -> CrisisLine:
    """The crisis resource a patient reading `language` sees.

    1. The organisation's resource in that language;
    2. else its English one; else any it has (never Lasting's 988 default for an
       organisation that set its own line, which may be in a country without 988);
    3. an organisation with none (or no organisation known) gets Lasting's default in
       that language, falling back to English.
    """
    if organization is not None:
        resources = {row.language: row for row in organization.crisis_resources.all()}
        for candidate in (language, CrisisLanguage.ENGLISH, *sorted(resources)):
            if candidate in resources:
                return crisis_line_from(resources[candidate])
    return DEFAULT_CRISIS_RESOURCES.get(language, DEFAULT_CRISIS_RESOURCES[CrisisLanguage.ENGLISH])


def list_crisis_lines(organization: Organization) -> dict[str, CrisisLine]:
    """The line a patient sees in each language Lasting speaks, for the admin's page."""
    return {language: find_crisis_line(organization, language) for language in CrisisLanguage}


def crisis_line_from(row: CrisisResource) -> CrisisLine:
    return CrisisLine(
        language=row.language,
        name=row.name,
        phone=row.phone,
        text_number=row.text_number,
        text_keyword=row.text_keyword,
        instructions=row.instructions,
        emergency_phone=row.emergency_phone,
    )


def get_location_for(membership: Membership, location_id: int) -> Location:
    """A location of the admin's own organisation; 404 for any other (no hint it exists)."""
    return get_object_or_404(Location, pk=location_id, organization_id=membership.organization_id)


def get_member_for(membership: Membership, membership_id: int) -> Membership:
    """A membership of the admin's own organisation; 404 for any other."""
    return get_object_or_404(
        Membership.objects.select_related("user"),
        pk=membership_id,
        organization_id=membership.organization_id,
    )


def get_invitation_for(membership: Membership, invitation_id: int) -> Invitation:
    """An invitation of the admin's own organisation; 404 for any other."""
    return get_object_or_404(
        Invitation, pk=invitation_id, organization_id=membership.organization_id
    )


def list_open_invitations(organization: Organization, now: datetime) -> list[Invitation]:
    """Invitations not yet accepted, revoked or expired, newest first."""
    return list(
        Invitation.objects.filter(
            organization=organization, accepted_at=None, revoked_at=None, expires_at__gt=now
        )
    )


def list_clinicians(organization_id: int, *, active_only: bool = True) -> QuerySet[User]:
    """The organisation's clinicians, by name (the caseload's filter also lists former
    ones, whose patients may still be assigned to them)."""
    # One filter() call: the conditions must hold for the same membership row.
    same_membership: dict[str, object] = {
        "memberships__organization_id": organization_id,
        "memberships__role": Role.CLINICIAN,
    }
    if active_only:
        same_membership["memberships__is_active"] = True
    return User.objects.filter(**same_membership).order_by("last_name", "first_name", "pk")
