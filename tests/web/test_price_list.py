"""The clinic admin's price list: each kind of session by route, per location; audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent
from lasting.schedule.models import Price
from tests.factories import make_location, make_member
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def boulder(personas):
    return make_location(personas.clinic, name="Boulder")


def field(location, route: str, kind: str) -> str:
    return f"price-{location.pk}-{route}-{kind}"


def test_an_admin_sets_changes_and_clears_prices(personas, boulder):
    admin = client_for("admin_dora")
    url = reverse("schedule:prices")

    admin.post(
        url, {field(boulder, "iv", "booster"): "495.00", field(boulder, "im", "booster"): "350"}
    )
    admin.post(url, {field(boulder, "iv", "booster"): "525.50"})

    prices = {(p.route, p.kind): p.amount for p in Price.objects.filter(location=boulder)}
    assert prices == {("iv", "booster"): Decimal("525.50")}  # the IM price was cleared
    events = AuditEvent.objects.filter(object_type="Price")
    assert [e.action for e in events.order_by("pk")] == [
        Action.UPDATE,
        Action.UPDATE,
        Action.UPDATE,
        Action.DELETE,
    ]


def test_the_page_shows_the_stored_prices(personas, boulder):
    Price.objects.create(
        organization=personas.clinic,
        location=boulder,
        route="intranasal_esketamine",
        kind="maintenance",
        amount=Decimal("890.00"),
    )

    page = client_for("admin_dora").get(reverse("schedule:prices")).content.decode()

    assert 'value="890.00"' in page
    assert "Intranasal esketamine" in page


@pytest.mark.parametrize("amount", ["-5", "abc", "100001", "12.345"])
def test_a_bad_amount_is_refused_and_nothing_is_saved(personas, boulder, amount):
    response = client_for("admin_dora").post(
        reverse("schedule:prices"), {field(boulder, "iv", "booster"): amount}
    )

    assert response.status_code == 422
    assert not Price.objects.exists()


@pytest.mark.parametrize("persona", ["dr_ana", "rn_cara", "sam_front", "dr_olga"])
def test_only_the_clinics_admin_sets_prices(personas, boulder, persona):
    response = client_for(persona).post(
        reverse("schedule:prices"), {field(boulder, "iv", "booster"): "1"}
    )

    assert response.status_code == 403
    assert not Price.objects.exists()


def test_another_clinics_admin_cannot_price_this_clinics_location(personas, boulder):
    make_member(personas.other_clinic, "admin", "admin_olaf")

    client_for("admin_olaf").post(
        reverse("schedule:prices"), {field(boulder, "iv", "booster"): "1"}
    )

    assert not Price.objects.exists()  # the field is not even on Clinic B's form
