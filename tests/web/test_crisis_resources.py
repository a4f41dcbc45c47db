"""Crisis resources per organisation and language: the right line in the patient's
language, one line per box (never 988 next to another number), emergency services on a
labelled line of their own, and the admin's page that edits them (audited).

Personas (tests/web/portal_support.py): patient_pia (Spanish) and patient_paul (English)
in Clinic A; patient_bruno in Clinic B. admin_dora runs Clinic A (no charts); dr_ana
treats Paul and Pia; rn_cara is Clinic A's nurse; admin_oscar runs Clinic B.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from lasting.accounts.models import CrisisResource, Role
from lasting.accounts.queries import DEFAULT_CRISIS_RESOURCES, find_crisis_line
from lasting.audit.models import AuditEvent
from lasting.checkins.models import ScheduledCheckIn
from lasting.checkins.services import issue_link
from lasting.outreach.reminders import queue_reminders, send_reminder
from lasting_core.instruments import InstrumentCode
from tests.factories import SYSTEM, make_crisis_resource, make_member
from tests.personas import client_for
from tests.web.portal_support import PAUL_EMAIL, PIA_EMAIL, World, make_world, signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

NUMBER = re.compile(r"\b\d[\d ().-]*\d\b")


@pytest.fixture
def world(personas) -> World:
    return make_world(personas)


def link_path(patient, instruments=(InstrumentCode.PHQ9, InstrumentCode.DAILY)) -> str:
    issued = issue_link(SYSTEM, patient, list(instruments))
    return re.sub(r"^https?://[^/]+", "", issued.url)


def footer(content: str) -> str:
    match = re.search(
        r'<aside class="crisis" role="note" id="crisis-footer">(.*?)</aside>', content, re.S
    )
    assert match is not None
    return match[1]


def paragraph(block: str, css_class: str) -> str:
    match = re.search(rf'<p class="{css_class}"[^>]*>(.*?)</p>', block, re.S)
    assert match is not None, css_class
    return match[1]


def numbers_in(text: str) -> set[str]:
    return {re.sub(r"\D", "", found) for found in NUMBER.findall(re.sub(r"<[^>]+>", " ", text))}


def item9_body(key: str) -> dict[str, str]:
    body = {"idempotency_key": key, "daily__mood": "3", "daily__sleep": "3", "daily__stress": "7"}
    body.update({f"phq9__q{n}": "1" for n in range(1, 10)})
    return body


# What patients read ---------------------------------------------------------------------


def test_a_spanish_speaking_patient_reads_the_988_spanish_service_press_2_or_text_ayuda(world):
    content = Client().get(link_path(world.pia)).content.decode()
    block = footer(content)
    line = paragraph(block, "crisis-line")
    assert "<strong>Línea 988 de Prevención del Suicidio y Crisis</strong>" in line
    assert (
        "Llame al 988 y oprima 2, o envíe un mensaje de texto con la palabra AYUDA al 988" in line
    )
    assert 'href="tel:988"' in block
    assert 'href="sms:988?body=AYUDA"' in block
    assert "Enviar AYUDA al 988" in block
    assert (
        "<strong>Servicios de emergencia</strong>: si está en peligro inmediato, llame al 911."
        in paragraph(block, "emergency")
    )


def test_an_english_speaking_patient_reads_the_988_line_in_english(world):
    block = footer(Client().get(link_path(world.paul)).content.decode())
    assert "<strong>988 Suicide &amp; Crisis Lifeline</strong>: Call or text 988, any time" in (
        paragraph(block, "crisis-line")
    )
    assert 'href="sms:988"' in block
    assert "Text 988" in block
    assert (
        "<strong>Emergency services</strong>: if you are in immediate danger, call 911."
        in paragraph(block, "emergency")
    )


@pytest.mark.parametrize("patient_attr", ["paul", "pia"])
def test_the_crisis_line_names_only_its_own_number_and_911_stands_apart(world, patient_attr):
    content = Client().get(link_path(getattr(world, patient_attr))).content.decode()
    block = footer(content)
    assert numbers_in(paragraph(block, "crisis-line")) == {"988"}
    assert numbers_in(paragraph(block, "emergency")) == {"911"}


def test_a_clinic_with_its_own_spanish_line_shows_it_to_spanish_speaking_patients(world):
    make_crisis_resource(
        world.clinic_a,
        language="es",
        name="Línea de crisis de la clínica",
        phone="555-0100",
        instructions="Llame al 555-0100, a cualquier hora.",
        emergency_phone="911",
    )
    pia_block = footer(Client().get(link_path(world.pia)).content.decode())
    assert "Línea de crisis de la clínica" in pia_block
    assert 'href="tel:555-0100"' in pia_block
    # Without an English line, English readers see the clinic's Spanish one (marked as
    # Spanish), never Lasting's 988 default: the clinic may be where 988 does not answer.
    paul_block = footer(Client().get(link_path(world.paul)).content.decode())
    assert '<p class="crisis-line" lang="es"><strong>Línea de crisis de la clínica' in paul_block
    assert "988" not in paul_block


def test_a_spanish_speaking_patient_of_a_clinic_with_only_an_english_line_reads_that_one(world):
    make_crisis_resource(world.clinic_a, name="Clinic line", phone="555-0100")
    block = footer(Client().get(link_path(world.pia)).content.decode())
    assert '<p class="crisis-line" lang="en"><strong>Clinic line</strong>' in block
    assert "988" not in block
    assert "si está en peligro inmediato, llame al número de emergencias de su zona." in block


def test_the_fallback_order_is_language_then_english_then_any_then_lastings_default(world):
    clinic = world.clinic_b
    assert find_crisis_line(clinic, "es") == DEFAULT_CRISIS_RESOURCES["es"]
    assert find_crisis_line(clinic, "fr") == DEFAULT_CRISIS_RESOURCES["en"]
    assert find_crisis_line(None, "es") == DEFAULT_CRISIS_RESOURCES["es"]
    make_crisis_resource(clinic, language="es", name="Línea", instructions="Llame al 555-0100.")
    assert find_crisis_line(clinic, "en").name == "Línea"  # any it has, never the 988 default
    make_crisis_resource(clinic, language="en", name="Line")
    assert find_crisis_line(clinic, "en").name == "Line"
    assert find_crisis_line(clinic, "es").name == "Línea"
    assert find_crisis_line(clinic, "fr").name == "Line"


# A clinic whose line is not 988 --------------------------------------------------------


@pytest.fixture
def own_line(world) -> World:
    """Clinic A uses its own line in both languages, with 112 for emergencies."""
    for language, instructions in (
        ("en", "Call 555-0100, any time."),
        ("es", "Llame al 555-0100, a cualquier hora."),
    ):
        make_crisis_resource(
            world.clinic_a,
            language=language,
            name="Clinic line",
            phone="555-0100",
            text_number="555-0100",
            instructions=instructions,
            emergency_phone="112",
        )
    return world


def without_988(text: str) -> bool:
    """True when no "988" stands as a number of its own (links' tokens are one word)."""
    return not re.search(r"\b988\b", re.sub(r"https?://\S+|/c/\S+", "", text))


@pytest.mark.parametrize("patient_attr", ["paul", "pia"])
def test_no_988_appears_on_any_page_of_a_clinic_with_another_line(own_line, patient_attr):
    patient = getattr(own_line, patient_attr)
    path = link_path(patient)
    form = Client().get(path).content.decode()
    done = Client().post(path, item9_body("k-own")).content.decode()
    used = Client().post(path, item9_body("k-own-again")).content.decode()
    note = (
        Client()
        .post(
            link_path(patient, (InstrumentCode.DAILY,)),
            {
                "idempotency_key": "k-note",
                "daily__mood": "0",
                "daily__sleep": "1",
                "daily__stress": "9",
                "note": "I want to die",
            },
        )
        .content.decode()
    )
    home = signed_in_client(PAUL_EMAIL if patient_attr == "paul" else PIA_EMAIL).get("/me/")
    assert 'id="crisis-now"' in done
    assert 'id="crisis-now"' in used
    assert 'id="crisis-now"' in note
    for page in (form, done, used, note, home.content.decode()):
        assert "555-0100" in page
        assert without_988(page)
        assert numbers_in(paragraph(footer(page), "crisis-line")) == {"5550100"}
        assert numbers_in(paragraph(footer(page), "emergency")) == {"112"}


def test_no_988_appears_in_a_reminder_from_a_clinic_with_another_line(own_line):
    # 14:00 in New York, 11:00 in Los Angeles: outside both patients' quiet hours.
    now = datetime(2026, 3, 10, 14, 0, tzinfo=ZoneInfo("America/New_York"))
    for patient in (own_line.paul, own_line.pia):
        ScheduledCheckIn.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            key=f"maintenance:{now.date()}",
            reason="maintenance",
            instruments=["phq9"],
            due_on=now.date(),
            opens_at=now - timedelta(hours=1),
            expires_at=now + timedelta(days=2),
        )
    with time_machine.travel(now, tick=False):
        for reminder_id in queue_reminders(now):
            assert send_reminder(reminder_id, now) == "sent"
    bodies = [message.body for message in mail.outbox]
    assert len(bodies) == 2
    for body in bodies:
        assert "555-0100" in body
        assert "112" in body
        assert without_988(body)


