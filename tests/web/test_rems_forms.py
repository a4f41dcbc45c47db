"""The SPRAVATO REMS patient-monitoring form of each esketamine session: filled from the
session, on the staff's to-do list until its submission is recorded, overdue after 7
calendar days on the clinic's clock, flagged on the caseload, printable.

Personas:
- rn_cara: nurse in Clinic A, files the forms.
- dr_ana: clinician in Clinic A, treats Paul.
- sam_front: scheduler in Clinic A: no forms.
- rn_olga: nurse in Clinic B: sees nothing of Clinic A.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Role
from lasting.audit.models import AuditEvent
from lasting.audit.services import Actor
from lasting.clinic.queries import list_caseload_for
from lasting.treatment.models import MonitoringForm, Route
from lasting.treatment.services import record_form_submission
from tests.factories import (
    make_member,
    make_patient,
    make_phq9,
    make_session,
)
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    """The personas, with Clinic A in Los Angeles, and rn_olga, a nurse of Clinic B."""
    clinic = personas.clinic
    clinic.time_zone = "America/Los_Angeles"
    clinic.save()
    people = {
        "rn_cara": personas.rn_cara,
        "dr_ana": personas.dr_ana,
        "sam_front": personas.sam_front,
        "rn_olga": make_member(personas.other_clinic, Role.STAFF, "rn_olga"),
    }
    return {"clinic": clinic, "people": people, "paul": personas.paul}


def esketamine_session(world, days_ago: float, **overrides):
    return make_session(
        world["paul"],
        route=Route.INTRANASAL_ESKETAMINE,
        started_at=timezone.now() - timedelta(days=days_ago),
        monitoring_clinician=world["people"]["rn_cara"].user,
        **overrides,
    )


def clinic_today(world):
    return today_in(world["clinic"].time_zone)


def test_the_form_is_due_seven_calendar_days_after_the_session_on_the_clinic_clock(world):
    session = esketamine_session(world, days_ago=1)
    session_on = today_in(world["clinic"].time_zone, session.started_at)
    assert session.monitoring_form.due_on == session_on + timedelta(days=7)


def test_due_forms_are_listed_overdue_first_with_the_flag(world):
    overdue = esketamine_session(world, days_ago=9)
    recent = esketamine_session(world, days_ago=2)
    response = client_for("rn_cara").get(reverse("treatment:monitoring_forms"))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.index(f'data-session-id="{overdue.pk}"') < content.index(
        f'data-session-id="{recent.pk}"'
    )
    overdue_row = content[content.index(f'data-session-id="{overdue.pk}"') :]
    assert "Overdue" in overdue_row[: overdue_row.index("</tr>")]
    recent_row = content[content.index(f'data-session-id="{recent.pk}"') :]
    assert "Overdue" not in recent_row[: recent_row.index("</tr>")]
    assert "1 overdue" in content


def test_a_form_is_overdue_only_after_its_due_day_has_passed(world):
    session = esketamine_session(world, days_ago=1)
    form = session.monitoring_form
    form.due_on = clinic_today(world)
    form.save()
    content = client_for("rn_cara").get(reverse("treatment:monitoring_forms")).content.decode()
    assert "Overdue" not in content
    form.due_on = clinic_today(world) - timedelta(days=1)
    form.save()
    content = client_for("rn_cara").get(reverse("treatment:monitoring_forms")).content.decode()
    assert "Overdue" in content


def test_the_form_is_filled_from_the_session_record(world):
    session = esketamine_session(
        world,
        days_ago=1,
        takes_psychostimulants=True,
        ready_to_leave_minutes=80,
        sedation=3,
        lot_number="LOT-77",
    )
    content = (
        client_for("rn_cara")
        .get(reverse("treatment:monitoring_form", args=[session.pk]))
        .content.decode()
    )
    assert "Moreno" in content
    assert "LOT-77" in content
    assert '<dd id="rems-dose">84 mg</dd>' in content
    assert '<dd id="rems-total-minutes">125 minutes</dd>' in content
    assert "80 minutes from the start of administration" in content
    assert '<dd id="rems-bp-leaving">128/80 mmHg</dd>' in content
    assert "Yes (MOAA/S 3: Responds only after name is called loudly and/or repeatedly)" in content
    assert "<dt>Psychostimulants</dt><dd>Yes</dd>" in content
    assert "Cara Tester" in content


def test_recording_the_submission_names_who_and_when_and_is_audited(world):
    session = esketamine_session(world, days_ago=3)
    response = client_for("rn_cara").post(
        reverse("treatment:monitoring_form", args=[session.pk]),
        {"submitted_on": clinic_today(world).isoformat(), "submission_reference": "R-991"},
    )
    assert response.status_code == 302
    form = MonitoringForm.objects.get(session=session)
    assert form.submitted_on == clinic_today(world)
    assert form.submitted_by == world["people"]["rn_cara"].user
    assert form.submission_reference == "R-991"
    assert form.submission_recorded_at is not None
    event = AuditEvent.objects.get(action="update", object_type="MonitoringForm")
    assert event.user_id == world["people"]["rn_cara"].user.pk
    assert event.patient_id == world["paul"].pk
    listing = client_for("rn_cara").get(reverse("treatment:monitoring_forms")).content.decode()
    due_table = listing[: listing.index('id="submitted-forms"')]
    assert f'data-session-id="{session.pk}"' not in due_table
    assert "Cara Tester" in listing[listing.index('id="submitted-forms"') :]
    page = client_for("dr_ana").get(reverse("treatment:monitoring_form", args=[session.pk]))
    assert "recorded by Cara Tester" in page.content.decode()


def test_a_submission_in_the_future_or_before_the_session_is_refused(world):
    session = esketamine_session(world, days_ago=3)
    url = reverse("treatment:monitoring_form", args=[session.pk])
    future = client_for("rn_cara").post(
        url, {"submitted_on": (clinic_today(world) + timedelta(days=1)).isoformat()}
    )
    assert future.status_code == 422
    assert b"The submission date is in the future." in future.content
    early = client_for("rn_cara").post(
        url, {"submitted_on": (clinic_today(world) - timedelta(days=10)).isoformat()}
    )
    assert early.status_code == 422
    assert MonitoringForm.objects.get(session=session).submitted_on is None


def test_a_submission_is_recorded_once(world):
    session = esketamine_session(world, days_ago=3)
    cara = world["people"]["rn_cara"]
    actor = Actor(cara.user.pk, "rn_cara", cara.organization_id, None, "")
    record_form_submission(actor, session.monitoring_form, clinic_today(world))
    with pytest.raises(ValidationError, match="Already recorded"):
        record_form_submission(actor, session.monitoring_form, clinic_today(world))
    with pytest.raises(ValidationError, match="A person records"):
        record_form_submission(Actor.system("job"), session.monitoring_form, clinic_today(world))


def test_printing_the_form_is_audited_as_a_print(world):
    session = esketamine_session(world, days_ago=1)
    response = client_for("rn_cara").get(
        reverse("treatment:monitoring_form", args=[session.pk]) + "?print=1"
    )
    assert response.status_code == 200
    assert b"treatment/print.js" in response.content
    assert AuditEvent.objects.filter(action="print", object_type="MonitoringForm").count() == 1


def test_the_page_carries_a_print_stylesheet(world):
    session = esketamine_session(world, days_ago=1)
    response = client_for("rn_cara").get(reverse("treatment:monitoring_form", args=[session.pk]))
    assert b"treatment/treatment.css" in response.content
    from django.contrib.staticfiles import finders

    css = open(finders.find("treatment/treatment.css")).read()  # noqa: SIM115
    assert "@media print" in css


def test_schedulers_and_other_clinics_cannot_see_the_forms(world):
    session = esketamine_session(world, days_ago=1)
    url = reverse("treatment:monitoring_form", args=[session.pk])
    assert client_for("sam_front").get(reverse("treatment:monitoring_forms")).status_code == 403
    assert client_for("sam_front").get(url).status_code == 403
    assert client_for("rn_olga").get(url).status_code == 404
    refused = client_for("rn_olga").post(url, {"submitted_on": clinic_today(world).isoformat()})
    assert refused.status_code == 404
    assert MonitoringForm.objects.get(session=session).submitted_on is None
    olga_list = client_for("rn_olga").get(reverse("treatment:monitoring_forms")).content
    assert b"Moreno" not in olga_list


def test_an_overdue_form_is_flagged_on_the_caseload(world):
    esketamine_session(world, days_ago=9)
    calm = make_patient(world["clinic"], family_name="Calm")
    make_session(calm, route=Route.INTRANASAL_ESKETAMINE, started_at=timezone.now())
    rows = {
        row.patient.family_name: row
        for row in list_caseload_for(world["people"]["rn_cara"], now=timezone.now())
    }
    assert rows["Moreno"].overdue_monitoring_forms == 1
    assert rows["Calm"].overdue_monitoring_forms == 0
    content = client_for("rn_cara").get(reverse("clinic:caseload")).content.decode()
    moreno = content[content.index(f'data-patient-id="{world["paul"].pk}"') :]
    assert "REMS form overdue" in moreno[: moreno.index("</tr>")]
    calm_row = content[content.index(f'data-patient-id="{calm.pk}"') :]
    assert "REMS form overdue" not in calm_row[: calm_row.index("</tr>")]


def caseload_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("clinic:caseload")).status_code == 200
    return len(captured.captured_queries)


def test_the_caseload_query_count_does_not_grow_with_overdue_forms(world):
    client = client_for("dr_ana")
    for index in range(2):
        patient = make_patient(world["clinic"], family_name=f"Few{index}")
        make_phq9(patient, 12)
        make_session(patient, route=Route.INTRANASAL_ESKETAMINE, started_at=timezone.now())
    few = caseload_queries(client)
    for index in range(8):
        patient = make_patient(world["clinic"], family_name=f"Many{index}")
        make_phq9(patient, 12)
        make_session(
            patient,
            route=Route.INTRANASAL_ESKETAMINE,
            started_at=timezone.now() - timedelta(days=10),
        )
    many = caseload_queries(client)
    assert few == many


def test_the_to_do_list_query_count_does_not_grow_with_forms(world):
    client = client_for("rn_cara")
    esketamine_session(world, days_ago=1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("treatment:monitoring_forms")).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for days_ago in range(2, 9):
        esketamine_session(world, days_ago=days_ago)
    assert queries() == few
