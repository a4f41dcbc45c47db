"""The public evaluation-request page: what it takes, what it refuses, and item 9.

Clinic A of the personas (tests/personas.py) has its page at /request/<slug>/; nobody
signs in. Safety alerts need a patient: an item 9 of 1 or more registers the person at
once and stores the answers through the one door (docs/clinical.md#evaluation-requests).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Role
from lasting.alerts.escalation import notification_recipients
from lasting.alerts.models import Alert, AlertKind, Priority
from lasting.audit.models import AuditEvent, Outcome
from lasting.checkins.models import CheckIn
from lasting.evaluations.models import EvaluationRequest
from lasting.evaluations.services import REQUESTS_PER_CLIENT, sign_form_start
from lasting.patients.models import Patient, Phase
from tests.factories import make_crisis_resource, make_location, make_member, make_patient
from tests.personas import client_for
from tests.web.evaluation_support import request_url, send_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """`send_request`, then what it queued after its commit (the e-mails), as a server runs."""

    def sending(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return send_request(*args, **kwargs)

    return sending


def test_the_page_opens_without_signing_in_in_english_and_spanish(clinic):
    english = Client().get(request_url(clinic))
    spanish = Client().get(request_url(clinic), {"lang": "es"})

    assert english.status_code == 200
    assert "Ask for a confidential evaluation" in english.content.decode()
    assert spanish["Content-Language"] == "es"
    assert "Solicite una evaluación confidencial" in spanish.content.decode()
    # The official Spanish PHQ-9 text, from the core's data files.
    assert "Poco interés o placer en hacer cosas" in spanish.content.decode()


def test_an_unknown_clinic_answers_404():
    assert Client().get(reverse("evaluations:request", args=["no-such-clinic"])).status_code == 404


def test_only_the_clinics_active_locations_are_offered(personas):
    open_office = make_location(personas.clinic, name="Pearl Street")
    make_location(personas.clinic, name="Closed Office", is_active=False)
    make_location(personas.other_clinic, name="Elsewhere")

    form = Client().get(request_url(personas.clinic)).context["form"]

    assert list(form.fields["location"].queryset) == [open_office]


def test_a_complete_request_is_stored_with_its_answers_in_e164(clinic):
    location = make_location(clinic, name="Pearl Street")

    response, stored = send_request(clinic, location=str(location.pk))

    assert response.status_code == 200
    assert "your request was sent" in response.content.decode()
    assert stored is not None
    assert stored.phone == "+13035550142"
    assert stored.location == location
    assert stored.answers["phq9"]["q1"] == 2
    assert stored.screening["pregnancy"] == "no"
    assert stored.patient is None  # no item 9: no patient until a clinician books
    assert not Patient.objects.filter(record_number=f"REQ-{stored.pk}").exists()


def test_a_phone_that_cannot_be_dialled_is_refused_with_the_reason(clinic):
    response, stored = send_request(clinic, phone="555-01")

    assert response.status_code == 422
    assert stored is None
    assert "not a phone number we can call" in response.content.decode()


def test_a_request_needs_an_email_or_a_phone(clinic):
    response, stored = send_request(clinic, email="", phone="")

    assert response.status_code == 422
    assert stored is None
    assert "Please give an e-mail address or a phone number" in response.content.decode()


def test_a_phone_alone_is_enough(clinic):
    response, stored = send_request(clinic, email="")

    assert response.status_code == 200
    assert stored is not None
    assert stored.email == ""


def test_every_phq9_item_must_be_answered(clinic):
    response, stored = send_request(clinic, phq9__q4=None)

    assert response.status_code == 422
    assert stored is None
    assert "Please answer this question." in response.content.decode()


def test_a_filled_honeypot_is_refused_politely_and_stores_nothing(clinic, send):
    response, stored = send(clinic, website="https://spam.example")

    assert response.status_code == 429
    assert stored is None
    page = response.content.decode()
    assert "We could not take your request just now" in page
    assert "honeypot" not in page
    assert "website" not in page.split("<main")[1]
    assert AuditEvent.objects.filter(object_id="honeypot", outcome=Outcome.DENIED).exists()
    assert mail.outbox == []


def test_a_form_sent_seconds_after_it_was_served_is_refused(clinic):
    response, stored = send_request(clinic, started=sign_form_start(timezone.now()))

    assert response.status_code == 429
    assert stored is None
    assert "We could not take your request just now" in response.content.decode()


def test_a_forged_start_time_is_refused(clinic):
    response, stored = send_request(clinic, started="1700000000:forged")

    assert response.status_code == 429
    assert stored is None


def test_a_form_served_a_day_ago_is_refused(clinic):
    started = sign_form_start(timezone.now() - timedelta(days=1))

    response, stored = send_request(clinic, started=started)

    assert response.status_code == 429
    assert stored is None


def test_one_address_may_send_a_few_requests_an_hour_then_is_refused(clinic):
    for _ in range(REQUESTS_PER_CLIENT):
        assert send_request(clinic, address="10.9.9.9")[0].status_code == 200

    refused, stored = send_request(clinic, address="10.9.9.9")
    elsewhere, other = send_request(clinic, address="10.9.9.10")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert stored is None
    assert elsewhere.status_code == 200
    assert other is not None


def test_bot_refusals_count_towards_the_limit(clinic):
    for _ in range(REQUESTS_PER_CLIENT):
        send_request(clinic, address="10.7.7.7", website="x")

    refused, stored = send_request(clinic, address="10.7.7.7")

    assert refused.status_code == 429
    assert stored is None


def test_a_double_submit_stores_one_request(clinic):
    _response, stored = send_request(clinic, item9=1, idempotency_key="k" * 32)
    again, same = send_request(clinic, item9=1, idempotency_key="k" * 32)

    assert again.status_code == 200
    assert same == stored
    assert EvaluationRequest.objects.filter(organization=clinic).count() == 1
    assert Alert.objects.filter(kind=AlertKind.SAFETY).count() == 1


# Item 9 -------------------------------------------------------------------------------


def test_the_same_form_sent_again_with_a_changed_item9_takes_the_item9_path(clinic):
    """Back, item 9 changed from 0 to 3, sent again: not the first request's answer."""
    _response, first = send_request(clinic, item9=0, idempotency_key="b" * 32)
    response, _ = send_request(clinic, item9=3, idempotency_key="b" * 32)
    second = EvaluationRequest.objects.exclude(pk=first.pk).get()

    assert first.patient is None
    assert second.pk != first.pk
    assert second.patient is not None
    assert 'id="crisis-now"' in response.content.decode()
    alert = Alert.objects.get(patient=second.patient, kind=AlertKind.SAFETY)
    assert alert.priority == Priority.URGENT
    # And that changed form sent once more is still one request.
    send_request(clinic, item9=3, idempotency_key="b" * 32)
    assert EvaluationRequest.objects.filter(organization=clinic).count() == 2