# The admin's page ------------------------------------------------------------------------


@pytest.fixture
def admins(world) -> World:
    """The personas (admin_dora runs Clinic A), with admin_oscar running Clinic B."""
    make_member(world.clinic_b, Role.ADMIN, "admin_oscar")
    return world


SPANISH_FORM = {
    "name": "Línea de la clínica",
    "phone": "555-0199",
    "text_number": "",
    "text_keyword": "",
    "instructions": "Llame al 555-0199, a cualquier hora.",
    "emergency_phone": "911",
}


def test_the_organisation_page_shows_each_languages_line(admins):
    content = client_for("admin_dora").get("/accounts/organization/").content.decode()
    section = re.search(
        r'<section class="card" id="crisis-resources">(.*?)</section>', content, re.S
    )
    assert section is not None
    assert "988 Suicide &amp; Crisis Lifeline" in section[1]
    assert "Línea 988 de Prevención del Suicidio y Crisis" in section[1]
    assert "AYUDA to 988" in section[1]
    assert section[1].count("(Lasting's default)") == 2
    assert 'href="/accounts/organization/crisis/es/"' in section[1]


def test_the_admin_sets_the_spanish_line_and_it_is_audited(admins):
    client = client_for("admin_dora")
    form = client.get("/accounts/organization/crisis/es/")
    assert form.status_code == 200
    assert "Llame al 988 y oprima 2" in form.content.decode()  # starts from what patients see
    response = client.post("/accounts/organization/crisis/es/", SPANISH_FORM)
    assert response.status_code == 302
    row = CrisisResource.objects.get(organization=admins.clinic_a, language="es")
    assert (row.name, row.phone, row.emergency_phone) == ("Línea de la clínica", "555-0199", "911")
    created = AuditEvent.objects.get(object_type="CrisisResource", action="create")
    assert (created.username, created.organization_id) == ("admin_dora", admins.clinic_a.pk)
    client.post("/accounts/organization/crisis/es/", {**SPANISH_FORM, "name": "Línea nueva"})
    assert CrisisResource.objects.get(pk=row.pk).name == "Línea nueva"
    assert AuditEvent.objects.filter(object_type="CrisisResource", action="update").count() == 1
    page = Client().get(link_path(admins.pia)).content.decode()
    assert "<strong>Línea nueva</strong>: Llame al 555-0199" in page
    assert CrisisResource.objects.filter(organization=admins.clinic_b).count() == 0


