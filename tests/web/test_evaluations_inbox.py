"""The staff's inbox of evaluation requests: who sees what, status changes with who and
when, and booking through the one door.

Personas (tests/personas.py): clinicians (dr_ana, dr_ben) and the nurse (rn_cara) see
everything and book; the scheduler (sam_front) sees who asked and how to reach them,
marks contacted or declined, never scores, item 9 or screening answers, and cannot book;
the admin (admin_dora) sees no request; dr_olga of Clinic B finds none of Clinic A's.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from lasting.alerts.models import Alert, AlertKind
from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import CheckIn, Source
from lasting.evaluations.models import EvaluationRequest, RequestStatus
from lasting.patients.models import Patient, Phase
from tests.personas import client_for
from tests.web.evaluation_support import send_request

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

PERSONAS = ("dr_ana", "dr_ben", "rn_cara", "sam_front", "admin_dora", "dr_olga")


@pytest.fixture
def waiting(personas) -> EvaluationRequest:
    """Rosa's request to Clinic A: PHQ-9 18 with item 9 = 0, pregnancy answered "yes"."""
    _, stored = send_request(personas.clinic, screening__pregnancy="yes")
    assert stored is not None
    return stored


@pytest.fixture
def positive(personas) -> EvaluationRequest:
    """A request with item 9 = 2: its person is a patient already, with an urgent alert."""
    _, stored = send_request(personas.clinic, item9=2, given_name="Iris", email="")
    assert stored is not None
    return stored


# Access: every page against every persona ------------------------------------------------

PAGES = {
    "inbox": (lambda r: reverse("evaluations:inbox"), (200, 200, 200, 200, 403, 200)),
    "detail": (
        lambda r: reverse("evaluations:detail", args=[r.pk]),
        (200, 200, 200, 200, 403, 404),
    ),
}
POSTS = {
    # Marking contacted: the front desk and the clinical team.
    "contacted": (
        lambda r: reverse("evaluations:status", args=[r.pk]),
        {"status": "contacted"},
        (302, 302, 302, 302, 403, 404),
    ),
    # Booking registers a patient with scores: clinicians and nurses only.
    "book": (
        lambda r: reverse("evaluations:book", args=[r.pk]),
        {},
        (302, 302, 302, 403, 403, 404),
    ),
}


@pytest.mark.parametrize(("page", "persona"), [(p, who) for p in PAGES for who in PERSONAS])
def test_each_inbox_page_answers_each_persona_as_the_rules_say(waiting, page, persona):
    url, expected = PAGES[page]

    response = client_for(persona).get(url(waiting))

    assert response.status_code == expected[PERSONAS.index(persona)]


@pytest.mark.parametrize(("action", "persona"), [(a, who) for a in POSTS for who in PERSONAS])
def test_each_inbox_action_answers_each_persona_and_changes_nothing_when_refused(
    waiting, action, persona
):
    url, data, expected = POSTS[action]
    allowed = expected[PERSONAS.index(persona)] == 302

    response = client_for(persona).post(url(waiting), data)

    assert response.status_code == expected[PERSONAS.index(persona)]
    waiting.refresh_from_db()
    assert (waiting.status != RequestStatus.NEW) == allowed
    assert (waiting.patient_id is not None) == (allowed and action == "book")


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_login(waiting, page):
    response = Client().get(PAGES[page][0](waiting))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_public_pages_answer_everyone_without_signing_in(personas):
    for url in (
        reverse("evaluations:request", args=[personas.clinic.slug]),
        reverse("evaluations:what_to_expect", args=[personas.clinic.slug]),
    ):
        for persona in PERSONAS:
            assert client_for(persona).get(url).status_code == 200
        assert Client().get(url).status_code == 200


def test_a_foreign_clinicians_inbox_lists_none_of_clinic_as_requests(waiting):
    page = client_for("dr_olga").get(reverse("evaluations:inbox"), {"show": "all"})

    assert page.context["requests"] == []
    assert "Quintero" not in page.content.decode()


# What each role reads ----------------------------------------------------------------------


def test_the_clinical_team_reads_the_scores_item9_and_screening(positive):
    page = client_for("rn_cara").get(reverse("evaluations:detail", args=[positive.pk]))

    text = page.content.decode()
    assert 'id="score-phq9"' in text
    assert 'id="item9-warning"' in text
    assert "Are you pregnant" in text