def test_item9_shows_the_clinics_crisis_line_in_the_requesters_language_at_once(clinic):
    make_crisis_resource(
        clinic,
        language="es",
        name="Línea de la clínica",
        phone="555-0199",
        instructions="Llame al 555-0199.",
    )

    response, _stored = send_request(clinic, item9=1, lang="es")

    page = response.content.decode()
    assert 'id="crisis-now"' in page
    assert "Línea de la clínica" in page.split('id="crisis-now"')[1].split("</aside>")[0]
    assert "Gracias: su solicitud fue enviada" in page


def test_no_crisis_box_at_once_when_item9_is_zero(clinic):
    response, _ = send_request(clinic, item9=0)

    assert 'id="crisis-now"' not in response.content.decode()
    assert 'id="crisis-footer"' in response.content.decode()  # always there, quietly


def test_item9_registers_the_person_and_opens_a_safety_alert_through_the_door(personas):
    _response, stored = send_request(personas.clinic, item9=1)

    assert stored is not None
    assert stored.patient is not None
    patient = stored.patient
    assert patient.record_number == f"REQ-{stored.pk}"
    assert patient.courses.get().phase == Phase.EVALUATION
    assert patient.assigned_clinician is None
    checkin = CheckIn.objects.get(patient=patient)
    assert [r.instrument for r in checkin.responses.order_by("instrument")] == ["gad7", "phq9"]
    alert = Alert.objects.get(patient=patient, kind=AlertKind.SAFETY)
    assert alert.priority != Priority.URGENT  # item 9 = 1: a safety alert, not urgent
    assert alert.response.checkin == checkin


