"""Who sees what maintenance costs: the cost to date and the cost forecast on the clinic's
patient page, each persona and a foreign organisation (docs/clinical.md#costs).

Clinicians see both; nurses (rn_cara) the cost to date only (the forecast rests on the
engine's durability, like the risk they do not see); the front desk and the admin neither
(the admin sets the prices and reads no chart); another organisation gets 404.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from lasting.costs.models import CostForecast
from lasting.costs.queries import find_cost_forecast_for, find_costs_for
from lasting.schedule.models import Price
from lasting.treatment.models import Route
from tests.factories import make_location, make_session
from tests.personas import client_for

pytestmark = pytest.mark.django_db

ROW = {
    "policy": "fixed:28",
    "kind": "fixed",
    "parameter": 28.0,
    "current": True,
    "expected_sessions": 13.0,
    "sessions_low": 13.0,
    "sessions_high": 13.0,
    "expected_relapse_days": 21.5,
    "expected_cost": "5850",
    "cost_low": "5850",
    "cost_high": "5850",
}


@pytest.fixture
def priced(personas):
    boulder = make_location(personas.clinic, name="Boulder")
    Price.objects.create(
        organization=personas.clinic,
        location=boulder,
        route=Route.IV,
        kind="induction",
        amount=Decimal("400"),
    )
    make_session(personas.paul, location=boulder)
    CostForecast.objects.create(
        organization=personas.clinic,
        patient=personas.paul,
        computed_at=timezone.now(),
        fingerprint="x" * 64,
        years=200,
        median_relief_days=73.0,
        rows=[ROW],
    )
    return personas.paul


# persona: (status, sees the cost to date, sees the forecast)
EXPECTED = {
    "dr_ana": (200, True, True),
    "dr_ben": (200, True, True),
    "rn_cara": (200, True, False),
    "sam_front": (200, False, False),
    "admin_dora": (403, False, False),
    "dr_olga": (404, False, False),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_the_patient_page_shows_costs_by_role(priced, persona):
    status, sees_costs, sees_forecast = EXPECTED[persona]

    response = client_for(persona).get(reverse("clinic:patient", args=[priced.pk]))

    page = response.content.decode()
    assert response.status_code == status
    assert ('id="costs"' in page) is sees_costs
    assert ("USD 400.00" in page) is sees_costs
    assert ('id="cost-forecast"' in page) is sees_forecast
    assert ("5,850" in page) is sees_forecast


@pytest.mark.parametrize("persona", ["sam_front", "admin_dora", "dr_olga"])
def test_the_cost_to_date_query_refuses_who_may_not_see_it(personas, priced, persona):
    with pytest.raises(PermissionDenied):
        find_costs_for(personas.member(persona), priced)


@pytest.mark.parametrize("persona", ["rn_cara", "sam_front", "admin_dora"])
def test_the_forecast_query_refuses_who_may_not_see_it(personas, priced, persona):
    with pytest.raises(PermissionDenied):
        find_cost_forecast_for(personas.member(persona), priced)


def test_a_clinician_of_another_organisation_finds_no_forecast(personas, priced):
    assert find_cost_forecast_for(personas.dr_olga, priced) is None
