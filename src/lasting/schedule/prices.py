"""The clinic admin's price list: session kind by route, per location."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from lasting.accounts import rules
from lasting.accounts.models import Location, Membership
from lasting.audit.models import Action
from lasting.audit.services import Actor, record_event
from lasting.schedule.models import Price
from lasting.treatment.models import Route, SessionKind

PRICED_ROUTES = (Route.IV, Route.IM, Route.INTRANASAL_ESKETAMINE)
PriceKey = tuple[int, str, str]  # (location id, route, kind)


def price_keys(locations: list[Location]) -> list[PriceKey]:
    return [
        (location.pk, route.value, kind.value)
        for location in locations
        for route in PRICED_ROUTES
        for kind in SessionKind
    ]


def save_prices(
    actor: Actor, membership: Membership | None, amounts: Mapping[PriceKey, Decimal | None]
) -> int:
    """Set, change or clear (None) prices of the admin's own locations; each change is
    audited. Returns how many rows changed."""
    if not rules.can_manage_organization(membership):
        raise PermissionDenied("Only clinic admins set prices.")
    own = set(
        Location.objects.filter(organization_id=membership.organization_id).values_list(
            "pk", flat=True
        )
    )
    changed = 0
    with transaction.atomic():
        stored = {
            (p.location_id, p.route, p.kind): p
            for p in Price.objects.filter(organization_id=membership.organization_id)
        }
        for key, amount in amounts.items():
            if key[0] not in own:
                raise PermissionDenied("That location belongs to another organisation.")
            row = stored.get(key)
            if amount is None:
                if row is not None:
                    record_event(actor, Action.DELETE, organization_id=row.organization_id, obj=row)
                    row.delete()
                    changed += 1
                continue
            if row is not None and row.amount == amount:
                continue
            if row is None:
                row = Price(
                    organization_id=membership.organization_id,
                    location_id=key[0],
                    route=key[1],
                    kind=key[2],
                    amount=amount,
                )
            row.amount = amount
            row.save()
            record_event(actor, Action.UPDATE, organization_id=row.organization_id, obj=row)
            changed += 1
    return changed
