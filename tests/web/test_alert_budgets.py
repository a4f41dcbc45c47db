"""Alert budgets: per alert kind, how many alerts a patient-year in care the clinic expects;
the admin sets them, the outcome report shows the replay's rate beside each.

Personas (tests/personas.py): admin_dora (admin, Clinic A), dr_ana (clinician, Clinic A),
rn_cara (nurse, Clinic A).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Organization
from lasting.audit.models import AuditEvent
from lasting.outcomes.queries import alert_burden
from lasting.risk.performance import AlertPerformance, store_snapshot
from lasting_core.analytics.rates import rate_of
from tests.personas import client_for
from tests.web.test_alert_policy import policy

pytestmark = pytest.mark.django_db


def performance(**changes: object) -> AlertPerformance:
    """A replay over 20 patient-years in care: 30 early-warning episodes (1.5 a year) and
    14 disengagement alerts (0.7 a year)."""
    now = timezone.now()
    figures = AlertPerformance(
        computed_at=now,
        since_at=now - timedelta(days=365),
        until_at=now,
        patients_replayed=25,
        relapses=10,
        caught=8,
        sensitivity=rate_of(8, 10),
        relapses_with_open_warning=9,
        median_lead_days=16.0,
        median_lead_open_days=15.0,
        early_warning_episodes=30,
        false_episodes=12,
        false_episodes_awaiting_judgement=2,
        false_episodes_ended_by_session=3,
        at_risk_patient_years=12.0,
        enrolled_patient_years=20.0,
        false_per_at_risk_year=1.0,
        disengagement_alerts=14,
        disengagement_per_patient_year=0.7,
        min_lead_days=7.0,
        horizon_days=56.0,
    )
    return dataclasses.replace(figures, **changes)


def test_the_defaults_are_one_early_warning_and_one_disengagement_a_patient_year(personas):
    clinic = Organization.objects.get(pk=personas.clinic.pk)
    assert clinic.early_warning_budget_per_year == 1.0
    assert clinic.disengagement_budget_per_year == 1.0


def test_the_burden_compares_each_kind_with_its_budget(personas):
    lines = {line.kind: line for line in alert_burden(performance(), personas.clinic)}

    assert lines["early_warning"].per_patient_year == pytest.approx(1.5)
    assert lines["early_warning"].over_budget
    assert lines["disengagement"].per_patient_year == pytest.approx(0.7)
    assert not lines["disengagement"].over_budget
    assert lines["safety"].budget is None  # every safety alert is raised, whatever the count
    assert lines["relapse"].budget is None


def test_the_admin_sets_the_budgets_audited(personas):
    response = client_for("admin_dora").post(
        reverse("accounts:organization"),
        policy(personas, early_warning_budget_per_year="2", disengagement_budget_per_year="0.5"),
    )

    assert response.status_code == 302
    clinic = Organization.objects.get(pk=personas.clinic.pk)
    assert (clinic.early_warning_budget_per_year, clinic.disengagement_budget_per_year) == (
        2.0,
        0.5,
    )
    assert AuditEvent.objects.filter(action="update", object_type="Organization").exists()
    page = client_for("admin_dora").get(reverse("accounts:organization")).content.decode()
    assert "2 early-warning alerts and 0.5 disengagement alerts a patient-year" in page


@pytest.mark.parametrize("value", ["0", "-1", "60", "many"])
def test_a_budget_out_of_range_is_refused_and_nothing_changes(personas, value):
    response = client_for("admin_dora").post(
        reverse("accounts:organization"), policy(personas, disengagement_budget_per_year=value)
    )

    assert response.status_code == 422
    assert Organization.objects.get(pk=personas.clinic.pk).disengagement_budget_per_year == 1.0


def test_the_outcome_report_shows_the_rates_against_the_budgets(personas):
    store_snapshot(personas.clinic, performance())

    page = client_for("dr_ana").get(reverse("outcomes:analytics")).content.decode()
    csv = client_for("dr_ana").get(reverse("outcomes:analytics"), {"download": "alerts"})

    assert "1.50 a patient-year in care; budget 1.0: <strong>over budget</strong>" in page
    assert "0.70 a patient-year in care; budget 1.0: within budget" in page
    assert "no budget: every one is raised" in page
    assert "early warning alerts per patient-year in care,1.5" in csv.content.decode()
    assert "early warning budget per patient-year,1\n" in csv.content.decode()
