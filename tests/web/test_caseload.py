"""The caseload: everyone the clinician's team treats, most pressing first, in constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lasting.clinic.queries import list_caseload_for
from tests.factories import (
    make_patient,
    make_phq9,
    make_session,
    sign_in,
)

pytestmark = pytest.mark.django_db


def test_open_safety_alerts_come_first_then_the_worst_band(personas, clinic):
    now = timezone.now()
    severe = make_patient(clinic, family_name="Severe")
    make_phq9(severe, 23, submitted_at=now - timedelta(days=1))
    mild = make_patient(clinic, family_name="Mild")
    make_phq9(mild, 6, submitted_at=now - timedelta(days=1))
    at_risk = make_patient(clinic, family_name="AtRisk")
    make_phq9(at_risk, 9, item9=1, submitted_at=now - timedelta(hours=2))
    unknown = personas.paul  # no check-in yet

    rows = list_caseload_for(personas.dr_ana, now=now)

    assert [row.patient.family_name for row in rows] == ["AtRisk", "Severe", "Mild", "Moreno"]
    assert rows[0].open_alerts == 1
    assert rows[-1].latest_phq9 is None
    assert rows[-1].patient.pk == unknown.pk


def test_change_from_baseline_uses_the_last_phq9_before_the_first_induction(personas):
    now = timezone.now()
    paul = personas.paul
    make_phq9(paul, 22, submitted_at=now - timedelta(days=40))
    make_phq9(paul, 19, submitted_at=now - timedelta(days=31))  # the baseline
    make_session(paul, started_at=now - timedelta(days=30))
    make_phq9(paul, 7, submitted_at=now - timedelta(days=2))

    (row,) = list_caseload_for(personas.dr_ana, now=now)

    assert row.baseline_phq9 == 19
    assert row.latest_phq9 == 7
    assert row.change_from_baseline == -12
    assert row.days_since_last_session(now) == 30


def test_worsening_since_baseline_ranks_above_improvement_within_a_band(personas, clinic):
    now = timezone.now()
    for name, baseline in (("Improved", 20), ("Worsened", 8)):
        patient = make_patient(clinic, family_name=name)
        make_phq9(patient, baseline, submitted_at=now - timedelta(days=20))
        make_session(patient, started_at=now - timedelta(days=19))
        make_phq9(patient, 12, submitted_at=now - timedelta(days=1))
    names = [row.patient.family_name for row in list_caseload_for(personas.dr_ana, now=now)]
    assert names == ["Worsened", "Improved", "Moreno"]  # Paul has no score yet


def caseload_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("clinic:caseload")).status_code == 200
    return len(captured.captured_queries)


def test_the_caseload_page_query_count_does_not_grow_with_patients(personas, clinic):
    client = Client()
    sign_in(client, "dr_ana")
    for _ in range(3):
        patient = make_patient(clinic, assigned_clinician=personas.dr_ana.user)
        make_phq9(patient, 12)
        make_session(patient)
    few = caseload_queries(client)
    for _ in range(12):
        patient = make_patient(clinic, assigned_clinician=personas.dr_ana.user)
        make_phq9(patient, 12)
        make_session(patient)
    many = caseload_queries(client)
    assert few == many


def test_assigned_to_me_shows_only_my_patients(personas, clinic):
    make_patient(clinic, family_name="Mine", assigned_clinician=personas.dr_ana.user)
    make_patient(clinic, family_name="Bens", assigned_clinician=personas.dr_ben.user)
    client = Client()
    sign_in(client, "dr_ana")
    content = client.get(reverse("clinic:caseload") + "?mine=1").content.decode()
    assert "Mine" in content
    assert "Bens" not in content


def test_patients_whose_course_ended_sort_below_everyone_in_active_care(personas, clinic):
    now = timezone.now()
    left = make_patient(clinic, family_name="LeftLastYear")
    make_phq9(left, 24, submitted_at=now - timedelta(days=200))
    left.courses.update(phase="discontinued")
    active = make_patient(clinic, family_name="Active")
    make_phq9(active, 6, submitted_at=now - timedelta(days=3))
    names = [row.patient.family_name for row in list_caseload_for(personas.dr_ana, now=now)]
    assert names == ["Active", "Moreno", "LeftLastYear"]  # Paul is in evaluation


def test_the_caseload_is_sorted_whole_and_shown_a_page_at_a_time(personas, clinic):
    now = timezone.now()
    for index in range(104):  # and Paul, without a score, makes 105
        patient = make_patient(clinic, family_name=f"P{index:03d}")
        make_phq9(patient, index % 25, submitted_at=now - timedelta(days=1))
    client = Client()
    sign_in(client, "dr_ana")
    first = client.get(reverse("clinic:caseload")).content.decode()
    second = client.get(reverse("clinic:caseload") + "?page=2").content.decode()
    assert first.count('data-patient-id="') == 100
    assert second.count('data-patient-id="') == 5
    assert "Showing 1–100 of 105" in first
    assert "24 · Severe" in first
    assert "24 · Severe" not in second  # the most severe are all on the first page
    assert client.get(reverse("clinic:caseload") + "?page=x").status_code == 200


def test_the_caseload_and_the_engine_agree_on_a_baseline_taken_at_the_session_time(personas):
    """A PHQ-9 recorded at the same time as the first infusion was taken before the dose
    (the core's baseline rule); the caseload's SQL must pick the same one."""
    from lasting.risk.services import assess_one

    now = timezone.now()
    paul = personas.paul
    first_session = now - timedelta(days=30)
    make_phq9(paul, 22, submitted_at=now - timedelta(days=40))
    make_phq9(paul, 18, submitted_at=first_session)  # the baseline, at the session's time
    make_session(paul, started_at=first_session)
    make_phq9(paul, 6, submitted_at=now - timedelta(days=20))

    (row,) = list_caseload_for(personas.dr_ana, now=now)
    assessment = assess_one(paul, now)

    assert row.baseline_phq9 == 18
    assert assessment.baseline == 18


def test_without_alerts_the_caseload_order_ignores_them(personas, safety_alert):
    calm = make_patient(personas.clinic, family_name="Calm")
    make_phq9(calm, 24)
    rows = list_caseload_for(personas.dr_ana, now=timezone.now(), include_alerts=False)
    assert [row.open_alerts for row in rows] == [0, 0]
    assert rows[0].patient.family_name == "Calm"  # severity order, not alert order
