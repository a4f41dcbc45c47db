"""The audit trail: every log-in and patient access recorded, and tampering detected."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.audit.models import AuditEvent, Outcome
from lasting.audit.services import verify_chain
from lasting.cli import main
from tests.factories import PASSWORD, make_patient
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def test_logins_and_failed_logins_are_audited_without_the_password(personas):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "dr_ana", "password": "wrong password!"})
    client.post(reverse("accounts:login"), {"username": "dr_ana", "password": PASSWORD})
    actions = list(AuditEvent.objects.values_list("action", "outcome", "username"))
    assert ("login_failed", "failure", "dr_ana") in actions
    assert ("login", "success", "dr_ana") in actions
    assert not AuditEvent.objects.filter(username__contains="wrong").exists()


def test_the_session_id_changes_at_login(personas):
    client = Client()
    client.get(reverse("accounts:login"))
    client.cookies["sessionid"] = "not-a-real-session"
    client.post(reverse("accounts:login"), {"username": "dr_ana", "password": PASSWORD})
    assert client.cookies["sessionid"].value != "not-a-real-session"


def test_an_idle_session_is_logged_out_after_15_minutes(personas):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    assert client.get(reverse("clinic:caseload")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert client.get(reverse("clinic:caseload")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        response = client.get(reverse("clinic:caseload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_active_session_still_ends_12_hours_after_signing_in(personas):
    client = client_for("dr_ana")
    start = timezone.now()
    for minutes in range(10, 12 * 60, 10):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            client.get(reverse("clinic:caseload"))
    with time_machine.travel(start + timedelta(hours=12, minutes=5)):
        response = client.get(reverse("clinic:caseload"))
    assert response.status_code == 302


def test_a_refused_chart_is_audited_with_the_requested_id(personas):
    client_for("dr_olga").get(reverse("clinic:patient", args=[personas.paul.pk]))
    event = AuditEvent.objects.get(outcome=Outcome.DENIED)
    assert (event.object_type, event.object_id) == ("Patient", str(personas.paul.pk))


def test_an_intact_chain_verifies(personas):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    client.get(reverse("clinic:patient", args=[make_patient(personas.clinic).pk]))
    assert AuditEvent.objects.count() >= 2
    assert list(verify_chain()) == []


def test_an_edited_event_is_detected(personas):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    client.get(reverse("clinic:caseload"))
    event = AuditEvent.objects.order_by("id").first()
    AuditEvent.objects.filter(pk=event.pk).update(username="somebody-else")
    problems = list(verify_chain())
    assert [problem.event_id for problem in problems] == [event.pk]


def test_a_deleted_event_is_detected(personas):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    client.get(reverse("clinic:caseload"))
    client.get(reverse("clinic:caseload"))
    middle = AuditEvent.objects.order_by("id")[1]
    middle.delete()
    assert list(verify_chain())


def test_the_newest_event_deleted_is_detected(personas):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    AuditEvent.objects.order_by("-id").first().delete()
    assert list(verify_chain())


def test_the_verify_command_exits_non_zero_on_tampering(personas, capsys):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    assert main(["audit", "verify"]) == 0
    AuditEvent.objects.update(action="read")
    assert main(["audit", "verify"]) == 1
    assert "problem" in capsys.readouterr().err