@pytest.mark.parametrize(
    "instructions",
    [
        "Llame al 988 o al 911.",  # 988 beside the emergency number
        "Llame al 555-0199 o al 988.",  # another line's number
        "Call 1-800-273-8255 any time.",
    ],
)
def test_instructions_naming_another_number_are_refused(admins, instructions):
    client = client_for("admin_dora")
    response = client.post(
        "/accounts/organization/crisis/es/", {**SPANISH_FORM, "instructions": instructions}
    )
    assert response.status_code == 422
    assert "not this line&#x27;s phone or text number" in response.content.decode()
    assert not CrisisResource.objects.exists()
    assert not AuditEvent.objects.filter(object_type="CrisisResource").exists()


def test_a_malformed_phone_is_refused(admins):
    response = client_for("admin_dora").post(
        "/accounts/organization/crisis/en/", {**SPANISH_FORM, "phone": "call us"}
    )
    assert response.status_code == 422
    assert not CrisisResource.objects.exists()


@pytest.mark.parametrize("username", ["dr_ana", "rn_cara"])
def test_only_the_clinics_admin_edits_its_crisis_resources(admins, username):
    client = client_for(username)
    assert client.get("/accounts/organization/crisis/es/").status_code == 403
    assert client.post("/accounts/organization/crisis/es/", SPANISH_FORM).status_code == 403
    assert not CrisisResource.objects.exists()


