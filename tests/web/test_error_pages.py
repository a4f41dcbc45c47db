"""Error pages say what happened and nothing about any patient."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lasting.accounts.models import Role
from tests.factories import make_member, make_organization, make_patient, sign_in

pytestmark = pytest.mark.django_db


def test_a_foreign_patient_gives_a_plain_not_found_page():
    paul = make_patient(make_organization(), family_name="Zimmerman")
    make_member(make_organization(), Role.CLINICIAN, "dr_olga")
    client = Client()
    sign_in(client, "dr_olga")
    response = client.get(reverse("clinic:patient", args=[paul.pk]))
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"Zimmerman" not in response.content


def test_a_server_error_page_shows_no_details(monkeypatch):
    clinic = make_organization()
    paul = make_patient(clinic, family_name="Zimmerman")
    make_member(clinic, Role.CLINICIAN, "dr_ana")
    client = Client(raise_request_exception=False)
    sign_in(client, "dr_ana")

    def explode(*args, **kwargs):
        raise RuntimeError("Zimmerman PHQ-9 total 23")

    monkeypatch.setattr("lasting.clinic.views.timeline_spec", explode)
    response = client.get(reverse("clinic:patient", args=[paul.pk]))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Zimmerman" not in response.content
    assert b"PHQ-9" not in response.content
