"""Boosters and cost per patient-year, and booster proposals by status, for the clinic's
outcome analytics (docs/clinical.md#boosters-and-cost-per-patient-year).

Reads only: the caller has checked who may see them. A fixed number of queries for any
number of patients.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Max, QuerySet

from lasting.checkins.models import CheckIn
from lasting.costs.queries import PriceKey
from lasting.patients.models import Patient
from lasting.plans.models import BoosterProposal, ProposalStatus
from lasting.schedule.models import Price
from lasting.treatment.models import SessionKind, TreatmentSession
from lasting_core.cost_to_date import PricedSession, cost_to_date

DAYS_PER_YEAR = 365.25
# A local day starts up to 14 hours before or 12 after UTC's (UTC+14 to UTC-12): reads
# widen the window by this much and keep each row by its date on the patient's clock.
ZONE_MARGIN = timedelta(days=1)
MAINTENANCE_KINDS = (SessionKind.BOOSTER, SessionKind.MAINTENANCE)


@dataclass(frozen=True)
class CurrencyCost:
    """What priced sessions cost in one currency (never added to another currency)."""

    currency: str
    amount: Decimal
    priced_sessions: int
    per_patient_year: Decimal | None  # None without follow-up time


@dataclass(frozen=True)
class BoosterSummary:
    """Boosters, maintenance sessions and their cost per patient-year of follow-up.

    Follow-up runs, on each patient's clock, from the end of their latest induction
    series (its last induction session) or the window's start, whichever is later, to
    their last check-in or the window's end, whichever is earlier.
    """

    since_on: date
    until_on: date
    patients_followed: int  # patients with follow-up after induction in the window
    patient_years: float
    boosters: int
    maintenance_sessions: int
    boosters_per_patient_year: float | None
    # Boosters and maintenance sessions together, per patient-year.
    maintenance_per_patient_year: float | None
    sessions: int  # every session in the window, induction included
    unpriced_sessions: int  # no price on the list for them: counted, never added as 0
    costs: tuple[CurrencyCost, ...]  # every session in the window, one row per currency
    maintenance_costs: tuple[CurrencyCost, ...]  # boosters and maintenance only
    unpriced_maintenance_sessions: int


@dataclass(frozen=True)
class ProposalCounts:
    """Booster proposals made in a window, by their status now."""

    open: int
    accepted: int
    moved: int
    declined: int
    expired: int

    @property
    def total(self) -> int:
        return self.open + self.accepted + self.moved + self.declined + self.expired


def summarize_boosters(
    organization_id: int,
    patient_ids: Sequence[int] | None,
    since_on: date,
    until_on: date,
) -> BoosterSummary:
    """Count boosters and price the window's sessions per patient-year of follow-up.

    1. Read the patients (all of the organisation's, or those of ``patient_ids`` in it).
    2. Follow-up of each: from max(end of latest induction, window start) to min(last
       check-in, window end), dates on the patient's clock; summed as patient-years.
    3. Sessions whose date on the patient's clock falls in the window are counted by kind
       and priced from the organisation's list; totals per currency by the core's
       `cost_to_date`.
    """
    if until_on < since_on:
        raise ValueError("the window ends before it starts")
    patients = scoped_patients(organization_id, patient_ids)
    zones = dict(patients.values_list("pk", "time_zone"))
    earliest = datetime.combine(since_on, datetime.min.time(), ZoneInfo("UTC")) - ZONE_MARGIN
    latest = datetime.combine(until_on, datetime.min.time(), ZoneInfo("UTC")) + 2 * ZONE_MARGIN

    def local_date(patient_id: int, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(zones[patient_id])).date()

    induction_ends: dict[int, date] = {}
    for patient_id, started_at in TreatmentSession.objects.filter(
        organization_id=organization_id,
        patient__in=patients,
        kind=SessionKind.INDUCTION,
        started_at__lt=latest,
    ).values_list("patient_id", "started_at"):
        on = local_date(patient_id, started_at)
        if on <= until_on and on > induction_ends.get(patient_id, date.min):
            induction_ends[patient_id] = on
    last_checkins = {
        patient_id: local_date(patient_id, submitted_at)
        for patient_id, submitted_at in CheckIn.objects.filter(
            organization_id=organization_id, patient__in=patients
        )
        .values("patient_id")
        .annotate(last=Max("submitted_at"))
        .values_list("patient_id", "last")
    }
    follow_up_days = 0
    followed = 0
    for patient_id, induction_end in induction_ends.items():
        start = max(induction_end, since_on)
        end = min(last_checkins.get(patient_id, date.min), until_on)
        if end > start:
            follow_up_days += (end - start).days
            followed += 1

    prices = price_list_by_currency(organization_id)
    kinds: Counter[str] = Counter()
    priced_all: list[PricedSession] = []
    priced_maintenance: list[PricedSession] = []
    for patient_id, started_at, kind, location_id, route in TreatmentSession.objects.filter(
        organization_id=organization_id,
        patient__in=patients,
        started_at__gte=earliest,
        started_at__lt=latest,
    ).values_list("patient_id", "started_at", "kind", "location_id", "route"):
        if not since_on <= local_date(patient_id, started_at) <= until_on:
            continue
        kinds[kind] += 1
        price = prices.get((location_id, route, kind))
        # The core sums per "course": here the currency is the course, so no total ever
        # adds two currencies; unpriced sessions go under None.
        session = PricedSession(price[1] if price else None, kind, price[0] if price else None)
        priced_all.append(session)
        if kind in MAINTENANCE_KINDS:
            priced_maintenance.append(session)

    patient_years = follow_up_days / DAYS_PER_YEAR
    boosters = kinds[SessionKind.BOOSTER]
    maintenance = kinds[SessionKind.MAINTENANCE]
    costs, unpriced = costs_by_currency(priced_all, patient_years)
    maintenance_costs, unpriced_maintenance = costs_by_currency(priced_maintenance, patient_years)
    return BoosterSummary(
        since_on=since_on,
        until_on=until_on,
        patients_followed=followed,
        patient_years=patient_years,
        boosters=boosters,
        maintenance_sessions=maintenance,
        boosters_per_patient_year=boosters / patient_years if patient_years else None,
        maintenance_per_patient_year=(
            (boosters + maintenance) / patient_years if patient_years else None
        ),
        sessions=sum(kinds.values()),
        unpriced_sessions=unpriced,
        costs=costs,
        maintenance_costs=maintenance_costs,
        unpriced_maintenance_sessions=unpriced_maintenance,
    )


def scoped_patients(organization_id: int, patient_ids: Sequence[int] | None) -> QuerySet[Patient]:
    patients = Patient.objects.filter(organization_id=organization_id)
    if patient_ids is not None:
        patients = patients.filter(pk__in=list(patient_ids))
    return patients


def price_list_by_currency(organization_id: int) -> dict[PriceKey, tuple[Decimal, str]]:
    """The organisation's prices by (location, route, kind), each with its own currency.

    `costs.queries.price_list` keeps one currency for the organisation (the price page
    sets amounts only); prices written otherwise may carry several, which this keeps.
    """
    return {
        (location_id, route, kind): (amount, currency)
        for location_id, route, kind, amount, currency in Price.objects.filter(
            organization_id=organization_id
        ).values_list("location_id", "route", "kind", "amount", "currency")
    }


def costs_by_currency(
    sessions: Sequence[PricedSession], patient_years: float
) -> tuple[tuple[CurrencyCost, ...], int]:
    """Per-currency totals (sorted by currency) and the count of unpriced sessions."""
    result = cost_to_date(sessions)
    rows = []
    unpriced = 0
    for currency, total in result.by_course:
        unpriced += total.unpriced_sessions
        if currency is None:
            continue
        rows.append(
            CurrencyCost(
                currency=str(currency),
                amount=total.priced_amount,
                priced_sessions=total.priced_sessions,
                per_patient_year=(
                    (total.priced_amount / Decimal(str(patient_years))).quantize(Decimal("0.01"))
                    if patient_years
                    else None
                ),
            )
        )
    return tuple(sorted(rows, key=lambda row: row.currency)), unpriced


def count_booster_proposals(
    organization_id: int,
    patient_ids: Sequence[int] | None,
    since_at: datetime,
    until_at: datetime,
) -> ProposalCounts:
    """Booster proposals made from ``since_at`` up to ``until_at``, by status (one query).

    Booster proposals belong to `plans`, above the engine's app, so the alert performance
    of `risk.performance` leaves them to this query; pass its window to show them beside
    it.
    """
    proposals = BoosterProposal.objects.filter(
        organization_id=organization_id, created_at__gte=since_at, created_at__lt=until_at
    )
    if patient_ids is not None:
        proposals = proposals.filter(patient_id__in=list(patient_ids))
    counts: dict[str, Any] = defaultdict(int)
    grouped = proposals.order_by().values("status").annotate(n=Count("pk"))
    for status, count in grouped.values_list("status", "n"):
        counts[status] = count
    return ProposalCounts(
        open=counts[ProposalStatus.OPEN],
        accepted=counts[ProposalStatus.ACCEPTED],
        moved=counts[ProposalStatus.MOVED],
        declined=counts[ProposalStatus.DECLINED],
        expired=counts[ProposalStatus.EXPIRED],
    )