def test_another_clinics_admin_changes_only_their_own_clinic(admins):
    client_for("admin_oscar").post("/accounts/organization/crisis/es/", SPANISH_FORM)
    assert CrisisResource.objects.get().organization == admins.clinic_b
    page = Client().get(link_path(admins.pia)).content.decode()
    assert "Línea 988 de Prevención del Suicidio y Crisis" in page


def test_an_anonymous_visitor_is_sent_to_sign_in(admins):
    response = Client().get("/accounts/organization/crisis/es/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unknown_language_is_not_found(admins):
    assert client_for("admin_dora").get("/accounts/organization/crisis/fr/").status_code == 404


# The migration ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_each_clinics_line_into_its_languages():
    executor = MigrationExecutor(connection)
    before = [("accounts", "0001_initial")]
    after = [("accounts", "0002_crisis_resources_per_language")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    Organization = old_apps.get_model("accounts", "Organization")
    Organization.objects.create(name="Default", slug="default")
    Organization.objects.create(
        name="Own 988 words",
        slug="own-988",
        crisis_line_text="Call or text 988 from anywhere in the US.",
    )
    Organization.objects.create(
        name="Madrid",
        slug="madrid",
        crisis_line_name="Línea 024",
        crisis_line_phone="024",
        crisis_line_text="Llame al 024.",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    Resource = new_apps.get_model("accounts", "CrisisResource")

    def rows(slug: str) -> dict[str, tuple[str, str, str, str]]:
        return {
            row.language: (row.name, row.phone, row.instructions, row.emergency_phone)
            for row in Resource.objects.filter(organization__slug=slug)
        }

    default = rows("default")
    assert default["en"] == (
        "988 Suicide & Crisis Lifeline",
        "988",
        "Call or text 988, any time, day or night.",
        "911",
    )
    assert default["es"][2].startswith("Llame al 988 y oprima 2")
    own = rows("own-988")
    assert own["en"][2] == "Call or text 988 from anywhere in the US."
    assert own["es"][0] == "Línea 988 de Prevención del Suicidio y Crisis"
    assert rows("madrid") == {"en": ("Línea 024", "024", "Llame al 024.", "")}

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    reverted = executor.loader.project_state(before).apps.get_model("accounts", "Organization")
    madrid = reverted.objects.get(slug="madrid")
    assert (madrid.crisis_line_phone, madrid.crisis_line_text) == ("024", "Llame al 024.")
    assert reverted.objects.get(slug="default").crisis_line_text.endswith("call 911.")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
