"""Find a patient from any page: by name, record number, date of birth or phone; only in
the searcher's own clinic; one query whatever the clinic's size. Personas: tests/personas.py."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent
from lasting.audit.services import verify_chain
from lasting.patients.models import Patient
from lasting.patients.queries import SEARCH_LIMIT, search_patients_for
from tests.factories import make_patient
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(personas):
    """Paul Moreno (born 1980-05-17) and three more in Clinic A; a namesake in Clinic B."""
    paul = personas.paul
    paul.phone, paul.record_number = "+13035550142", "CA-1001"
    paul.save()
    make_patient(personas.clinic, given_name="Ana", family_name="Morales", record_number="CA-1002")
    make_patient(
        personas.clinic,
        given_name="Luis",
        family_name="Ortega",
        record_number="CA-2001",
        date_of_birth=date(1991, 11, 3),
        phone="+13035550199",
    )
    make_patient(personas.clinic, given_name="Paula", family_name="Young", record_number="X-7")
    make_patient(personas.other_clinic, given_name="Paul", family_name="Moreno")
    return personas


def names(clinic, text: str, persona: str = "dr_ana") -> list[str]:
    return [p.full_name for p in search_patients_for(clinic.member(persona), text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("moreno", ["Paul Moreno"]),
        ("mor", ["Ana Morales", "Paul Moreno"]),
        ("paul mor", ["Paul Moreno"]),
        ("PAUL", ["Paul Moreno", "Paula Young"]),
        ("CA-1001", ["Paul Moreno"]),
        ("ca-2", ["Luis Ortega"]),
        ("1991-11-03", ["Luis Ortega"]),
        ("11/03/1991", ["Luis Ortega"]),
        ("5/17/80", ["Ana Morales", "Paul Moreno", "Paula Young"]),
        ("(303) 555-0142", ["Paul Moreno"]),
        ("0199", ["Luis Ortega"]),
        ("nobody", []),
        ("   ", []),
    ],
)
def test_it_finds_by_name_record_birth_date_or_phone(clinic, text, expected):
    assert names(clinic, text) == expected


def test_it_never_finds_another_clinics_patient(clinic):
    found = search_patients_for(clinic.dr_olga, "moreno")

    assert [p.organization_id for p in found] == [clinic.other_clinic.pk]


def test_the_front_desk_searches_too_and_admins_do_not(clinic):
    assert names(clinic, "ortega", "sam_front") == ["Luis Ortega"]
    assert client_for("admin_dora").get(reverse("patients:search"), {"q": "x"}).status_code == 403


def test_the_results_page_links_each_patient_and_is_audited(clinic):
    response = client_for("rn_cara").get(reverse("patients:search"), {"q": "mor"})

    page = response.content.decode()
    assert response.status_code == 200
    assert reverse("clinic:patient", args=[clinic.paul.pk]) in page
    assert "Morales, Ana" in page
    shown = AuditEvent.objects.filter(action=Action.SEARCH, user_id=clinic.rn_cara.user_id)
    # One event per patient the results showed, so "who saw Paul" finds this search too.
    morales = Patient.objects.get(family_name="Morales")
    assert set(shown.values_list("patient_id", flat=True)) == {clinic.paul.pk, morales.pk}
    assert list(verify_chain()) == []


def test_the_caseload_audits_each_patient_on_the_page_it_shows(clinic):
    client_for("dr_ana").get(reverse("clinic:caseload"))

    shown = AuditEvent.objects.filter(action=Action.SEARCH, user_id=clinic.dr_ana.user_id)
    mine = set(Patient.objects.filter(organization=clinic.clinic).values_list("pk", flat=True))
    assert set(shown.values_list("patient_id", flat=True)) == mine
    assert set(shown.values_list("object_type", flat=True)) == {"caseload"}
    assert list(verify_chain()) == []


def test_every_clinic_page_has_the_search_box(clinic):
    page = client_for("sam_front").get(reverse("clinic:caseload")).content.decode()

    assert f'action="{reverse("patients:search")}"' in page


def test_at_most_the_limit_is_returned_with_a_hint(clinic):
    for n in range(SEARCH_LIMIT + 5):
        make_patient(clinic.clinic, given_name="Sam", family_name=f"Many{n:02d}")

    response = client_for("dr_ana").get(reverse("patients:search"), {"q": "many"})

    assert len(response.context["results"]) == SEARCH_LIMIT
    assert "add a word or the date of birth" in response.content.decode()


def test_one_query_whatever_the_clinic_size(clinic):
    def count(text: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            search_patients_for(clinic.dr_ana, text)
        return len(queries.captured_queries)

    small = count("mor")
    for n in range(40):
        make_patient(clinic.clinic, given_name="Mo", family_name=f"Morrow{n}")

    assert count("mor") == small == 1
