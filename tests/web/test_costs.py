"""What maintenance costs, in the app: the cost to date per course from the price list, and
the 12-month forecast stored by the hourly job (docs/clinical.md#costs)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from lasting.costs.models import CostForecast
from lasting.costs.queries import find_costs_for
from lasting.costs.services import forecast_organization
from lasting.patients.models import Course, Phase
from lasting.plans.models import MaintenancePlan, PolicyChoice
from lasting.risk.services import assess_one
from lasting.schedule.models import Price
from lasting.treatment.models import Route, SessionKind
from tests.factories import make_location, make_phq9, make_session
from tests.personas import client_for

pytestmark = pytest.mark.django_db

YEARS = 12  # simulated years per policy in these tests: enough to exercise the job


def set_price(location, route: str, kind: str, amount: str) -> None:
    Price.objects.create(
        organization_id=location.organization_id,
        location=location,
        route=route,
        kind=kind,
        amount=Decimal(amount),
    )


@pytest.fixture
def boulder(personas):
    location = make_location(personas.clinic, name="Boulder")
    for kind, amount in (("induction", "400"), ("booster", "500"), ("maintenance", "450")):
        set_price(location, Route.IV, kind, amount)
    return location


@pytest.fixture
def responding(personas, boulder):
    """Paul responded to six IV infusions at Boulder (20 -> 3) and stays well."""
    paul = personas.paul
    paul.location = boulder
    paul.save()
    now = timezone.now()
    make_phq9(paul, 20, submitted_at=now - timedelta(days=90))
    for day in (88, 86, 84, 81, 79, 77):
        make_session(
            paul, kind=SessionKind.INDUCTION, location=boulder, started_at=now - timedelta(days=day)
        )
    for day, total in ((70, 6), (63, 4), (56, 3), (49, 3), (42, 3), (35, 4), (28, 3), (14, 3)):
        make_phq9(paul, total, submitted_at=now - timedelta(days=day))
    paul.courses.update(phase=Phase.MAINTENANCE)
    assess_one(paul, now)
    return paul


# --- cost to date -----------------------------------------------------------------------


def test_each_session_is_priced_by_location_route_and_kind_and_summed_per_course(personas, boulder):
    paul = personas.paul
    now = timezone.now()
    for day in (40, 38):
        make_session(paul, location=boulder, started_at=now - timedelta(days=day))
    Course.objects.create(
        organization=personas.clinic, patient=paul, number=2, started_on=date(2026, 6, 1)
    )
    make_session(paul, kind=SessionKind.BOOSTER, location=boulder, started_at=now)

    costs = find_costs_for(personas.dr_ana, paul)

    assert costs is not None
    assert [(c.number, c.total.priced_amount) for c in costs.courses] == [
        (1, Decimal("800")),
        (2, Decimal("500")),
    ]
    assert costs.total.priced_amount == Decimal("1300")
    assert costs.total.complete
    page = client_for("dr_ana").get(reverse("clinic:patient", args=[paul.pk])).content.decode()
    assert "USD 1,300.00" in page
    assert "session: price not set" not in page


def test_a_session_without_a_price_is_counted_and_shown_never_priced_at_zero(personas, boulder):
    paul = personas.paul
    now = timezone.now()
    make_session(paul, location=boulder, started_at=now - timedelta(days=9))
    make_session(paul, route=Route.IM, location=boulder, started_at=now - timedelta(days=5))
    make_session(paul, location=None, started_at=now - timedelta(days=2))

    costs = find_costs_for(personas.dr_ana, paul)

    assert costs is not None
    assert costs.total.priced_amount == Decimal("400")
    assert (costs.total.priced_sessions, costs.total.unpriced_sessions) == (1, 2)
    page = client_for("dr_ana").get(reverse("clinic:patient", args=[paul.pk])).content.decode()
    assert "2 sessions: price not set" in page
    assert "at least: some sessions have no price" in page


def test_another_organisations_prices_never_price_a_session(personas, boulder):
    elsewhere = make_location(personas.other_clinic, name="Elsewhere")
    set_price(elsewhere, Route.IV, "induction", "1")
    make_session(personas.paul, location=elsewhere)

    costs = find_costs_for(personas.dr_ana, personas.paul)

    assert costs is not None
    assert costs.total.unpriced_sessions == 1


# --- the forecast job -----------------------------------------------------------------------


def test_the_job_forecasts_a_responding_patient_under_their_plan_and_the_alternatives(responding):
    MaintenancePlan.objects.create(
        organization_id=responding.organization_id,
        patient=responding,
        policy=PolicyChoice.FIXED,
        fixed_interval_days=42,
    )

    assert forecast_organization(responding.organization_id, years=YEARS) == 1

    forecast = CostForecast.objects.get(patient=responding)
    rows = {row["policy"]: row for row in forecast.rows}
    assert [row["policy"] for row in forecast.rows] == [
        "fixed:42",
        "fixed:28",
        "symptom",
        "forecast:0.5",
    ]
    assert forecast.current == rows["fixed:42"]
    assert rows["fixed:28"]["expected_sessions"] == 13.0
    assert rows["fixed:28"]["expected_cost"] == str(13 * 450)
    assert forecast.years == YEARS


def test_running_the_job_again_simulates_only_what_changed(responding):
    organization_id = responding.organization_id
    forecast_organization(organization_id, years=YEARS)
    first = CostForecast.objects.get(patient=responding)

    assert forecast_organization(organization_id, years=YEARS) == 0
    assert CostForecast.objects.get(patient=responding).computed_at == first.computed_at

    MaintenancePlan.objects.create(
        organization_id=organization_id, patient=responding, policy=PolicyChoice.SYMPTOM
    )
    assert forecast_organization(organization_id, years=YEARS) == 1
    assert CostForecast.objects.get(patient=responding).current["policy"] == "symptom"


def test_a_forecast_needs_the_prices_of_the_sessions_it_forecasts(responding, boulder):
    Price.objects.filter(location=boulder, kind="maintenance").delete()

    forecast_organization(responding.organization_id, years=YEARS)

    rows = {row["policy"]: row for row in CostForecast.objects.get(patient=responding).rows}
    assert rows["fixed:28"]["expected_cost"] is None
    assert rows["fixed:28"]["expected_sessions"] == 13.0
    page = (
        client_for("dr_ana").get(reverse("clinic:patient", args=[responding.pk])).content.decode()
    )
    assert "price not set" in page


def test_a_patient_who_leaves_maintenance_loses_the_forecast(responding):
    forecast_organization(responding.organization_id, years=YEARS)
    responding.courses.update(phase=Phase.DISCONTINUED)

    forecast_organization(responding.organization_id, years=YEARS)

    assert not CostForecast.objects.filter(patient=responding).exists()


def test_a_patient_before_maintenance_gets_no_forecast(personas, boulder):
    make_phq9(personas.paul, 20)

    assert forecast_organization(personas.clinic.pk, years=YEARS) == 0
    page = (
        client_for("dr_ana")
        .get(reverse("clinic:patient", args=[personas.paul.pk]))
        .content.decode()
    )
    assert "No cost forecast" in page


def test_the_clinician_sees_the_forecast_table_with_the_current_plan_first(responding):
    forecast_organization(responding.organization_id, years=YEARS)

    page = (
        client_for("dr_ana").get(reverse("clinic:patient", args=[responding.pk])).content.decode()
    )

    assert 'id="cost-forecast"' in page
    assert "<strong>Current plan</strong>: forecast-driven (P ≥ 0.5)" in page
    assert "every 28 days" in page
    assert "13.0 (13–13)" in page
