"""Create people and give them roles; set the organisation's policies and what patients
read about getting help now."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.db import transaction

from lasting.accounts import rules
from lasting.accounts.models import (
    CrisisLanguage,
    CrisisResource,
    Membership,
    Organization,
    Role,
    User,
)
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event


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
    """Create a user account and its role in `organization`; audited as a privilege change."""
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if password is None:
        user.set_unusable_password()
    else:
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
