"""Reads of what maintenance costs: the cost to date and the stored forecast, access-checked.

A session's price is the list's price for its location, route and kind
(`schedule.models.Price`). A session with no location, a route the list does not price,
or no price set counts as "price not set": shown and counted, never added as 0
(docs/clinical.md#costs).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied

from lasting.accounts import rules
from lasting.accounts.models import Membership
from lasting.costs.models import CostForecast
from lasting.patients.models import Course, Patient
from lasting.schedule.models import Price
from lasting.treatment.models import TreatmentSession
from lasting_core.cost_to_date import CostTotal, PricedSession, cost_to_date

PriceKey = tuple[int | None, str, str]  # (location id, route, kind)


@dataclass(frozen=True)
class CourseCost:
    number: int
    phase: str
    total: CostTotal


@dataclass(frozen=True)
class PatientCosts:
    courses: tuple[CourseCost, ...]
    total: CostTotal
    currency: str


def price_list(organization_id: int) -> tuple[dict[PriceKey, Decimal], str]:
    """The organisation's prices by (location, route, kind), and their currency.

    The price list page sets amounts only, so one organisation has one currency.
    """
    prices: dict[PriceKey, Decimal] = {}
    currencies: set[str] = set()
    for location_id, route, kind, amount, currency in Price.objects.filter(
        organization_id=organization_id
    ).values_list("location_id", "route", "kind", "amount", "currency"):
        prices[(location_id, route, kind)] = amount
        currencies.add(currency)
    return prices, min(currencies) if len(currencies) == 1 else "USD"


def find_costs_for(membership: Membership | None, patient: Patient) -> PatientCosts | None:
    """The patient's cost to date per course (None when there are no sessions yet)."""
    if not rules.can_view_costs(membership):
        raise PermissionDenied("Only the clinical team sees what sessions cost.")
    if patient.organization_id != membership.organization_id:
        raise PermissionDenied("That patient belongs to another organisation.")
    rows = list(
        TreatmentSession.objects.filter(patient=patient, organization_id=patient.organization_id)
        .order_by("started_at")
        .values_list("course_id", "location_id", "route", "kind")
    )
    if not rows:
        return None
    prices, currency = price_list(patient.organization_id)
    result = cost_to_date(
        [
            PricedSession(course_id, kind, prices.get((location_id, route, kind)))
            for course_id, location_id, route, kind in rows
        ]
    )
    courses: dict[Hashable, Course] = {
        course.pk: course
        for course in Course.objects.filter(patient=patient).only("pk", "number", "phase")
    }
    return PatientCosts(
        courses=tuple(
            CourseCost(
                number=courses[course_id].number,
                phase=courses[course_id].get_phase_display(),
                total=total,
            )
            for course_id, total in result.by_course
        ),
        total=result.total,
        currency=currency,
    )


def find_cost_forecast_for(membership: Membership | None, patient: Patient) -> CostForecast | None:
    """The patient's stored forecast, for clinicians only (rules.can_view_cost_forecast)."""
    if not rules.can_view_cost_forecast(membership):
        raise PermissionDenied("Only clinicians see the cost forecast.")
    return CostForecast.objects.filter(
        patient=patient, organization_id=membership.organization_id
    ).first()


def find_own_cost_forecast(patient: Patient) -> CostForecast | None:
    """The signed-in patient's own forecast (the portal's session names the patient)."""
    return CostForecast.objects.filter(
        patient=patient, organization_id=patient.organization_id
    ).first()


def cost_context_for(membership: Membership | None, patient: Patient) -> dict[str, object]:
    """What the clinic's patient page shows of costs, by the reader's role."""
    context: dict[str, object] = {}
    if rules.can_view_costs(membership):
        context["costs"] = find_costs_for(membership, patient)
        context["show_costs"] = True
    if rules.can_view_cost_forecast(membership):
        context["cost_forecast"] = find_cost_forecast_for(membership, patient)
        context["show_cost_forecast"] = True
    return context
