"""Right of access: a patient's whole record as JSON and PDF, for them and for staff.

Who may export (src/lasting/accounts/rules.py `can_export_patient_record`): dr_ana and
dr_ben (clinicians) and admin_dora (the admin answers access requests for the clinic);
never rn_cara (the record holds the engine's risk, which nurses never see), sam_front
(doses and scores) or dr_olga (another organisation: 404). Paul exports his own from
the portal.
"""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from lasting.accounts import rules
from lasting.accounts.models import Organization
from lasting.audit.models import Action, AuditEvent
from lasting.audit.services import Actor, record_event
from lasting.patients.models import Patient
from lasting.reports.access import ACCESS_SECTION, SECTION_OF, list_record_models, read_record
from tests.factories import rows_shared_by_the_scope
from tests.personas import Personas, client_for, make_personas
from tests.reports.record_world import SECRETS, make_record_world
from tests.web.access_matrix_support import portal_client

pytestmark = [pytest.mark.slow(seconds=12), pytest.mark.django_db]


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("dr_ana", True),
        ("dr_ben", True),
        ("admin_dora", True),
        ("rn_cara", False),
        ("sam_front", False),
    ],
)
def test_clinicians_and_admins_may_export_a_record(personas: Personas, persona, allowed):
    assert rules.can_export_patient_record(personas.member(persona)) is allowed


def test_a_deactivated_clinician_may_not_export(personas: Personas):
    personas.dr_ana.is_active = False
    assert rules.can_export_patient_record(personas.dr_ana) is False


def test_nobody_without_a_membership_may_export():
    assert rules.can_export_patient_record(None) is False


# The record: every table, only Paul's rows, no secrets --------------------------------


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    """Paul with a row of every kind, and Quentin, built once for the class."""
    with rows_shared_by_the_scope(django_db_blocker):
        yield make_record_world(make_personas())


def holds_a_patient_key(model) -> bool:
    return any(
        field.is_relation and field.related_model is Patient
        for field in model._meta.concrete_fields
    )


def clinical_table_linked_to_a_patient_table(model) -> bool:
    """An organisation's table pointing at a table with a patient key (a vital sign)."""
    keys = [field for field in model._meta.concrete_fields if field.is_relation]
    scoped = any(field.related_model is Organization for field in keys)
    return scoped and any(holds_a_patient_key(field.related_model) for field in keys)


def tables_of(document: dict) -> dict[str, list[dict]]:
    return {
        table["table"]: table["rows"]
        for section in document["sections"]
        for table in section["tables"]
    }


@pytest.mark.usefixtures("world")
class TestRecord:
    def test_every_table_about_a_patient_is_exported(self, world):
        exported = set(tables_of(json.loads(read_record(world["personas"].paul).as_json())))
        about_patients = {
            model._meta.label
            for model in apps.get_models()
            if holds_a_patient_key(model) or clinical_table_linked_to_a_patient_table(model)
        }
        assert sorted(about_patients - exported) == []
        assert "treatment.VitalSign" in exported  # through its session
        assert "audit.AuditEvent" in exported  # who read the record

    def test_every_exported_table_has_a_heading(self):
        labels = {model._meta.label for model in list_record_models()}
        assert sorted(labels - set(SECTION_OF)) == [], "name the new table in SECTION_OF"
        assert sorted(set(SECTION_OF) - labels) == [], "SECTION_OF names a table that is gone"

    def test_a_patient_with_data_of_every_kind_has_rows_in_every_table(self, world):
        tables = tables_of(json.loads(read_record(world["personas"].paul).as_json()))
        assert sorted(label for label, rows in tables.items() if not rows) == []

    def test_every_exported_row_is_the_patients_own(self, world):
        paul = world["personas"].paul
        document = json.loads(read_record(paul).as_json())
        for label, rows in tables_of(document).items():
            if label in ("patients.Patient", "audit.AuditEvent"):
                continue
            model = apps.get_model(label)
            lookups = list_record_models()[model]
            own = model._default_manager.filter(**{lookups[0]: paul.pk})
            assert {row["id"] for row in rows} == set(own.values_list("pk", flat=True)), label
        assert [row["id"] for row in tables_of(document)["patients.Patient"]] == [paul.pk]

    def test_another_patients_rows_never_appear(self, world):
        text = read_record(world["personas"].paul).as_json()
        assert "Otherpatient" not in text
        assert "LOT-QUENTIN" not in text
        assert world["quentin"].record_number not in text

    def test_the_access_log_never_names_another_patient(self, world):
        paul, quentin = world["personas"].paul, world["quentin"]
        # Quentin signing in on Paul's browser ends Paul's session: an event about Paul.
        quentin_acting = Actor(None, f"patient:{quentin.pk}", paul.organization_id, None, "")
        record_event(quentin_acting, Action.LOGOUT, patient_id=paul.pk)
        paul_acting = Actor(None, f"patient:{paul.pk}", paul.organization_id, None, "")
        record_event(paul_acting, Action.READ, patient_id=paul.pk)
        tables = tables_of(json.loads(read_record(paul).as_json()))
        readers = [row["username"] for row in tables["audit.AuditEvent"]]
        assert readers[-2:] == ["another patient", "the patient"]
        assert f"patient:{quentin.pk}" not in json.dumps(tables)

    def test_secrets_are_withheld(self, world):
        text = read_record(world["personas"].paul).as_json()
        assert [name for name, value in SECRETS.items() if value in text] == []
        assert "token_hash" not in text
        assert "password" not in text.lower()
        assert "previous_hash" not in text

    def test_the_record_holds_the_clinical_content(self, world):
        tables = tables_of(json.loads(read_record(world["personas"].paul).as_json()))
        [phq9] = tables["checkins.Response"]
        assert phq9["total"] == 20
        assert phq9["answers"]["q9"] == 2
        assert len(tables["treatment.VitalSign"]) == 3
        assert tables["alerts.ContactAttempt"][0]["recorded_by"] == "Ana Tester"
        assert tables["risk.RiskAssessment"][0]["p_relapse_28d"] == 0.4
        assert tables["treatment.MedicationChange"][0]["drug_name"] == "Sertraline"
        assert {row["username"] for row in tables["audit.AuditEvent"]} >= {"dr_ana"}


