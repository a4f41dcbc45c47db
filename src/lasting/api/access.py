"""Refusals the API makes itself, audited like the pages' (outcome denied, the id asked
for); every decision comes from accounts/rules.py and the apps' `*_for` queries."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from lasting.accounts.models import Location, Membership
from lasting.accounts.queries import get_location_for
from lasting.api.problems import Problem
from lasting.audit.models import Action, Outcome
from lasting.audit.services import Actor, record_event, record_patients_shown

RowT = TypeVar("RowT", bound=Model)


def require(allowed: bool, actor: Actor, action: Action, ref: tuple[str, object]) -> None:
    """Refuse (403, audited) unless the rule allowed it."""
    if not allowed:
        record_event(actor, action, outcome=Outcome.DENIED, object_ref=ref)
        raise PermissionDenied("Your role may not do this.")


def get_or_404(rows: QuerySet[RowT], pk: int, actor: Actor, action: Action = Action.READ) -> RowT:
    """One row of an already scoped queryset; 404 (audited) for anything else, another
    organisation's row included, so existence is never revealed."""
    row = rows.filter(pk=pk).first()
    if row is None:
        record_event(actor, action, outcome=Outcome.DENIED, object_ref=(rows.model.__name__, pk))
        raise Http404("No such resource.")
    return row


def audit_read(actor: Actor, row: Model, patient_id: int, organization_id: int) -> None:
    record_event(
        actor, Action.READ, patient_id=patient_id, organization_id=organization_id, obj=row
    )


def audit_list(
    actor: Actor, patient_ids: list[int], list_name: str, *, search: bool = False
) -> None:
    """One event per patient a list showed (lists answer "who saw this patient" too)."""
    record_patients_shown(
        actor,
        Action.SEARCH if search else Action.READ,
        sorted(set(patient_ids)),
        organization_id=actor.organization_id,
        list_name=list_name,
    )


def location_in(membership: Membership, location_id: int | None) -> Location | None:
    """The location a request body names, of the caller's organisation (None when the
    body names none); any other id is refused with 422."""
    if location_id is None:
        return None
    try:
        return get_location_for(membership, location_id)
    except Http404:
        raise Problem(
            422, "No such location.", [{"loc": ["body", "location_id"], "msg": "unknown"}]
        ) from None
