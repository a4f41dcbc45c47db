"""Who has not checked in: patients in active care without a recent check-in.

rn_cara (staff) and dr_ana (clinician) in Clinic A use the list; admin_dora does not read
patient lists; dr_olga (Clinic B) never sees Clinic A's patients.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lasting.patients.models import Phase
from tests.factories import make_patient, make_phq9, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def histories(personas):
    """Clinic A with patients last heard from 2 days ago (Recent), 20 days ago (Quiet),
    never (Never, and Paul), and one whose course ended (Gone)."""
    clinic = personas.clinic
    now = timezone.now()
    recent = make_patient(clinic, family_name="Recent")
    make_phq9(recent, 8, submitted_at=now - timedelta(days=2))
    quiet = make_patient(clinic, family_name="Quiet")
    make_phq9(quiet, 8, submitted_at=now - timedelta(days=20))
    make_patient(clinic, family_name="Never")
    gone = make_patient(clinic, family_name="Gone")
    make_phq9(gone, 8, submitted_at=now - timedelta(days=90))
    gone.courses.update(phase=Phase.DISCONTINUED)
    return clinic


def page_for(username: str):
    client = Client()
    assert sign_in(client, username)
    return client.get(reverse("clinic:quiet"))


def test_the_list_shows_the_never_and_the_long_quiet_first_and_skips_the_rest(histories):
    content = page_for("rn_cara").content.decode()
    assert content.index("Never") < content.index("Quiet")
    assert "Recent" not in content
    assert "Gone" not in content
    assert "20 days ago" in content


def test_admins_and_other_clinics_see_no_patients(histories):
    assert page_for("admin_dora").status_code == 403
    content = page_for("dr_olga").content.decode()
    assert "Quiet" not in content
    assert "Never" not in content


def test_the_list_costs_the_same_queries_for_more_patients(histories):
    client = Client()
    sign_in(client, "rn_cara")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("clinic:quiet"))
    for _ in range(10):
        make_patient(histories)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("clinic:quiet"))
    assert len(few.captured_queries) == len(many.captured_queries)
