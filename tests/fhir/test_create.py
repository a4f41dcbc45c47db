"""POST /fhir/QuestionnaireResponse: scored on arrival and stored through the one door, the
item-9 rule applied as on the web, bad input refused with an OperationOutcome that names
the problem and stores nothing, retries answered once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.alerts.models import Alert, AlertKind, Priority
from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import CheckIn, Source
from tests.factories import phq9_answers
from tests.fhir.support import bearer, fhir_json, phq9_response, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(personas):
    return bearer(token_for(personas, "rn_cara"))


def post(client, resource, **headers):
    body = resource if isinstance(resource, str | bytes) else json.dumps(resource)
    return client.post(
        "/fhir/QuestionnaireResponse", body, content_type="application/fhir+json", headers=headers
    )


def test_item9_of_2_opens_an_urgent_safety_alert_on_the_patient(personas, nurse):
    paul = personas.paul
    response = post(nurse, phq9_response(paul.pk, phq9_answers(16, item9=2)))
    stored = fhir_json(response)
    assert response.status_code == 201
    assert response["Location"].endswith(f"/fhir/QuestionnaireResponse/{stored['id']}")
    checkin = CheckIn.objects.get(patient=paul)
    assert checkin.source == Source.FHIR
    assert checkin.responses.get().total == 16
    alert = Alert.objects.get(patient=paul)
    assert (alert.kind, alert.priority) == (AlertKind.SAFETY, Priority.URGENT)
    assert AuditEvent.objects.filter(
        action=Action.CREATE, patient_id=paul.pk, object_type="CheckIn"
    ).exists()


def test_item9_of_0_opens_nothing_and_answer_options_count_as_answers(personas, nurse):
    resource = phq9_response(personas.paul.pk, phq9_answers(5))
    resource["item"][0] = {"linkId": "q1", "answer": [{"valueCoding": {"code": "3"}}]}
    stored = fhir_json(post(nurse, resource))
    assert stored["item"][0]["answer"][0]["valueCoding"]["code"] == "3"
    assert CheckIn.objects.get().responses.get().total == 5 - phq9_answers(5)["q1"] + 3
    assert not Alert.objects.exists()


def test_a_retry_with_the_same_key_returns_the_stored_response_once(personas, nurse):
    resource = phq9_response(personas.paul.pk, phq9_answers(12, item9=1))
    first = post(nurse, resource, **{"Idempotency-Key": "ehr-123"})
    again = post(nurse, resource, **{"Idempotency-Key": "ehr-123"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert fhir_json(first)["id"] == fhir_json(again)["id"]
    assert CheckIn.objects.count() == Alert.objects.count() == 1


def test_the_same_key_with_other_answers_is_refused_and_keeps_its_item9(personas, nurse):
    paul = personas.paul
    key = {"Idempotency-Key": "k1"}
    post(nurse, phq9_response(paul.pk, phq9_answers(4)), **key)
    changed = post(nurse, phq9_response(paul.pk, phq9_answers(9, item9=2)), **key)
    assert changed.status_code == 422
    assert "Idempotency-Key" in fhir_json(changed)["issue"][0]["diagnostics"]
    assert CheckIn.objects.count() == 1
    assert Alert.objects.get(patient=paul).priority == Priority.URGENT


@pytest.mark.parametrize(
    ("change", "status", "named"),
    [
        (lambda r: "not json", 400, "not JSON"),
        (lambda r: {**r, "resourceType": "Observation"}, 400, "QuestionnaireResponse"),
        (
            lambda r: {**r, "item": [{"linkId": "q1", "answer": [{"valueInteger": "x"}]}]},
            400,
            "item.0.answer.0.valueInteger",
        ),
        (lambda r: {**r, "questionnaire": "Questionnaire/beck"}, 422, "Questionnaire/phq9"),
        (lambda r: {**r, "subject": {"reference": "Group/1"}}, 422, "subject"),
        (lambda r: {**r, "status": "in-progress"}, 422, "status"),
        (lambda r: {**r, "item": [*r["item"], {"linkId": "q10"}]}, 422, "q10"),
        (lambda r: {**r, "item": [*r["item"], r["item"][0]]}, 422, "given twice"),
        (
            lambda r: {**r, "authored": (timezone.now() + timedelta(hours=2)).isoformat()},
            422,
            "future",
        ),
        (lambda r: {**r, "authored": "2026-01-02"}, 422, "offset"),
    ],
)
def test_bad_input_is_refused_by_name_and_stores_nothing(personas, nurse, change, status, named):
    resource = change(phq9_response(personas.paul.pk, phq9_answers(6)))
    response = post(nurse, resource)
    outcome = fhir_json(response)
    assert response.status_code == status
    assert outcome["resourceType"] == "OperationOutcome"
    assert named in outcome["issue"][0]["diagnostics"]
    assert not CheckIn.objects.exists()
    assert not Alert.objects.exists()


def test_a_refused_response_with_item9_still_opens_its_safety_alert(personas, nurse):
    answers = {**phq9_answers(6, item9=2), "q1": 7}
    response = post(nurse, phq9_response(personas.paul.pk, answers))
    assert response.status_code == 422
    assert "q1" in fhir_json(response)["issue"][0]["diagnostics"].lower()
    assert not CheckIn.objects.exists()
    alert = Alert.objects.get(patient=personas.paul)
    assert (alert.priority, alert.drivers["stored"]) == (Priority.URGENT, False)


def test_a_response_dated_in_the_past_keeps_its_time(personas, nurse):
    authored = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    resource = phq9_response(personas.paul.pk, phq9_answers(3), authored=authored.isoformat())
    fhir_json(post(nurse, resource))
    assert CheckIn.objects.get().submitted_at == authored
