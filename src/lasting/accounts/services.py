"""Set a clinic up; invite people and give them roles; set the organisation's policies and
what patients read about getting help now. Every change is audited."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from lasting.accounts import rules
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
from lasting.accounts.tokens import hash_token
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event

log = logging.getLogger("lasting.accounts")

INVITATION_LIFETIME = timedelta(days=7)


@transaction.atomic
def add_member(
    actor: Actor,
    organization: Organization,
    *,
    username: str,
    email: str,
    password: str | None,
    role: Role,
    first_name: str = "",
    last_name: str = "",
    title: str = "",
) -> Membership:
    """Create a user account and its role in `organization`; audited as a privilege change.

    Raises ValidationError for a taken username or e-mail address, or a password that does
    not meet the password rules.
    """
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.full_clean(exclude=["password"])
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)  # the same rules as every other password
        user.set_password(password)
    user.save()
    membership = Membership.objects.create(
        user=user, organization=organization, role=role, title=title
    )
    record_event(actor, Action.PRIVILEGE_CHANGE, organization_id=organization.pk, obj=membership)
    return membership


@transaction.atomic
def set_crisis_resource(
    actor: Actor,
    organization: Organization,
    language: CrisisLanguage,
    fields: Mapping[str, str],
) -> CrisisResource:
    """Set the crisis resource patients reading `language` see; audited (create, then
    update). `fields` are the form's checked values (name, phone, text number and word,
    instructions, emergency number)."""
    resource, created = CrisisResource.objects.update_or_create(
        organization=organization, language=language, defaults=dict(fields)
    )
    record_event(
        actor,
        Action.CREATE if created else Action.UPDATE,
        organization_id=organization.pk,
        obj=resource,
    )
    return resource


ALERT_POLICY_FIELDS = [
    "alert_ack_sla_minutes",
    "escalation_contact",
    "after_hours_contact",
    "business_weekdays",
    "business_opens",
    "business_closes",
    "early_warning_budget_per_year",
    "disengagement_budget_per_year",
]


def update_alert_policy(
    actor: Actor, membership: Membership | None, organization: Organization
) -> Organization:
    """Save a changed safety-alert policy (service level, contacts, business hours), audited.

    Only the organisation's own admin may; the contacts must hold an active role here
    that handles safety alerts (checked again, whatever the form offered).
    """
    if not rules.can_manage_organization(membership) or (
        membership.organization_id != organization.pk
    ):
        raise PermissionDenied("Only the clinic's admins change its alert policy.")
    organization.full_clean(exclude=["name", "slug"])
    for contact_id in (organization.escalation_contact_id, organization.after_hours_contact_id):
        if contact_id is None:
            continue
        holder = Membership.objects.filter(
            organization=organization, user_id=contact_id, is_active=True
        ).first()
        if not rules.can_handle_safety_alerts(holder):
            raise PermissionDenied("An alert contact must handle safety alerts in this clinic.")
    with transaction.atomic():
        organization.save(update_fields=ALERT_POLICY_FIELDS)
        record_event(actor, Action.UPDATE, organization_id=organization.pk, obj=organization)
    return organization


@dataclass(frozen=True)
class LocationSpec:
    """A location as `lasting setup` is given it."""

    name: str
    address: str = ""
    chairs: int = 1


@dataclass(frozen=True)
class AdminSpec:
    """The first clinic admin as `lasting setup` is given them."""

    username: str
    email: str
    password: str
    first_name: str = ""
    last_name: str = ""


def unique_slug(name: str) -> str:
    """A slug for a new organisation: its name's, with -2, -3... when that is taken."""
    base = slugify(name)[:56] or "clinic"
    slug, n = base, 1
    while Organization.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def set_up_organization(
    actor: Actor,
    *,
    name: str,
    time_zone: str,
    locations: Sequence[LocationSpec],
    admin: AdminSpec,
) -> Organization:
    """Create an organisation, its locations and its first admin, all or nothing.

    Raises ValidationError naming every field that is wrong (a taken name, an unknown time
    zone, a location without a name, a weak password...), and changes nothing then.
    """
    if Organization.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": f"An organisation called {name.strip()!r} exists already."})
    organization = Organization(name=name.strip(), slug=unique_slug(name), time_zone=time_zone)
    organization.full_clean()
    organization.save()
    record_event(actor, Action.CREATE, organization_id=organization.pk, obj=organization)
    if not locations:
        raise ValidationError({"locations": "Give at least one location."})
    for spec in locations:
        save_location(
            actor,
            Location(
                organization=organization,
                name=spec.name.strip(),
                address=spec.address.strip(),
                chairs=spec.chairs,
                time_zone=time_zone,
            ),
        )
    add_member(
        actor,
        organization,
        username=admin.username,
        email=admin.email,
        password=admin.password,
        role=Role.ADMIN,
        first_name=admin.first_name,
        last_name=admin.last_name,
    )
    return organization


