"""The audit trail: every log-in and patient access recorded, and tampering detected."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.audit.models import AuditEvent
from lasting.audit.services import verify_chain
from lasting.cli import main
from tests.factories import PASSWORD, make_member, make_organization, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def dr_ana():
    return make_member(make_organization(), username="dr_ana")


def test_logins_and_failed_logins_are_audited_without_the_password(dr_ana):
    client = Client()
    client.post(reverse("accounts:login"), {"username": "dr_ana", "password": "wrong password!"})
    client.post(reverse("accounts:login"), {"username": "dr_ana", "password": PASSWORD})
    actions = list(AuditEvent.objects.values_list("action", "outcome", "username"))
    assert ("login_failed", "failure", "dr_ana") in actions
    assert ("login", "success", "dr_ana") in actions
    assert not AuditEvent.objects.filter(username__contains="wrong").exists()


def test_the_session_id_changes_at_login(dr_ana):
    client = Client()
    client.get(reverse("accounts:login"))
    client.cookies["sessionid"] = "not-a-real-session"
    client.post(reverse("accounts:login"), {"username": "dr_ana", "password": PASSWORD})
    assert client.cookies["sessionid"].value != "not-a-real-session"


def test_an_idle_session_is_logged_out_after_15_minutes(dr_ana):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    assert client.get(reverse("clinic:caseload")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=14)):
        assert client.get(reverse("clinic:caseload")).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=30)):
        response = client.get(reverse("clinic:caseload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_intact_chain_verifies(dr_ana):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    client.get(reverse("clinic:patient", args=[make_patient(dr_ana.organization).pk]))
    assert AuditEvent.objects.count() >= 2
    assert list(verify_chain()) == []


def test_an_edited_event_is_detected(dr_ana):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    client.get(reverse("clinic:caseload"))
    event = AuditEvent.objects.order_by("id").first()
    AuditEvent.objects.filter(pk=event.pk).update(username="somebody-else")
    problems = list(verify_chain())
    assert [problem.event_id for problem in problems] == [event.pk]


def test_a_deleted_event_is_detected(dr_ana):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    client.get(reverse("clinic:caseload"))
    client.get(reverse("clinic:caseload"))
    middle = AuditEvent.objects.order_by("id")[1]
    middle.delete()
    assert list(verify_chain())


def test_the_newest_event_deleted_is_detected(dr_ana):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    AuditEvent.objects.order_by("-id").first().delete()
    assert list(verify_chain())


def test_the_verify_command_exits_non_zero_on_tampering(dr_ana, capsys):
    client = Client()
    client.login(username="dr_ana", password=PASSWORD)
    assert main(["audit", "verify"]) == 0
    AuditEvent.objects.update(action="read")
    assert main(["audit", "verify"]) == 1
    assert "problem" in capsys.readouterr().err
