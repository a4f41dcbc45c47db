"""The audit trail: every log-in and patient access recorded, and tampering detected."""

from __future__ import annotations

import hashlib
import importlib
import stat
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.audit.models import AuditEvent, ChainHead, Outcome
from lasting.audit.services import (
    GENESIS_HASH,
    compute_hash,
    event_fields,
    read_anchors,
    verify_chain,
    write_anchor,
)
from lasting.cli import main
from tests.factories import PASSWORD, make_patient, sign_in
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tamperable():
    """Let the test edit the trail as an attacker with the table owner's rights would: on
    PostgreSQL the append-only trigger is switched off first (inside the test's
    transaction, so it is back on afterwards)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")


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
    sign_in(client, "dr_ana")
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
    sign_in(client, "dr_ana")
    client.get(reverse("clinic:patient", args=[make_patient(personas.clinic).pk]))
    assert AuditEvent.objects.count() >= 2
    assert list(verify_chain()) == []


def test_an_edited_event_is_detected(personas, tamperable):
    client = Client()
    sign_in(client, "dr_ana")
    client.get(reverse("clinic:caseload"))
    event = AuditEvent.objects.order_by("id").first()
    AuditEvent.objects.filter(pk=event.pk).update(username="somebody-else")
    problems = list(verify_chain())
    assert [problem.event_id for problem in problems] == [event.pk]


def test_a_deleted_event_is_detected(personas, tamperable):
    client = Client()
    sign_in(client, "dr_ana")
    client.get(reverse("clinic:caseload"))
    client.get(reverse("clinic:caseload"))
    middle = AuditEvent.objects.order_by("id")[1]
    middle.delete()
    assert list(verify_chain())


def test_the_newest_event_deleted_is_detected(personas, tamperable):
    client = Client()
    sign_in(client, "dr_ana")
    AuditEvent.objects.order_by("-id").first().delete()
    assert list(verify_chain())


def test_the_verify_command_exits_non_zero_on_tampering(personas, tamperable, capsys):
    client = Client()
    sign_in(client, "dr_ana")
    assert main(["audit", "verify"]) == 0
    AuditEvent.objects.update(action="read")
    assert main(["audit", "verify"]) == 1
    assert "problem" in capsys.readouterr().err


def test_a_rewrite_that_recomputes_every_hash_without_the_key_is_detected(personas, tamperable):
    client_for("dr_ana").get(reverse("clinic:caseload"))
    previous = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id"):
        event.username = "somebody-else"
        event.previous_hash = previous
        event.hash = compute_hash(previous, event_fields(event), key="a guess at the key")
        AuditEvent.objects.filter(pk=event.pk).update(
            username=event.username, previous_hash=event.previous_hash, hash=event.hash
        )
        previous = event.hash
    ChainHead.objects.filter(pk=1).update(last_hash=previous)

    problems = list(verify_chain())

    assert {problem.reason for problem in problems} == {"contents do not match the stored hash"}


def test_the_newest_events_cut_with_the_head_moved_back_are_caught_by_the_anchor(
    personas, tamperable
):
    for username in ("dr_ana", "dr_ben", "rn_cara"):
        client_for(username).get(reverse("clinic:caseload"))
    anchor = write_anchor()
    kept = AuditEvent.objects.order_by("id")[: anchor.count - 2]
    last = list(kept)[-1]
    AuditEvent.objects.filter(pk__gt=last.pk).delete()
    ChainHead.objects.filter(pk=1).update(last_hash=last.hash, count=anchor.count - 2)
    assert list(verify_chain()) == []  # consistent in itself

    problems = list(verify_chain(read_anchors(settings.AUDIT_ANCHOR_FILE)))

    assert [problem.reason for problem in problems] == [
        f"the anchor written at {anchor.at} counted {anchor.count} events; "
        f"the trail holds {anchor.count - 2}"
    ]


def test_an_emptied_trail_fails_verification_against_its_anchors(personas, tamperable, capsys):
    client_for("dr_ana").get(reverse("clinic:caseload"))
    write_anchor()
    AuditEvent.objects.all().delete()
    ChainHead.objects.all().delete()

    assert main(["audit", "verify"]) == 1
    assert "the trail holds 0" in capsys.readouterr().err


def test_anchors_go_to_a_private_append_only_file_and_the_log(personas, caplog):
    client_for("dr_ana").get(reverse("clinic:caseload"))
    first = write_anchor()
    client_for("dr_ben").get(reverse("clinic:caseload"))
    second = write_anchor()

    path = settings.AUDIT_ANCHOR_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_anchors(path)[-2:] == [first, second]
    assert second.count > first.count
    logged = [r.getMessage() for r in caplog.records if r.name == "lasting.audit.anchor"]
    assert logged[-1] == f"audit anchor {second.line()}"
    # A copy of the log is as good as the file.
    log_copy = path.with_name("shipped.log")
    log_copy.write_text("\n".join(f"2026-12-02 INFO lasting.audit.anchor {m}" for m in logged))
    assert read_anchors(log_copy)[-1] == second
    assert main(["audit", "verify", "--anchors", str(log_copy)]) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_postgresql_refuses_to_update_or_delete_audit_events(personas):
    client_for("dr_ana").get(reverse("clinic:caseload"))
    event = AuditEvent.objects.order_by("id").first()
    for change in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(username="x"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert AuditEvent.objects.filter(pk=event.pk, username=event.username).exists()


def test_the_upgrade_rechains_an_unkeyed_trail_and_refuses_a_broken_one(personas, tamperable):
    from django.apps import apps

    upgrade = importlib.import_module("lasting.audit.migrations.0002_chain_count_hmac_append_only")
    client_for("dr_ana").get(reverse("clinic:caseload"))
    # Write the trail as the previous version did: unkeyed SHA-256.
    previous = GENESIS_HASH
    for event in AuditEvent.objects.order_by("id"):
        text = upgrade.payload(event)
        unkeyed = hashlib.sha256((previous + text).encode()).hexdigest()
        AuditEvent.objects.filter(pk=event.pk).update(previous_hash=previous, hash=unkeyed)
        previous = unkeyed
    ChainHead.objects.filter(pk=1).update(last_hash=previous, count=0)
    assert list(verify_chain())  # not keyed: fails today's check

    upgrade.rechain_with_key(apps, None)

    assert list(verify_chain()) == []
    AuditEvent.objects.filter(pk=AuditEvent.objects.order_by("id").first().pk).update(
        username="edited"
    )
    # Re-chain what is now keyed again, as if it were an unkeyed trail: it does not verify.
    with pytest.raises(RuntimeError, match="does not verify at event"):
        upgrade.rechain_with_key(apps, None)
