"""Errors on patient pages show crisis resources and no patient data, on the page or in logs.

Personas (tests/web/portal_support.py): patient_paul in Clinic A.
"""

from __future__ import annotations

import logging
import smtplib

import pytest
from django.test import Client

from lasting.audit.redaction import RedactingFilter
from tests.web.portal_support import PAUL_EMAIL, World, make_world, signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

CRISIS_EN = b"call or text 988"
CRISIS_ES = "llame al 988 y oprima 2, o envíe un mensaje de texto con la palabra AYUDA".encode()


@pytest.fixture
def world(personas) -> World:
    return make_world(personas)


def test_an_unknown_patient_address_is_not_found_with_crisis_help(world):
    response = Client().get("/me/nothing-here/")
    assert response.status_code == 404
    assert CRISIS_EN in response.content
    assert CRISIS_ES in response.content


def test_a_server_error_on_the_patient_page_shows_no_patient_data(world, mailoutbox, monkeypatch):
    client = signed_in_client(PAUL_EMAIL)
    client.raise_request_exception = False

    def explode(*args, **kwargs):
        raise RuntimeError("Moreno PHQ-9 total 23")

    monkeypatch.setattr("lasting.portal.views.get_home_for", explode)
    response = client.get("/me/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Moreno" not in response.content
    assert b"PHQ-9" not in response.content
    assert CRISIS_EN in response.content
    assert CRISIS_ES in response.content


def test_an_expired_form_explains_itself_in_both_languages_with_crisis_help(world):
    response = Client(enforce_csrf_checks=True).post("/me/sign-in/", {"email": PAUL_EMAIL})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert "Este formulario venció".encode() in response.content
    assert CRISIS_EN in response.content
    assert CRISIS_ES in response.content


def test_a_mail_failure_answers_the_same_and_logs_no_address(world, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({PAUL_EMAIL: (550, b"no such user")})

    monkeypatch.setattr("lasting.portal.services.send_mail", refuse)
    with caplog.at_level(logging.ERROR, logger="lasting.portal"):
        failed = Client().post("/me/sign-in/", {"email": PAUL_EMAIL}, follow=True)
    unknown = Client().post("/me/sign-in/", {"email": "nobody@example.org"}, follow=True)
    assert failed.status_code == 200
    assert failed.content == unknown.content
    [record] = [entry for entry in caplog.records if entry.name == "lasting.portal"]
    RedactingFilter().filter(record)
    logged = logging.Formatter("%(message)s").format(record)
    assert "e-mail not sent" in logged
    assert PAUL_EMAIL not in logged
    assert "Moreno" not in logged
