"""Boosters and cost per patient-year of follow-up after induction, on each patient's
clock, priced from the organisation's list, never adding two currencies."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lasting.accounts.models import Location, Organization
from lasting.costs.outcomes import summarize_boosters
from lasting.patients.models import Patient
from lasting.schedule.models import Price
from lasting.treatment.models import Route, SessionKind
from tests.factories import make_location, make_organization, make_patient, make_phq9, make_session

pytestmark = pytest.mark.django_db

SINCE = date(2025, 7, 1)
UNTIL = date(2026, 6, 30)


def at(patient: Patient, on: date, hour: int = 10) -> datetime:
    """A moment of the day ``on`` on the patient's clock."""
    return datetime.combine(on, time(hour), ZoneInfo(patient.time_zone))


def price(location: Location, kind: str, amount: str, currency: str = "USD") -> None:
    Price.objects.create(
        organization_id=location.organization_id,
        location=location,
        route=Route.IV,
        kind=kind,
        amount=Decimal(amount),
        currency=currency,
    )


def followed_patient(
    organization: Organization, location: Location | None, induction_end: date, last_checkin: date
) -> Patient:
    """Six induction sessions ending on ``induction_end``; check-ins up to ``last_checkin``."""
    patient = make_patient(organization)
    for back in (15, 12, 9, 6, 3, 0):
        make_session(
            patient,
            kind=SessionKind.INDUCTION,
            location=location,
            started_at=at(patient, induction_end - timedelta(days=back)),
        )
    make_phq9(patient, 4, submitted_at=at(patient, last_checkin))
    return patient


@pytest.fixture
def clinic() -> Organization:
    return make_organization()


@pytest.fixture
def office(clinic: Organization) -> Location:
    location = make_location(clinic)
    price(location, SessionKind.INDUCTION, "450.00")
    price(location, SessionKind.BOOSTER, "500.00")
    price(location, SessionKind.MAINTENANCE, "400.00")
    return location


def test_follow_up_runs_from_the_end_of_induction_to_the_last_checkin(clinic, office):
    paul = followed_patient(clinic, office, date(2026, 1, 1), date(2026, 4, 1))
    for on in (date(2026, 2, 1), date(2026, 3, 1)):
        make_session(paul, kind=SessionKind.BOOSTER, location=office, started_at=at(paul, on))
    make_session(
        paul, kind=SessionKind.MAINTENANCE, location=office, started_at=at(paul, date(2026, 3, 20))
    )

    summary = summarize_boosters(clinic.pk, None, SINCE, UNTIL)

    years = (date(2026, 4, 1) - date(2026, 1, 1)).days / 365.25
    assert summary.patients_followed == 1
    assert summary.patient_years == pytest.approx(years)
    assert (summary.boosters, summary.maintenance_sessions) == (2, 1)
    assert summary.boosters_per_patient_year == pytest.approx(2 / years)
    assert summary.maintenance_per_patient_year == pytest.approx(3 / years)
    assert summary.sessions == 9
    (usd,) = summary.costs
    assert (usd.currency, usd.amount, usd.priced_sessions) == ("USD", Decimal("4100.00"), 9)
    assert usd.per_patient_year == (Decimal("4100.00") / Decimal(str(years))).quantize(
        Decimal("0.01")
    )
    (maintenance,) = summary.maintenance_costs
    assert maintenance.amount == Decimal("1400.00")


def test_follow_up_is_clipped_to_the_window_and_sessions_outside_it_are_not_counted(clinic, office):
    paul = followed_patient(clinic, office, date(2025, 3, 1), date(2026, 9, 1))
    make_session(
        paul, kind=SessionKind.BOOSTER, location=office, started_at=at(paul, date(2025, 5, 1))
    )
    make_session(
        paul, kind=SessionKind.BOOSTER, location=office, started_at=at(paul, date(2025, 8, 1))
    )

    summary = summarize_boosters(clinic.pk, None, SINCE, UNTIL)

    assert summary.patient_years == pytest.approx((UNTIL - SINCE).days / 365.25)
    assert (summary.boosters, summary.sessions) == (1, 1)


