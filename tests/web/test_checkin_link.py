"""The patient check-in by link: single use, idempotent, atomic, and safe on item 9.

Personas: dr_ana treats Paul in Clinic A; the link is what Paul opens on his phone.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from lasting.alerts.models import Alert, AlertKind, AlertStatus, Priority
from lasting.audit.models import AuditEvent
from lasting.checkins.models import CheckIn, Response
from lasting.checkins.services import issue_link
from lasting_core.instruments import InstrumentCode
from tests.factories import SYSTEM, make_patient, phq9_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def paul(personas):
    return personas.paul


def link_path(paul, instruments=(InstrumentCode.PHQ9,)) -> str:
    issued = issue_link(SYSTEM, paul, list(instruments))
    return re.sub(r"^https?://[^/]+", "", issued.url)


def form_body(key: str, total: int, item9: int = 0) -> dict[str, str]:
    body = {"idempotency_key": key}
    for item, value in phq9_answers(total, item9).items():
        body[f"phq9__{item}"] = str(value)
    return body


def test_link_opens_a_form_without_login(paul):
    response = Client().get(link_path(paul))
    assert response.status_code == 200
    assert b"Little interest or pleasure in doing things" in response.content
    assert b"988" in response.content  # crisis resources on every patient page
    assert (
        response["Cache-Control"].startswith("no-store") or "no-cache" in response["Cache-Control"]
    )


def test_item9_of_2_shows_crisis_resources_and_opens_an_urgent_alert(paul):
    response = Client().post(link_path(paul), form_body("k-urgent", total=18, item9=2))
    assert response.status_code == 200
    assert b'id="crisis-now"' in response.content
    alert = Alert.objects.get(patient=paul)
    assert alert.kind == AlertKind.SAFETY
    assert alert.priority == Priority.URGENT
    assert alert.status == AlertStatus.OPEN
    assert alert.assigned_to == paul.assigned_clinician
    assert alert.acknowledge_by == alert.opened_at + timedelta(minutes=240)


def test_item9_of_1_opens_a_high_priority_alert(paul):
    Client().post(link_path(paul), form_body("k-high", total=12, item9=1))
    assert Alert.objects.get(patient=paul).priority == Priority.HIGH


def test_item9_of_0_shows_no_crisis_block_and_opens_no_alert(paul):
    response = Client().post(link_path(paul), form_body("k-zero", total=12, item9=0))
    assert response.status_code == 200
    assert b'id="crisis-now"' not in response.content
    assert b'id="crisis-footer"' in response.content
    assert not Alert.objects.filter(patient=paul).exists()


def test_every_item_answer_and_the_score_are_stored(paul):
    Client().post(link_path(paul), form_body("k-store", total=14))
    stored = Response.objects.get(patient=paul)
    assert stored.total == 14
    assert stored.band == "moderate"
    assert stored.answers["q1"] == 3
    assert stored.answers["q9"] == 0
    assert stored.instrument_version


def test_a_retry_with_the_same_key_stores_one_checkin_and_answers_the_same(paul):
    path = link_path(paul)
    client = Client()
    first = client.post(path, form_body("k-retry", total=18, item9=2))
    second = client.post(path, form_body("k-retry", total=18, item9=2))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert CheckIn.objects.filter(patient=paul).count() == 1
    assert Alert.objects.filter(patient=paul).count() == 1


def test_the_same_key_with_different_answers_is_refused(paul):
    path = link_path(paul)
    Client().post(path, form_body("k-conflict", total=10))
    response = Client().post(path, form_body("k-conflict", total=11))
    assert response.status_code == 422
    assert CheckIn.objects.filter(patient=paul).count() == 1


def test_a_used_link_cannot_be_used_again(paul):
    path = link_path(paul)
    Client().post(path, form_body("k-once", total=8))
    assert Client().get(path).status_code == 410
    assert Client().post(path, form_body("k-other", total=8)).status_code == 410
    assert CheckIn.objects.filter(patient=paul).count() == 1


def test_an_impossible_answer_gets_a_field_message_and_stores_nothing(paul):
    body = form_body("k-bad", total=10)
    body["phq9__q2"] = "7"
    response = Client().post(link_path(paul), body)
    assert response.status_code == 422
    assert b"Select a valid choice" in response.content
    assert not CheckIn.objects.exists()
    assert not Alert.objects.exists()


def test_a_skipped_item9_is_stored_prorated_and_opens_a_follow_up_alert(paul):
    body = form_body("k-skip", total=12)
    del body["phq9__q9"]
    response = Client().post(link_path(paul), body)
    assert response.status_code == 200
    stored = Response.objects.get(patient=paul)
    assert stored.prorated
    assert stored.total == 14  # 12 over 8 answered items, times 9, rounded half up
    alert = Alert.objects.get(patient=paul)
    assert alert.priority == Priority.HIGH
    assert "not answered" in alert.reason


def test_an_empty_form_is_asked_again_keeps_the_link_and_still_raises_the_missing_item9(paul):
    path = link_path(paul)
    client = Client()

    first = client.post(path, {"idempotency_key": "k-empty"})
    again = client.post(path, {"idempotency_key": "k-empty-2"})

    assert first.status_code == again.status_code == 422
    assert b"Nothing was answered" in first.content
    assert not CheckIn.objects.exists()
    assert client.get(path).status_code == 200  # the link is still open
    # One alert for the care team (the same report sent again joins it), not stored.
    alert = Alert.objects.get(patient=paul)
    assert alert.priority == Priority.HIGH
    assert "not answered" in alert.reason
    assert "sent empty" in alert.reason
    assert alert.drivers["stored"] is False
    # Answering it then stores the check-in through the same link.
    assert client.post(path, form_body("k-now", total=6)).status_code == 200
    assert CheckIn.objects.filter(patient=paul).count() == 1


def test_item9_on_a_form_with_errors_still_opens_an_alert_and_shows_crisis_help(paul):
    body = form_body("k-err", total=18, item9=3)
    body["phq9__q2"] = "7"
    response = Client().post(link_path(paul), body)
    assert response.status_code == 422
    assert b'id="crisis-now"' in response.content
    assert not CheckIn.objects.exists()
    alert = Alert.objects.get(patient=paul)
    assert alert.priority == Priority.URGENT
    assert alert.drivers["stored"] is False


def test_item9_on_an_already_used_link_still_opens_an_alert(paul):
    path = link_path(paul)
    Client().post(path, form_body("k-first", total=5))
    response = Client().post(path, form_body("k-second-tab", total=19, item9=2))
    assert response.status_code == 410
    assert b'id="crisis-now"' in response.content
    assert CheckIn.objects.filter(patient=paul).count() == 1
    assert Alert.objects.get(patient=paul).priority == Priority.URGENT


def test_item9_in_a_changed_resubmission_still_opens_an_alert(paul):
    path = link_path(paul)
    Client().post(path, form_body("k-change", total=5))
    response = Client().post(path, form_body("k-change", total=16, item9=1))
    assert response.status_code == 422
    assert b'id="crisis-now"' in response.content
    assert Alert.objects.get(patient=paul).priority == Priority.HIGH


def test_the_same_key_from_two_patients_stores_two_checkins(paul):
    other = make_patient(paul.organization, given_name="Rosa")
    Client().post(link_path(paul), form_body("shared-key", total=8))
    response = Client().post(link_path(other), form_body("shared-key", total=8))
    assert response.status_code == 200
    assert b"Thank you, Rosa" in response.content
    assert CheckIn.objects.count() == 2


def test_the_form_needs_no_csrf_cookie_because_the_link_is_the_credential(paul):
    client = Client(enforce_csrf_checks=True)
    response = client.post(link_path(paul), form_body("k-csrf", total=8))
    assert response.status_code == 200


def test_an_expired_link_is_refused(paul):
    path = link_path(paul)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert Client().get(path).status_code == 410


def test_a_tampered_link_is_not_found(paul):
    path = link_path(paul)
    assert Client().get(path[:-3] + "abc/").status_code == 404


def test_submission_is_audited_without_clinical_values(paul):
    Client().post(link_path(paul), form_body("k-audit", total=21, item9=3))
    event = AuditEvent.objects.get(patient_id=paul.pk, object_type="CheckIn")
    assert (event.action, event.outcome) == ("create", "success")
    assert event.username.startswith("patient-link:")
    assert event.request_id
    # The trail's columns are identifiers and outcomes only: there is nowhere to put a score.
    columns = {field.name for field in AuditEvent._meta.get_fields()}
    assert columns == {
        "id",
        "at",
        "user_id",
        "username",
        "organization_id",
        "patient_id",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "address",
        "request_id",
        "previous_hash",
        "hash",
    }


def test_the_same_report_replayed_on_a_used_link_opens_one_alert_not_many(paul):
    """Ten copies of an item-9 report on a used link: one alert, still crisis help each time."""
    path = link_path(paul)
    Client().post(path, form_body("k-first", total=5))
    for attempt in range(10):
        response = Client().post(path, form_body(f"k-replay-{attempt}", total=19, item9=3))
        assert b'id="crisis-now"' in response.content
    assert Alert.objects.filter(patient=paul).count() == 1


def test_a_more_urgent_report_opens_a_new_alert_and_one_after_acknowledgement_too(paul):
    path = link_path(paul)
    Client().post(path, form_body("k-first", total=5))
    Client().post(path, form_body("k-high", total=12, item9=1))
    Client().post(path, form_body("k-urgent", total=19, item9=2))
    priorities = sorted(Alert.objects.filter(patient=paul).values_list("priority", flat=True))
    assert priorities == [Priority.HIGH, Priority.URGENT]
    Alert.objects.filter(patient=paul).update(status=AlertStatus.ACKNOWLEDGED)
    Client().post(path, form_body("k-again", total=19, item9=2))
    assert Alert.objects.filter(patient=paul, status=AlertStatus.OPEN).count() == 1


def test_opening_the_form_is_an_audited_read(paul):
    path = link_path(paul)
    before = AuditEvent.objects.filter(patient_id=paul.pk, action="read").count()
    Client().get(path)
    reads = AuditEvent.objects.filter(patient_id=paul.pk, action="read")
    assert reads.count() == before + 1
    assert reads.order_by("-pk").first().username.startswith("patient-link:")


def test_item9_on_an_expired_link_still_opens_an_alert(personas):
    issued = issue_link(SYSTEM, personas.paul, [InstrumentCode.PHQ9])
    body = {"idempotency_key": "late"}
    body.update({f"phq9__{k}": str(v) for k, v in phq9_answers(20, 3).items()})
    before = Alert.objects.count()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = Client().post(re.sub(r"^https?://[^/]+", "", issued.url), body)
    assert response.status_code == 410
    assert b'id="crisis-now"' in response.content
    assert Alert.objects.count() == before + 1
