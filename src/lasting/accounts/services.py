"""Create people and give them roles; set what patients read about getting help now."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

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
