"""How every operation speaks: tokens only, problem details, cursor pages, the docs."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from lasting.accounts.models import ApiToken
from lasting.audit.models import Action, AuditEvent, Outcome
from tests.api.support import api_client, token_for
from tests.factories import make_patient
from tests.personas import client_for

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def test_no_token_is_401_problem(personas):
    response = Client().get("/api/v1/patients")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["title"] == "Unauthorized"


def test_a_staff_session_cookie_is_not_a_token(personas):
    assert client_for("dr_ana").get("/api/v1/patients").status_code == 401


def test_a_revoked_token_opens_nothing(personas):
    secret = token_for(personas, "dr_ana")
    ApiToken.objects.update(revoked_at=timezone.now())
    assert api_client(secret).get("/api/v1/patients").status_code == 401


def test_unknown_path_and_wrong_method_are_problems(clients, personas):
    missing = clients["dr_ana"].get("/api/v1/no/such/thing")
    assert (missing.status_code, missing["Content-Type"]) == (404, PROBLEM)
    wrong = clients["dr_ana"].delete(f"/api/v1/patients/{personas.paul.pk}")
    assert (wrong.status_code, wrong["Content-Type"]) == (405, PROBLEM)
    assert wrong["Allow"] == "GET"


def test_invalid_body_names_the_field(clients, personas):
    response = clients["dr_ana"].post(
        f"/api/v1/patients/{personas.paul.pk}/checkins",
        {"answers": "nine"},
        content_type="application/json",
        headers={"Idempotency-Key": "a"},
    )
    assert (response.status_code, response["Content-Type"]) == (422, PROBLEM)
    problem = response.json()
    assert problem["status"] == 422
    assert ["body", "payload", "answers"] in [e["loc"] for e in problem["errors"]]


def test_another_organisations_patient_is_404_and_the_refusal_audited(clients, personas):
    response = clients["dr_olga"].get(f"/api/v1/patients/{personas.paul.pk}")
    assert response.status_code == 404
    assert b"Moreno" not in response.content
    denied = AuditEvent.objects.filter(outcome=Outcome.DENIED, username="dr_olga")
    assert [(e.object_type, e.object_id) for e in denied] == [("Patient", str(personas.paul.pk))]


def test_cursor_pages_walk_every_patient_once(clients, personas):
    for n in range(5):
        make_patient(personas.clinic, family_name=f"Zed{n}")
    client, seen = clients["sam_front"], []
    url = "/api/v1/patients?limit=2"
    while url:
        page = client.get(url).json()
        assert len(page["items"]) <= 2
        seen += [patient["id"] for patient in page["items"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 6


def test_a_bad_cursor_or_limit_is_400(clients):
    assert clients["dr_ana"].get("/api/v1/patients?cursor=%%%").status_code == 400
    assert clients["dr_ana"].get("/api/v1/patients?limit=101").status_code == 400


def test_a_list_audits_each_patient_shown(clients, personas):
    clients["dr_ana"].get("/api/v1/patients")
    read = AuditEvent.objects.filter(action=Action.READ, object_type="api:patients")
    assert [event.patient_id for event in read] == [personas.paul.pk]


def test_search_finds_by_name_and_is_audited_as_a_search(clients, personas):
    found = clients["dr_ana"].get("/api/v1/patients?q=mor").json()["items"]
    assert [patient["id"] for patient in found] == [personas.paul.pk]
    assert AuditEvent.objects.filter(action=Action.SEARCH, patient_id=personas.paul.pk).exists()


def test_schedulers_get_no_clinical_fields(clients, personas):
    patient = clients["sam_front"].get(f"/api/v1/patients/{personas.paul.pk}").json()
    assert patient["clinical"] is None
    assert "trd_mdd" not in str(patient)
    assert clients["dr_ana"].get(f"/api/v1/patients/{personas.paul.pk}").json()["clinical"]


def test_openapi_and_docs_work_offline(personas):
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["info"] == {**schema["info"], "title": "Lasting API", "version": "1"}
    assert "/api/v1/patients/{patient_id}/checkins" in schema["paths"]
    page = Client().get("/api/v1/docs").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(source.startswith("/static/") for source in sources)


def test_an_id_beyond_the_database_is_422_not_a_server_error(clients):
    response = clients["dr_ana"].get(f"/api/v1/patients/{2**63}")
    assert (response.status_code, response["Content-Type"]) == (422, PROBLEM)