def test_a_session_is_in_the_window_by_its_date_on_the_patients_clock(clinic, office):
    tokyo = followed_patient(clinic, office, date(2026, 1, 1), date(2026, 4, 1))
    tokyo.time_zone = "Asia/Tokyo"
    tokyo.save(update_fields=["time_zone"])
    # 08:00 on 1 July in Tokyo is still 30 June in UTC.
    make_session(
        tokyo, kind=SessionKind.BOOSTER, location=office, started_at=at(tokyo, UNTIL, hour=8)
    )
    make_session(
        tokyo,
        kind=SessionKind.BOOSTER,
        location=office,
        started_at=at(tokyo, UNTIL + timedelta(days=1), hour=8),
    )

    assert summarize_boosters(clinic.pk, None, SINCE, UNTIL).boosters == 1


def test_each_currency_is_reported_apart_and_unpriced_sessions_are_counted(clinic, office):
    madrid = make_location(clinic)
    price(madrid, SessionKind.BOOSTER, "300.00", currency="EUR")
    paul = followed_patient(clinic, office, date(2026, 1, 1), date(2026, 4, 1))
    make_session(
        paul, kind=SessionKind.BOOSTER, location=madrid, started_at=at(paul, date(2026, 2, 1))
    )
    make_session(
        paul, kind=SessionKind.BOOSTER, location=None, started_at=at(paul, date(2026, 3, 1))
    )

    summary = summarize_boosters(clinic.pk, None, SINCE, UNTIL)

    assert [(row.currency, row.amount) for row in summary.costs] == [
        ("EUR", Decimal("300.00")),
        ("USD", Decimal("2700.00")),
    ]
    assert [(row.currency, row.amount) for row in summary.maintenance_costs] == [
        ("EUR", Decimal("300.00"))
    ]
    assert summary.unpriced_sessions == summary.unpriced_maintenance_sessions == 1


def test_only_the_chosen_patients_of_the_organisation_are_counted(clinic, office):
    paul = followed_patient(clinic, office, date(2026, 1, 1), date(2026, 4, 1))
    rita = followed_patient(clinic, office, date(2026, 1, 1), date(2026, 4, 1))
    make_session(
        rita, kind=SessionKind.BOOSTER, location=office, started_at=at(rita, date(2026, 2, 1))
    )
    other = make_organization(name="Other clinic")
    olga_patient = followed_patient(other, None, date(2026, 1, 1), date(2026, 4, 1))

    only_paul = summarize_boosters(clinic.pk, [paul.pk], SINCE, UNTIL)
    foreign = summarize_boosters(clinic.pk, [olga_patient.pk], SINCE, UNTIL)
    everyone = summarize_boosters(clinic.pk, None, SINCE, UNTIL)

    assert (only_paul.patients_followed, only_paul.boosters) == (1, 0)
    assert (foreign.patients_followed, foreign.sessions) == (0, 0)
    assert (everyone.patients_followed, everyone.boosters) == (2, 1)


def test_without_follow_up_the_rates_are_empty(clinic, office):
    make_patient(clinic)

    summary = summarize_boosters(clinic.pk, None, SINCE, UNTIL)

    assert summary.patient_years == 0
    assert summary.boosters_per_patient_year is None
    assert summary.costs == ()


def test_a_window_that_ends_before_it_starts_is_refused(clinic):
    with pytest.raises(ValueError, match="ends before it starts"):
        summarize_boosters(clinic.pk, None, UNTIL, SINCE)


def test_the_query_count_does_not_grow_with_the_number_of_patients(clinic, office):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            summarize_boosters(clinic.pk, None, SINCE, UNTIL)
        return len(captured)

    paul = followed_patient(clinic, office, date(2026, 1, 1), date(2026, 4, 1))
    make_session(
        paul, kind=SessionKind.BOOSTER, location=office, started_at=at(paul, date(2026, 2, 1))
    )
    few = queries()
    for _ in range(5):
        rita = followed_patient(clinic, office, date(2026, 1, 1), date(2026, 4, 1))
        make_session(
            rita, kind=SessionKind.BOOSTER, location=office, started_at=at(rita, date(2026, 2, 1))
        )

    assert queries() == few
    assert few <= 5
