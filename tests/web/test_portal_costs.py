"""The patient's own page says, in plain words, what the current plan may cost over the
next 12 months; in English and in Spanish; only their own forecast (docs/clinical.md#costs).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from lasting.costs.models import CostForecast
from tests.web.portal_support import PAUL_EMAIL, PIA_EMAIL, World, make_world, signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


def store_forecast(patient, *, sessions: float, low: str | None, high: str | None) -> None:
    CostForecast.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        computed_at=timezone.now(),
        fingerprint="f" * 64,
        years=200,
        median_relief_days=70.0,
        rows=[
            {
                "policy": "symptom",
                "kind": "symptom",
                "parameter": None,
                "current": True,
                "expected_sessions": sessions,
                "sessions_low": 2.0,
                "sessions_high": 9.0,
                "expected_relapse_days": 30.0,
                "expected_cost": None if low is None else "2900",
                "cost_low": low,
                "cost_high": high,
            },
            {"policy": "fixed:28", "kind": "fixed", "current": False, "expected_sessions": 13.0},
        ],
    )


@pytest.fixture
def world(personas) -> World:
    return make_world(personas)


def test_the_patient_reads_the_likely_cost_of_keeping_the_plan(world):
    store_forecast(world.paul, sessions=5.8, low="1500", high="4500")

    page = signed_in_client(PAUL_EMAIL).get("/me/").content.decode()

    assert "What your plan may cost" in page
    assert (
        "If you keep your current plan, the next 12 months will most likely cost between "
        "$1,500 and $4,500 (about 6 sessions)." in page
    )
    assert "It is not a bill or a quote." in page
    # Relapse-days and the alternatives are for the clinician to talk through.
    assert "13" not in page.split('id="cost"')[1].split("</section>")[0]


def test_the_spanish_speaking_patient_reads_it_in_spanish(world):
    store_forecast(world.pia, sessions=1.2, low="500", high="1000")

    page = signed_in_client(PIA_EMAIL).get("/me/").content.decode()

    assert "Lo que puede costar su plan" in page
    assert (
        "Si mantiene su plan actual, lo más probable es que los próximos 12 meses cuesten "
        "entre $500 y $1,000 (alrededor de 1 sesión)." in page
    )
    assert "What your plan may cost" not in page


def test_without_prices_the_patient_reads_the_sessions_and_asks_the_clinic(world):
    store_forecast(world.paul, sessions=13.0, low=None, high=None)

    page = signed_in_client(PAUL_EMAIL).get("/me/").content.decode()

    assert "you will most likely need about 13 sessions in the next 12 months" in page
    assert "Your clinic can tell you what they cost." in page
    assert "$" not in page


def test_a_patient_sees_only_their_own_forecast(world):
    store_forecast(world.pia, sessions=4.0, low="777", high="8888")
    store_forecast(world.bruno, sessions=4.0, low="666", high="9999")

    page = signed_in_client(PAUL_EMAIL).get("/me/").content.decode()

    assert 'id="cost"' not in page
    assert "8,888" not in page
    assert "9,999" not in page


def test_a_cost_that_does_not_vary_is_one_amount(world):
    store_forecast(world.paul, sessions=13.0, low="5850", high="5850")

    page = signed_in_client(PAUL_EMAIL).get("/me/").content.decode()

    assert "the next 12 months will most likely cost $5,850 (about 13 sessions)." in page