def save_location(actor: Actor, location: Location) -> Location:
    """Add or change a location (name, address, time zone, chairs, open or closed); audited.

    Raises ValidationError for a name the organisation already uses, a time zone that
    does not exist or a number of chairs out of range.
    """
    location.full_clean(validate_unique=False)
    clash = Location.objects.filter(
        organization_id=location.organization_id, name__iexact=location.name
    ).exclude(pk=location.pk)
    if clash.exists():
        raise ValidationError({"name": f"This clinic already has a location {location.name!r}."})
    created = location.pk is None
    with transaction.atomic():
        location.save()
        record_event(
            actor,
            Action.CREATE if created else Action.UPDATE,
            organization_id=location.organization_id,
            obj=location,
        )
    return location


def admin_of(membership: Membership | None, organization_id: int) -> Membership:
    """The acting admin's membership, if it may manage `organization_id`; else refuse."""
    if not rules.can_manage_organization(membership) or (
        membership.organization_id != organization_id
    ):
        raise PermissionDenied("Only the clinic's admins manage its locations and people.")
    return membership


class InvitationProblem(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"


class InvitationError(Exception):
    """Why an invitation link cannot be used."""

    def __init__(self, problem: InvitationProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def invite_member(
    actor: Actor,
    membership: Membership | None,
    *,
    email: str,
    role: Role,
    title: str = "",
) -> tuple[Invitation, str]:
    """Create an invitation for `email` to join the admin's organisation in `role`.

    Returns the invitation and its token (only its hash is stored; e-mail it with
    `send_invitation`). Raises ValidationError when the address already has an account
    here or elsewhere (one account per person: another organisation's member cannot be
    invited yet) or an open invitation.
    """
    admin = admin_of(membership, membership.organization_id if membership else -1)
    organization = admin.organization
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            {
                "email": "This address already has a Lasting account. Change that person's "
                "role in the list of people instead."
            }
        )
    now = timezone.now()
    if Invitation.objects.filter(
        organization=organization,
        email__iexact=email,
        accepted_at=None,
        revoked_at=None,
        expires_at__gt=now,
    ).exists():
        raise ValidationError(
            {"email": "This address has an open invitation: revoke it to send a new one."}
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            title=title.strip(),
            token_hash=hash_token(token),
            invited_by_id=actor.user_id,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        record_event(
            actor, Action.PRIVILEGE_CHANGE, organization_id=organization.pk, obj=invitation
        )
    return invitation, token


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("accounts:accept_invitation", args=[token])


def send_invitation(invitation: Invitation, token: str) -> bool:
    """E-mail the invitation link; on a transport failure log (no address) and say so."""
    days = INVITATION_LIFETIME.days
    subject = f"Your invitation to {invitation.organization.name} on Lasting"
    body = "\n\n".join(
        [
            f"You are invited to join {invitation.organization.name} on Lasting as "
            f"{Role(invitation.role).label.lower()}.",
            f"Open this link within {days} days to choose your username and password. "
            "It works once:",
            invitation_url(token),
            "If you did not expect this invitation, you can ignore this e-mail.",
        ]
    )
    try:
        send_mail(subject, body + "\n", settings.DEFAULT_FROM_EMAIL, [invitation.email])
    except Exception:  # the admin is told and can revoke and invite again
        log.exception("invitation %s: e-mail not sent", invitation.pk)
        return False
    return True


def get_open_invitation(token: str, now: datetime) -> Invitation:
    """The invitation a link's token names, if it may still be accepted; else raise
    InvitationError saying why (unknown, used, revoked or expired)."""
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise InvitationError(InvitationProblem.INVALID)
    if invitation.accepted_at is not None:
        raise InvitationError(InvitationProblem.USED)
    if invitation.revoked_at is not None:
        raise InvitationError(InvitationProblem.REVOKED)
    if invitation.expires_at <= now:
        raise InvitationError(InvitationProblem.EXPIRED)
    return invitation


def accept_invitation(
    token: str,
    *,
    username: str,
    password: str,
    first_name: str,
    last_name: str,
    address: str | None = None,
) -> Membership:
    """Create the invitee's account and role, once: the invitation is locked, used and
    audited in one transaction. Raises InvitationError or ValidationError (username taken,
    password too weak)."""
    with transaction.atomic():
        found = get_open_invitation(token, timezone.now())
        # Two clicks of the same link race here: the second waits, then finds it used.
        invitation = (
            Invitation.objects.select_for_update().select_related("organization").get(pk=found.pk)
        )
        if not invitation.is_open:
            raise InvitationError(InvitationProblem.USED)
        actor = Actor(None, username[:150], invitation.organization_id, address, "")
        membership = add_member(
            actor,
            invitation.organization,
            username=username,
            email=invitation.email,
            password=password,
            role=Role(invitation.role),
            first_name=first_name,
            last_name=last_name,
            title=invitation.title,
        )
        invitation.accepted_at = timezone.now()
        invitation.membership = membership
        invitation.save(update_fields=["accepted_at", "membership"])
        record_event(
            Actor(membership.user_id, username, invitation.organization_id, address, ""),
            Action.UPDATE,
            organization_id=invitation.organization_id,
            obj=invitation,
        )
    return membership


def revoke_invitation(actor: Actor, membership: Membership | None, invitation: Invitation) -> None:
    """Revoke an open invitation; its link stops working at once. Audited."""
    admin_of(membership, invitation.organization_id)
    with transaction.atomic():
        updated = Invitation.objects.filter(
            pk=invitation.pk, accepted_at=None, revoked_at=None
        ).update(revoked_at=timezone.now())
        if updated:
            record_event(
                actor,
                Action.PRIVILEGE_CHANGE,
                organization_id=invitation.organization_id,
                obj=invitation,
            )


@transaction.atomic
def change_membership(
    actor: Actor,
    membership: Membership | None,
    target: Membership,
    *,
    role: Role,
    title: str,
    is_active: bool,
) -> Membership:
    """Change someone's role, title or whether they may sign in here; audited.

    A deactivated person's signed-in sessions end at once. The clinic keeps at least one
    active admin: the last one can be neither demoted nor deactivated.
    """
    admin_of(membership, target.organization_id)
    locked = Membership.objects.select_for_update().get(pk=target.pk)
    losing_admin = (
        locked.role == Role.ADMIN and locked.is_active and (role != Role.ADMIN or not is_active)
    )
    if losing_admin:
        other_admins = Membership.objects.filter(
            organization_id=locked.organization_id, role=Role.ADMIN, is_active=True
        ).exclude(pk=locked.pk)
        if not other_admins.exists():
            raise ValidationError(
                "This is the clinic's last active admin: make someone else admin first."
            )
    deactivated = locked.is_active and not is_active
    locked.role, locked.title, locked.is_active = role, title.strip(), is_active
    locked.save(update_fields=["role", "title", "is_active"])
    record_event(actor, Action.PRIVILEGE_CHANGE, organization_id=locked.organization_id, obj=locked)
    if deactivated:
        end_sessions(locked.user_id)
    return locked


def end_sessions(user_id: int) -> int:
    """Delete every stored session of `user_id`, so they are signed out on their next
    request from any device. Returns how many ended."""
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now())
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