# The pages: who may export, and the audit trail -----------------------------------------


@pytest.mark.usefixtures("world")
class TestPages:
    @pytest.mark.parametrize(
        ("persona", "status"),
        [
            ("dr_ana", 200),
            ("admin_dora", 200),
            ("rn_cara", 403),
            ("sam_front", 403),
            ("dr_olga", 404),
        ],
    )
    def test_staff_export_as_the_rule_says(self, world, persona, status):
        paul = world["personas"].paul
        response = client_for(persona).get(reverse("reports:clinician_record_json", args=[paul.pk]))
        assert response.status_code == status
        if status == 200:  # every row, behind row-level security too
            tables = tables_of(json.loads(response.content))
            assert sorted(label for label, rows in tables.items() if not rows) == []
        else:
            assert b"Moreno" not in response.content

    def test_the_preview_page_shows_the_record_and_its_downloads(self, world):
        paul = world["personas"].paul
        response = client_for("dr_ana").get(reverse("reports:clinician_record", args=[paul.pk]))
        assert response.status_code == 200
        assert b"Paul Moreno" in response.content
        assert reverse("reports:clinician_record_pdf", args=[paul.pk]).encode() in response.content
        assert response["Cache-Control"].count("no-store") == 1

    def test_an_export_is_audited_with_the_patient_never_the_content(self, world):
        paul = world["personas"].paul
        client_for("dr_ana").get(reverse("reports:clinician_record_json", args=[paul.pk]))
        event = AuditEvent.objects.filter(action=Action.EXPORT).latest("pk")
        assert (event.patient_id, event.username, event.outcome) == (paul.pk, "dr_ana", "success")
        assert (event.object_type, event.object_id) == ("PatientRecord", str(paul.pk))

    def test_a_refused_export_is_audited(self, world):
        paul = world["personas"].paul
        client_for("rn_cara").get(reverse("reports:clinician_record_json", args=[paul.pk]))
        event = AuditEvent.objects.latest("pk")
        assert (event.action, event.outcome, event.username) == ("export", "denied", "rn_cara")

    @pytest.mark.parametrize(("persona", "shown"), [("dr_ana", True), ("rn_cara", False)])
    def test_the_patient_page_links_to_the_record_for_who_may_export(self, world, persona, shown):
        paul = world["personas"].paul
        page = client_for(persona).get(reverse("clinic:patient", args=[paul.pk]))
        link = reverse("reports:clinician_record", args=[paul.pk]).encode()
        assert (link in page.content) is shown

    def test_the_portal_home_links_to_the_record(self, world):
        page = portal_client(world["personas"]).get(reverse("portal:home"))
        assert reverse("reports:patient_record").encode() in page.content

    def test_the_patient_downloads_their_own_record(self, world):
        personas = world["personas"]
        response = portal_client(personas).get(reverse("reports:patient_record_json"))
        assert response.status_code == 200
        document = json.loads(response.content)
        assert document["patient_id"] == personas.paul.pk
        assert b"Otherpatient" not in response.content
        event = AuditEvent.objects.latest("pk")
        assert (event.action, event.patient_id) == ("export", personas.paul.pk)

    def test_the_portal_page_needs_a_patient_sign_in(self, world):
        response = Client().get(reverse("reports:patient_record"))
        assert response.status_code == 302
        assert client_for("dr_ana").get(reverse("reports:patient_record")).status_code == 403

    def test_the_pdf_names_the_patient_and_every_section(self, world):
        personas = world["personas"]
        response = portal_client(personas).get(reverse("reports:patient_record_pdf"))
        assert response["Content-Type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        text = " ".join(page.extract_text() for page in reader.pages)
        text = " ".join(text.split())
        assert "Paul Moreno" in text
        for title in [*dict.fromkeys(SECTION_OF.values()), ACCESS_SECTION]:
            assert title in text, title
        assert "Otherpatient" not in text
