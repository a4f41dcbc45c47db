"""Staff log their attempts to reach a patient who has not checked in; the list shows the
last one and keeps the patient until they check in. Personas: tests/personas.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent
from lasting.outreach.models import OutreachAttempt
from tests.factories import make_phq9
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def log(persona: str, patient, **fields: str):
    data = {"channel": "phone", "outcome": "no_answer", "note": "", **fields}
    data.setdefault("next", reverse("clinic:quiet"))
    return client_for(persona).post(reverse("outreach:log_contact", args=[patient.pk]), data)


@pytest.mark.parametrize("persona", ["sam_front", "rn_cara", "dr_ana"])
def test_the_front_desk_and_the_clinical_team_log_a_contact(personas, persona):
    response = log(persona, personas.paul, outcome="message", note="Voicemail, asked to call")

    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:quiet")
    attempt = OutreachAttempt.objects.get(patient=personas.paul)
    assert (attempt.channel, attempt.outcome, attempt.note) == (
        "phone",
        "message",
        "Voicemail, asked to call",
    )
    assert attempt.recorded_by == personas.member(persona).user
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="OutreachAttempt", patient_id=personas.paul.pk
    ).exists()


def test_the_list_shows_the_last_attempt_and_still_lists_a_reached_patient(personas):
    log("sam_front", personas.paul, outcome="no_answer")
    log("rn_cara", personas.paul, channel="text", outcome="reached")

    response = client_for("sam_front").get(reverse("clinic:quiet"))

    rows = response.context["rows"]
    assert [row.patient.pk for row, _ in rows] == [personas.paul.pk]
    last = rows[0][0].last_outreach
    assert (last.channel, last.outcome, last.recorded_by) == ("text", "reached", "Cara Tester")
    assert "Text message: reached" in response.content.decode()


def test_a_check_in_takes_the_patient_off_the_list(personas):
    log("sam_front", personas.paul)
    make_phq9(personas.paul, 8)

    response = client_for("sam_front").get(reverse("clinic:quiet"))

    assert response.context["rows"] == []


def test_the_patient_page_shows_the_log_and_the_form(personas):
    log("sam_front", personas.paul, note="Number changed?")

    page = client_for("dr_ana").get(reverse("clinic:patient", args=[personas.paul.pk]))

    text = page.content.decode()
    assert 'id="outreach"' in text
    assert "Number changed?" in text
    assert reverse("outreach:log_contact", args=[personas.paul.pk]) in text


def test_a_bad_value_is_refused_and_nothing_is_logged(personas):
    response = log("sam_front", personas.paul, outcome="teleported")

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not OutreachAttempt.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [("admin_dora", 403), ("dr_olga", 404)])
def test_nobody_else_logs_a_contact(personas, persona, status):
    assert log(persona, personas.paul).status_code == status
    assert not OutreachAttempt.objects.exists()


def test_a_foreign_next_url_is_not_followed(personas):
    response = log("sam_front", personas.paul, next="https://elsewhere.example/")

    assert response["Location"] == reverse("clinic:quiet")