@pytest.mark.parametrize("item9", [0, 2])
def test_a_request_without_diagnoses_is_registered_too(personas, item9):
    # "Diagnoses you have been given (if any)": a person new to care may tick none. Item 9
    # registers them at once, and booking registers the others: neither may fail.
    response, stored = send_request(personas.clinic, item9=item9, known_diagnoses=None)
    assert response.status_code in (200, 302)
    if item9 == 0:
        booked = client_for("dr_ana").post(reverse("evaluations:book", args=[stored.pk]))
        assert booked.status_code == 302
    stored.refresh_from_db()

    assert stored.patient is not None
    assert stored.patient.diagnoses == []
    if item9:
        assert Alert.objects.get(patient=stored.patient).priority == Priority.URGENT


def test_a_record_number_the_clinic_uses_already_is_not_taken_twice(personas):
    _, stored = send_request(personas.clinic)
    make_patient(personas.clinic, record_number=f"req-{stored.pk}")

    client_for("dr_ana").post(reverse("evaluations:book", args=[stored.pk]))

    stored.refresh_from_db()
    assert stored.patient.record_number == f"REQ-{stored.pk}-2"


def test_item9_of_2_opens_an_urgent_alert(clinic):
    _, stored = send_request(clinic, item9=2)

    assert Alert.objects.get(patient=stored.patient).priority == Priority.URGENT


def test_the_alert_reaches_every_clinician_when_nobody_is_assigned(personas, send):
    _, stored = send(personas.clinic, item9=1, email="")

    alert = Alert.objects.get(patient=stored.patient)
    told = {user.username for user in notification_recipients(alert)}
    assert told == {"dr_ana", "dr_ben"}
    alert_mails = [m for m in mail.outbox if "safety alert" in m.subject]
    assert len(alert_mails) == 1
    assert set(alert_mails[0].to) == {"dr_ana@example.org", "dr_ben@example.org"}


def test_the_alert_reaches_the_admins_of_a_clinic_without_clinicians(personas, send):
    lone = personas.other_clinic  # dr_olga is its only clinician: make it a nurse's clinic
    personas.dr_olga.role = Role.STAFF
    personas.dr_olga.save()
    make_member(lone, Role.ADMIN, "admin_olaf")

    _, stored = send(lone, item9=3)

    alert = Alert.objects.get(patient=stored.patient)
    assert [user.username for user in notification_recipients(alert)] == ["admin_olaf"]
    assert any("admin_olaf@example.org" in m.to for m in mail.outbox)


def test_at_night_the_alert_also_reaches_the_after_hours_contact(personas, send):
    personas.clinic.after_hours_contact = personas.rn_cara.user
    personas.clinic.save()

    with time_machine.travel(datetime(2026, 12, 6, 8, 0, tzinfo=UTC)):  # Sunday, 3 AM in NY
        _, stored = send(personas.clinic, item9=1, email="")

    alert = Alert.objects.get(patient=stored.patient)
    told = {user.username for user in notification_recipients(alert)}
    assert told == {"dr_ana", "dr_ben", "rn_cara"}
    assert any("rn_cara@example.org" in m.to for m in mail.outbox if "safety" in m.subject)


def test_item9_on_a_form_with_errors_still_shows_crisis_resources(clinic):
    response, stored = send_request(clinic, item9=2, email="", phone="")

    assert response.status_code == 422
    assert stored is None
    assert 'id="crisis-now"' in response.content.decode()


def test_item9_on_a_refused_submission_still_shows_crisis_resources(clinic):
    response, _ = send_request(clinic, item9=1, website="filled")

    assert response.status_code == 429
    assert 'id="crisis-now"' in response.content.decode()


# E-mails: nothing about the request in clear text ---------------------------------------


