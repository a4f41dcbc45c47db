"""Every free-text note a patient sends is screened: a match opens a safety alert and shows
crisis help at once, even when the form could not be stored.

Personas (tests/web/portal_support.py): patient_pia (Spanish) and patient_paul (English)
in Clinic A, both treated by dr_ana; the link is what they open on their phones.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from lasting.alerts.models import Alert, AlertKind, AlertStatus, Priority
from lasting.checkins.models import CheckIn, Response, Source
from lasting.checkins.services import issue_link
from lasting.intake.services import submit_checkin
from lasting_core.instruments import InstrumentCode, score
from tests.factories import SYSTEM
from tests.web.portal_support import World, make_world
from tests.web.test_portal_spanish import assert_no_english_chrome

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

ISSUE_NOTE = "No aguanto más, quiero morir. Tengo las pastillas guardadas."


@pytest.fixture
def world(personas) -> World:
    return make_world(personas)


def link_path(patient, instruments=(InstrumentCode.DAILY,)) -> str:
    issued = issue_link(SYSTEM, patient, list(instruments))
    return re.sub(r"^https?://[^/]+", "", issued.url)


def daily_body(key: str, note: str, *, mood: str = "0") -> dict[str, str]:
    body = {"idempotency_key": key, "daily__sleep": "2", "daily__stress": "9", "note": note}
    if mood:
        body["daily__mood"] = mood
    return body


def note_alerts(patient) -> list[Alert]:
    return list(Alert.objects.filter(patient=patient, drivers__source="note").order_by("pk"))


def test_the_issues_note_opens_an_urgent_alert_and_shows_crisis_help_at_once(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(link_path(world.pia), daily_body("k-issue", ISSUE_NOTE))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="crisis-now"' in content
    assert "Lo que escribió nos dice que quizá esté pasando por un momento muy difícil" in content
    assert "Llame al 988 y oprima 2" in content
    assert_no_english_chrome(content)
    [alert] = note_alerts(world.pia)
    assert (alert.kind, alert.priority, alert.status) == (
        AlertKind.SAFETY,
        Priority.URGENT,  # means: urgent (lasting_core.screening.ScreeningSettings)
        AlertStatus.OPEN,
    )
    assert alert.drivers == {
        "source": "note",
        "categories": ["ideation", "means"],
        "phrase_ids": ["es-ideation-quiero-morir", "es-means-pastillas-guardadas"],
        "list_version": "1",
    }
    assert alert.response == Response.objects.get(patient=world.pia)
    assert alert.assigned_to == world.dr_ana.user
    assert "suicidal ideation, means" in alert.reason
    assert "version 1" in alert.reason
    for words in ("quiero morir", "pastillas", "aguanto"):
        assert words not in alert.reason.lower()
    # Phrase ids name entries of the list; the patient's own words are not kept.
    assert "aguanto" not in str(alert.drivers)
    assert "quiero morir" not in str(alert.drivers)
    # E-mailed like an item-9 alert: the clinician hears of it, without the note.
    [message] = mail.outbox
    assert message.subject == "Lasting: a new safety alert"
    assert message.to == [world.dr_ana.user.email]
    assert "urgent priority" in message.body
    assert "pastillas" not in message.body
    # The note itself is stored on the check-in for the clinician to read.
    assert CheckIn.objects.get(patient=world.pia).note == ISSUE_NOTE


def test_an_english_note_with_ideation_only_opens_a_high_priority_alert(world):
    response = Client().post(link_path(world.paul), daily_body("k-en", "I just want to die."))
    content = response.content.decode()
    assert 'id="crisis-now"' in content
    assert "What you wrote tells us you may be going through a very hard time." in content
    assert "You told us you have had thoughts" not in content
    [alert] = note_alerts(world.paul)
    assert alert.priority == Priority.HIGH
    assert alert.drivers["categories"] == ["ideation"]


@pytest.mark.parametrize(
    "note",
    ["I could kill for a coffee", "me muero de risa", "the pills helped my sleep", ""],
)
def test_a_near_miss_note_opens_nothing_and_shows_no_crisis_box(world, note):
    response = Client().post(link_path(world.paul), daily_body("k-near", note, mood="6"))
    assert response.status_code == 200
    assert 'id="crisis-now"' not in response.content.decode()
    assert not Alert.objects.filter(patient=world.paul).exists()


def test_a_matching_note_on_a_form_with_errors_still_opens_an_alert_and_shows_crisis_help(world):
    response = Client().post(link_path(world.pia), daily_body("k-err", ISSUE_NOTE, mood=""))
    assert response.status_code == 422
    content = response.content.decode()
    assert 'id="crisis-now"' in content
    assert "Por favor, responda esta pregunta." in content
    assert not CheckIn.objects.exists()
    [alert] = note_alerts(world.pia)
    assert alert.priority == Priority.URGENT
    assert alert.drivers["stored"] is False
    assert alert.drivers["situation"] == "the form had errors"
    assert alert.drivers["categories"] == ["ideation", "means"]
    assert alert.response is None
    assert "contact the patient" in alert.reason
    assert "pastillas" not in alert.reason


def test_a_matching_note_on_a_used_link_still_opens_an_alert(world):
    path = link_path(world.paul)
    Client().post(path, daily_body("k-first", "Slept badly", mood="5"))
    response = Client().post(path, daily_body("k-second-tab", "This is my goodbye."))
    assert response.status_code == 410
    assert 'id="crisis-now"' in response.content.decode()
    assert CheckIn.objects.filter(patient=world.paul).count() == 1
    [alert] = note_alerts(world.paul)
    assert alert.priority == Priority.URGENT  # farewell
    assert alert.drivers["situation"] == "link used"


def test_a_matching_note_on_an_unknown_link_still_shows_crisis_help(world):
    response = Client().post("/c/nonsense/", daily_body("k-unknown", "I want to kill myself"))
    assert response.status_code == 404
    assert 'id="crisis-now"' in response.content.decode()
    assert not Alert.objects.exists()  # no patient to open it for


def test_the_same_unstored_note_sent_again_opens_one_alert_not_many(world):
    path = link_path(world.paul)
    Client().post(path, daily_body("k-first", "fine", mood="5"))
    for attempt in range(5):
        response = Client().post(path, daily_body(f"k-again-{attempt}", "I bought a gun"))
        assert 'id="crisis-now"' in response.content.decode()
    assert len(note_alerts(world.paul)) == 1


def test_an_open_note_alert_does_not_swallow_a_later_item9_report(world):
    path = link_path(world.paul, (InstrumentCode.PHQ9, InstrumentCode.DAILY))
    Client().post(path, {"idempotency_key": "k-first", "daily__mood": "5"})  # refused: errors
    Client().post(path, daily_body("k-note", "I have a plan to kill myself", mood=""))
    body = {"idempotency_key": "k-item9", "phq9__q9": "3"}
    Client().post(path, body)
    alerts = Alert.objects.filter(patient=world.paul, kind=AlertKind.SAFETY)
    assert sorted(alert.drivers.get("source", "item9") for alert in alerts) == ["item9", "note"]
    assert alerts.get(drivers__has_key="item9").drivers["item9"] == 3


def test_a_retried_submission_opens_no_second_alert_and_still_shows_crisis_help(world):
    path = link_path(world.paul)
    body = daily_body("k-retry", "I want to end my life")
    Client().post(path, body)
    again = Client().post(path, body)
    assert again.status_code == 200
    assert 'id="crisis-now"' in again.content.decode()
    assert len(note_alerts(world.paul)) == 1


def test_item9_and_a_matching_note_open_one_alert_each_and_the_page_speaks_of_item9(world):
    path = link_path(world.paul, (InstrumentCode.PHQ9, InstrumentCode.DAILY))
    body = daily_body("k-both", "Tengo un plan para matarme")
    body.update({f"phq9__q{n}": "1" for n in range(1, 10)})
    content = Client().post(path, body).content.decode()
    assert "You told us you have had thoughts" in content
    kinds = sorted(
        alert.drivers.get("source", "item9")
        for alert in Alert.objects.filter(patient=world.paul, kind=AlertKind.SAFETY)
    )
    assert kinds == ["item9", "note"]
    assert note_alerts(world.paul)[0].priority == Priority.URGENT  # a plan


def test_a_note_entered_by_any_path_is_screened(world):
    """submit_checkin is the one way check-ins enter; a note typed in at the clinic counts."""
    daily = score(InstrumentCode.DAILY, {"mood": 1, "sleep": 2, "stress": 8})
    recorded = submit_checkin(
        SYSTEM, world.paul, [daily], source=Source.CLINIC, note="She said: I want to die"
    )
    [alert] = note_alerts(world.paul)
    assert alert.response == recorded.checkin.responses.get()
    assert alert.opened_at == recorded.checkin.submitted_at


@pytest.mark.parametrize(
    ("patient_attr", "warning", "line"),
    [
        (
            "paul",
            "Notes are not read in real time. If you need help now, do not wait for a reply:",
            "<strong>988 Suicide &amp; Crisis Lifeline</strong>: Call or text 988",
        ),
        (
            "pia",
            "Las notas no se leen en tiempo real. Si necesita ayuda ahora, no espere una "
            "respuesta:",
            "<strong>Línea 988 de Prevención del Suicidio y Crisis</strong>: Llame al 988 y "
            "oprima 2",
        ),
    ],
)
def test_the_form_says_before_submission_that_notes_are_not_read_in_real_time(
    world, patient_attr, warning, line
):
    content = Client().get(link_path(getattr(world, patient_attr))).content.decode()
    block = re.search(r'<p class="note-warning" id="note-not-monitored">(.*?)</p>', content, re.S)
    assert block is not None
    assert warning in block[1]
    assert line in block[1]
    assert 'aria-describedby="note-not-monitored"' in content
    # Before the field, so it is read before anything is typed.
    assert content.index("note-not-monitored") < content.index("<textarea")


def test_a_form_without_a_note_has_no_note_warning(world):
    content = Client().get(link_path(world.paul, (InstrumentCode.PHQ9,))).content.decode()
    assert "note-not-monitored" not in content