# The page's CSRF tokens are random letters and digits: one may spell "GAD" or "PHQ".
CSRF_TOKEN = re.compile(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*')


def test_the_scheduler_sees_contact_details_but_never_answers(positive):
    page = client_for("sam_front").get(reverse("evaluations:detail", args=[positive.pk]))

    text = CSRF_TOKEN.sub(r"\1", page.content.decode())
    assert "Iris" in text
    assert "+13035550142" in text
    for clinical in ("score-phq9", "item9", "PHQ", "GAD", "pregnan", "Depression", "Sertraline"):
        assert clinical not in text, clinical
    assert page.context["page"].scores == []
    assert page.context["page"].item9 is None
    assert page.context["page"].screening == {}
    assert 'id="book-evaluation"' not in text
    assert 'id="patient-link"' not in text


def test_the_inbox_shows_open_requests_newest_first_with_contact_details(personas, waiting):
    _, later = send_request(personas.clinic, given_name="Mateo", family_name="Ibarra")

    page = client_for("sam_front").get(reverse("evaluations:inbox"))

    assert page.context["requests"] == [later, waiting]
    assert "+13035550142" in page.content.decode()


# Reads and changes are audited -------------------------------------------------------------


def test_every_staff_read_of_a_request_is_audited(personas, waiting):
    client_for("sam_front").get(reverse("evaluations:detail", args=[waiting.pk]))
    client_for("sam_front").get(reverse("evaluations:inbox"))

    reads = AuditEvent.objects.filter(
        action=Action.READ, user_id=personas.sam_front.user_id, object_type="EvaluationRequest"
    )
    assert sorted(reads.values_list("object_id", flat=True)) == sorted([str(waiting.pk), "inbox"])


def test_a_status_change_is_recorded_with_who_and_when_and_audited(personas, waiting):
    response = client_for("sam_front").post(
        reverse("evaluations:status", args=[waiting.pk]), {"status": "contacted"}
    )

    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.CONTACTED
    change = waiting.status_changes.get()
    assert change.changed_by == personas.sam_front.user
    assert change.changed_at is not None
    assert AuditEvent.objects.filter(
        action=Action.UPDATE,
        user_id=personas.sam_front.user_id,
        object_type="EvaluationRequest",
        object_id=str(waiting.pk),
    ).exists()


def test_declining_needs_a_reason(waiting):
    refused = client_for("dr_ben").post(
        reverse("evaluations:status", args=[waiting.pk]), {"status": "declined"}
    )
    declined = client_for("dr_ben").post(
        reverse("evaluations:status", args=[waiting.pk]),
        {"status": "declined", "decline_reason": "not_suitable", "note": "pregnant"},
    )

    assert refused.status_code == 422
    assert declined.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.DECLINED
    assert waiting.decline_reason == "not_suitable"
    assert waiting.status_changes.get().note == "pregnant"


def test_the_scheduler_does_not_read_a_decline_note(waiting):
    client_for("dr_ben").post(
        reverse("evaluations:status", args=[waiting.pk]),
        {"status": "declined", "decline_reason": "not_suitable", "note": "pregnant"},
    )

    page = client_for("sam_front").get(reverse("evaluations:detail", args=[waiting.pk]))

    history = page.content.decode().split('id="history"')[1]
    assert "pregnant" not in page.content.decode()
    assert "declined (not suitable for ketamine therapy here) by Ben Tester" in history


def test_a_booked_request_cannot_be_declined_afterwards(waiting):
    client_for("dr_ana").post(reverse("evaluations:book", args=[waiting.pk]))

    response = client_for("dr_ana").post(
        reverse("evaluations:status", args=[waiting.pk]),
        {"status": "declined", "decline_reason": "other"},
    )

    assert response.status_code == 422
    waiting.refresh_from_db()
    assert waiting.status == RequestStatus.BOOKED


# Booking -------------------------------------------------------------------------------------


def test_booking_registers_an_evaluation_patient_with_the_answers_as_first_checkin(
    personas, waiting
):
    response = client_for("rn_cara").post(reverse("evaluations:book", args=[waiting.pk]))

    assert response.status_code == 302
    waiting.refresh_from_db()
    patient = waiting.patient
    assert waiting.status == RequestStatus.BOOKED
    assert patient.organization == personas.clinic
    assert (patient.given_name, patient.family_name) == ("Rosa", "Quintero")
    assert patient.phone == "+13035550142"
    assert patient.diagnoses == ["trd_mdd"]
    assert patient.record_number == f"REQ-{waiting.pk}"
    assert patient.courses.get().phase == Phase.EVALUATION
    checkin = CheckIn.objects.get(patient=patient)
    assert checkin.submitted_at == waiting.received_at
    assert checkin.source == Source.LINK
    totals = {r.instrument: r.total for r in checkin.responses.all()}
    assert totals == {"phq9": 16, "gad7": 7}
    assert not Alert.objects.filter(patient=patient, kind=AlertKind.SAFETY).exists()
    assert waiting.status_changes.get().changed_by == personas.rn_cara.user


def test_booking_twice_makes_one_patient_and_one_checkin(waiting):
    client = client_for("dr_ana")
    client.post(reverse("evaluations:book", args=[waiting.pk]))
    client.post(reverse("evaluations:book", args=[waiting.pk]))

    assert Patient.objects.filter(record_number=f"REQ-{waiting.pk}").count() == 1
    assert CheckIn.objects.filter(patient__record_number=f"REQ-{waiting.pk}").count() == 1
    assert EvaluationRequest.objects.get(pk=waiting.pk).status_changes.count() == 1


def test_booking_after_item9_reuses_the_patient_and_its_checkin(positive):
    patient = positive.patient
    assert patient is not None
    checkins_before = CheckIn.objects.filter(patient=patient).count()

    client_for("dr_ana").post(reverse("evaluations:book", args=[positive.pk]))

    positive.refresh_from_db()
    assert positive.patient == patient
    assert positive.status == RequestStatus.BOOKED
    assert CheckIn.objects.filter(patient=patient).count() == checkins_before == 1
    assert Alert.objects.filter(patient=patient, kind=AlertKind.SAFETY).count() == 1


def test_the_inbox_reads_the_same_number_of_queries_for_1_or_10_requests(personas, waiting):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("sam_front")
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("evaluations:inbox"))
    for number in range(9):
        send_request(personas.clinic, address=f"10.0.1.{number}")
    with CaptureQueriesContext(connection) as ten:
        page = client.get(reverse("evaluations:inbox"))

    assert len(page.context["requests"]) == 10
    assert len(ten) == len(one)


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("dr_ana", True), ("rn_cara", True), ("sam_front", True), ("admin_dora", False)],
)
def test_the_staff_menu_links_the_inbox_for_the_roles_that_may_open_it(personas, persona, shown):
    home = client_for(persona).get(reverse("home"), follow=True)

    assert (f'href="{reverse("evaluations:inbox")}"' in home.content.decode()) == shown