def test_the_confirmation_says_only_that_the_request_arrived_in_the_requesters_language(
    personas, send
):
    send(personas.clinic, item9=2, lang="es", email="rosa@example.net")

    confirmation = next(m for m in mail.outbox if m.to == ["rosa@example.net"])
    assert confirmation.subject == "Recibimos su solicitud"
    text = confirmation.subject + confirmation.body
    for secret in (
        "Quintero",
        "Rosa",
        "Depression",
        "Sertraline",
        "PHQ",
        "ketamina",
        "ketamine",
        "Clinic A",
        "item",
        "+1303",
    ):
        assert secret.lower() not in text.lower(), secret


def test_the_staff_notice_names_nobody_and_links_to_the_inbox(personas, send):
    send(personas.clinic, item9=0)

    notice = next(m for m in mail.outbox if "evaluation request" in m.subject)
    assert notice.to == ["sam_front@example.org"]  # the front desk makes first contact
    assert reverse("evaluations:inbox") in notice.body
    for secret in ("Quintero", "Rosa", "Depression", "Sertraline", "rosa@example.net", "0142"):
        assert secret not in notice.subject + notice.body, secret


def test_no_confirmation_without_an_email_address(personas, send):
    send(personas.clinic, email="")

    assert all("Recibimos" not in m.subject and "We received" not in m.subject for m in mail.outbox)


def test_a_job_run_twice_sends_each_email_once(personas, send):
    from lasting.evaluations.services import send_request_emails

    _, stored = send(personas.clinic)
    sent_before = len(mail.outbox)

    assert send_request_emails(stored.pk) == 0
    assert len(mail.outbox) == sent_before == 2


# What to expect ---------------------------------------------------------------------------


def test_what_to_expect_is_linked_and_explains_the_course_in_both_languages(clinic):
    form = Client().get(request_url(clinic)).content.decode()
    english = Client().get(reverse("evaluations:what_to_expect", args=[clinic.slug]))
    spanish = Client().get(
        reverse("evaluations:what_to_expect", args=[clinic.slug]), {"lang": "es"}
    )

    assert reverse("evaluations:what_to_expect", args=[clinic.slug]) in form
    for words in ("Induction", "Maintenance", "Check-ins"):
        assert words in english.content.decode()
    for words in ("Inducción", "Mantenimiento", "Cuestionarios de seguimiento"):
        assert words in spanish.content.decode()


# Spanish throughout ------------------------------------------------------------------------


def english_words_of_the_pages() -> list[str]:
    """Every English msgid of the request pages' own catalogue, as a page would show it."""
    import html
    import re

    from tests.web.test_portal_spanish import SOURCE, read_po

    catalogue = read_po(SOURCE / "lasting/evaluations/locale/es/LC_MESSAGES/django.po")
    texts = []
    for key in catalogue:
        msgid = key[0] if isinstance(key, tuple) else key
        if not isinstance(msgid, str) or not msgid or "\x04" in msgid:
            continue
        for part in re.split(r"%\(\w+\)[sd]", msgid):
            if len(part.strip()) > 4:
                texts.append(html.escape(part.strip(" .\n"), quote=True))
    return texts


@pytest.mark.parametrize("item9", [0, 1])
def test_the_spanish_pages_have_no_english_words_of_their_own(clinic, item9):
    # The visitor's own words come back on a form with errors: Spanish ones here.
    form_with_errors, _ = send_request(
        clinic, lang="es", email="", phone="", item9=item9, reason="Tristeza"
    )
    sent, _ = send_request(clinic, lang="es", item9=item9)
    expect = Client().get(reverse("evaluations:what_to_expect", args=[clinic.slug]), {"lang": "es"})

    for response in (form_with_errors, sent, expect):
        page = response.content.decode()
        assert [text for text in english_words_of_the_pages() if text in page] == []


def test_a_retry_of_a_stored_request_is_not_refused_as_a_flood(clinic):
    for _ in range(REQUESTS_PER_CLIENT - 1):
        send_request(clinic, address="10.6.6.6")
    first, stored = send_request(clinic, address="10.6.6.6", idempotency_key="r" * 32)

    retry, same = send_request(clinic, address="10.6.6.6", idempotency_key="r" * 32)

    assert first.status_code == retry.status_code == 200
    assert same == stored
    assert send_request(clinic, address="10.6.6.6")[0].status_code == 429  # a new one is
