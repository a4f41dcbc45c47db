"""A patient tells the care team about a stressful life event from their own page.

Personas (tests/web/portal_support.py): patient_pia (Spanish) and patient_paul (English,
Los Angeles time) in Clinic A, treated by dr_ana; patient_bruno in Clinic B.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.alerts.models import Alert, AlertKind, AlertStatus, Priority
from lasting.audit.models import Action, AuditEvent
from lasting.intake import services as door
from lasting.treatment.models import EntrySource, LifeEvent
from tests.personas import client_for
from tests.web.portal_support import PAUL_EMAIL, PIA_EMAIL, World, make_world, signed_in_client
from tests.web.test_note_screening import ISSUE_NOTE
from tests.web.test_portal_spanish import assert_no_english_chrome

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

PAGE = "/me/life-event/"


@pytest.fixture
def world(personas) -> World:
    return make_world(personas)


def report(patient, **overrides) -> dict[str, str]:
    return {
        "kind": "work",
        "occurred_on": today_in(patient.time_zone).isoformat(),
        "weight": "2",
        "note": "",
    } | overrides


def test_the_form_is_in_spanish_for_pia(world):
    page = signed_in_client(PIA_EMAIL).get(PAGE)

    assert page.status_code == 200
    content = page.content.decode()
    assert page["Content-Language"] == "es"
    assert "Cuéntele a su equipo de atención algo que le pasó" in content
    assert "Una mudanza" in content
    assert "Bastante" in content
    assert "Las notas no se leen en tiempo real" in content
    assert f'max="{today_in(world.pia.time_zone).isoformat()}"' in content
    assert_no_english_chrome(content)


def test_a_report_is_stored_as_the_patients_audited_and_reassessed(world, monkeypatch):
    scheduled = []
    monkeypatch.setattr(door, "reassess_after_commit", scheduled.append)
    client = signed_in_client(PAUL_EMAIL)

    done = client.post(PAGE, report(world.paul, kind="bereavement", weight="3"))

    assert done.status_code == 200
    assert 'id="life-event-received"' in done.content.decode()
    assert 'id="crisis-now"' not in done.content.decode()
    event = LifeEvent.objects.get()
    assert (event.patient, event.kind, event.weight, event.source) == (
        world.paul,
        "bereavement",
        3,
        EntrySource.PATIENT,
    )
    assert event.recorded_by is None
    assert event.occurred_on == today_in(world.paul.time_zone)
    assert scheduled == [world.paul]
    audit = AuditEvent.objects.get(action=Action.CREATE, object_type="LifeEvent")
    assert (audit.patient_id, audit.username) == (world.paul.pk, f"patient:{world.paul.pk}")
    assert not Alert.objects.exists()


def test_a_note_that_matches_the_screening_list_opens_an_urgent_alert_and_shows_help(
    world, django_capture_on_commit_callbacks
):
    client = signed_in_client(PIA_EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(PAGE, report(world.pia, note=ISSUE_NOTE))

    content = done.content.decode()
    assert done.status_code == 200
    assert 'id="crisis-now"' in content
    assert "Lo que escribió nos dice que quizá esté pasando por un momento muy difícil" in content
    assert_no_english_chrome(content)
    event = LifeEvent.objects.get(patient=world.pia)
    [alert] = Alert.objects.filter(patient=world.pia)
    assert (alert.kind, alert.priority, alert.status) == (
        AlertKind.SAFETY,
        Priority.URGENT,
        AlertStatus.OPEN,
    )
    assert alert.drivers == {
        "source": "note",
        "categories": ["ideation", "means"],
        "phrase_ids": ["es-ideation-quiero-morir", "es-means-pastillas-guardadas"],
        "list_version": "1",
        "life_event_id": event.pk,
    }
    assert alert.assigned_to == world.dr_ana.user
    assert "life event" in alert.reason
    assert "morir" not in alert.reason
    assert event.note == ISSUE_NOTE  # the care team reads it on the patient page


def test_a_matching_note_on_a_report_with_an_error_still_opens_one_alert_and_shows_help(
    world, django_capture_on_commit_callbacks
):
    client = signed_in_client(PIA_EMAIL)
    body = report(world.pia, note=ISSUE_NOTE, weight="")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(PAGE, body)
        again = client.post(PAGE, body)

    assert (first.status_code, again.status_code) == (422, 422)
    assert 'id="crisis-now"' in first.content.decode()
    assert "Lo que escribió nos dice" in again.content.decode()
    assert not LifeEvent.objects.exists()
    [alert] = Alert.objects.filter(patient=world.pia)  # the same report joins the open alert
    assert alert.priority == Priority.URGENT
    assert alert.drivers["stored"] is False
    assert alert.drivers["life_event_id"] is None
    assert "life-event report that was not stored" in alert.reason
    assert "morir" not in alert.reason


def test_a_report_with_an_error_and_a_plain_note_opens_nothing(world):
    page = signed_in_client(PAUL_EMAIL).post(PAGE, report(world.paul, note="Moved.", kind=""))
    assert page.status_code == 422
    assert 'id="crisis-now"' not in page.content.decode()
    assert not Alert.objects.exists()


def test_a_day_after_today_on_the_patients_clock_is_refused_in_spanish(world):
    tomorrow = today_in(world.pia.time_zone) + timedelta(days=1)
    page = signed_in_client(PIA_EMAIL).post(
        PAGE, report(world.pia, occurred_on=tomorrow.isoformat())
    )
    assert page.status_code == 422
    assert "La fecha no puede ser posterior a hoy." in page.content.decode()
    assert not LifeEvent.objects.exists()


@pytest.mark.parametrize("weight", ["0", "4", ""])
def test_a_weight_outside_the_scale_is_refused(world, weight):
    page = signed_in_client(PAUL_EMAIL).post(PAGE, report(world.paul, weight=weight))
    assert page.status_code == 422
    assert not LifeEvent.objects.exists()


def test_the_patients_own_page_invites_a_report(world):
    home = signed_in_client(PAUL_EMAIL).get(reverse("portal:home"))
    assert f'href="{PAGE}"' in home.content.decode()


def test_the_clinician_sees_the_report_marked_as_the_patients(world):
    signed_in_client(PAUL_EMAIL).post(PAGE, report(world.paul, kind="move", note="New city."))
    page = client_for("dr_ana").get(reverse("clinic:patient", args=[world.paul.pk]))
    content = page.content.decode()
    assert "reported by the patient" in content
    assert "New city." in content


class TestWhoMayReport:
    def test_a_visitor_without_a_session_is_sent_to_sign_in(self, world):
        response = Client().post(PAGE, report(world.paul))
        assert response.status_code == 302
        assert response["Location"].startswith("/me/sign-in/")
        assert not LifeEvent.objects.exists()

    @pytest.mark.parametrize("who", ["dr_ana", "rn_cara", "sam_front", "admin_dora", "dr_olga"])
    def test_staff_are_never_patients(self, world, who):
        response = client_for(who).post(PAGE, report(world.paul))
        assert response.status_code == 403
        assert not LifeEvent.objects.exists()

    def test_a_patient_of_another_clinic_reports_only_for_themselves(self, world):
        from tests.web.portal_support import BRUNO_EMAIL

        signed_in_client(BRUNO_EMAIL).post(PAGE, report(world.bruno))
        event = LifeEvent.objects.get()
        assert (event.patient, event.organization) == (world.bruno, world.clinic_b)


def test_a_matching_note_sent_after_the_session_timed_out_still_reaches_the_team(
    world, django_capture_on_commit_callbacks
):
    client = signed_in_client(PIA_EMAIL)
    client.get(PAGE)
    later = time_machine.travel(timezone.now() + timedelta(minutes=45))
    with later, django_capture_on_commit_callbacks(execute=True):
        late = client.post(PAGE, report(world.pia, note=ISSUE_NOTE))

    content = late.content.decode()
    assert late.status_code == 401
    assert 'id="crisis-now"' in content
    assert "Por favor, inicie sesión de nuevo" in content
    assert not LifeEvent.objects.exists()
    [alert] = Alert.objects.filter(patient=world.pia)
    assert alert.drivers["stored"] is False
    assert "morir" not in alert.reason


def test_a_plain_note_sent_after_the_session_timed_out_goes_to_sign_in(world):
    client = signed_in_client(PIA_EMAIL)
    with time_machine.travel(timezone.now() + timedelta(minutes=45)):
        late = client.post(PAGE, report(world.pia, note="Me mudé de casa."))
    assert late.status_code == 302
    assert "timed_out=1" in late["Location"]
    assert not Alert.objects.exists()


def test_the_same_report_sent_twice_is_one_life_event_and_one_alert(
    world, django_capture_on_commit_callbacks
):
    client = signed_in_client(PIA_EMAIL)
    body = report(world.pia, note=ISSUE_NOTE, idempotency_key="r" * 32)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(PAGE, body)
        again = client.post(PAGE, body)

    assert (first.status_code, again.status_code) == (200, 200)
    assert LifeEvent.objects.filter(patient=world.pia).count() == 1
    assert Alert.objects.filter(patient=world.pia).count() == 1
