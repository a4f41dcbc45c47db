"""Who may see and write a relapse-prevention plan: every page against every persona, a
foreign clinic and an anonymous visitor; and the patient's own view in the portal.

Personas (tests/personas.py): dr_ana and dr_ben (clinicians of Clinic A) write and read;
rn_cara (nurse) reads; sam_front (scheduler) and admin_dora (admin) never see a plan;
dr_olga (Clinic B) gets 404. Portal patients (tests/web/portal_support.py): Paul and Pia of
Clinic A, Bruno of Clinic B.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.audit.services import Actor
from lasting.prevention.models import AnswerType, Direction, PersonalItem, PlanVersion
from lasting.prevention.services import ItemDraft, save_plan_version
from tests.factories import rows_shared_by_the_scope
from tests.personas import Personas, client_for, make_personas
from tests.web.portal_support import PAUL_EMAIL, PIA_EMAIL, make_world, signed_in_client

pytestmark = pytest.mark.django_db

SLEEP = ItemDraft(
    warning_sign="Sleeping under 6 hours",
    question="How many hours did you sleep last night?",
    answer_type=AnswerType.HOURS,
    threshold=6,
    direction=Direction.AT_OR_BELOW,
)


def actor_of(membership) -> Actor:
    return Actor(
        membership.user.pk, membership.user.get_username(), membership.organization_id, None, ""
    )


def write_plan(personas: Personas, patient, coping: str, reason: str) -> PlanVersion:
    return save_plan_version(
        actor_of(personas.dr_ana),
        personas.dr_ana,
        patient,
        sections={"coping_strategies": coping, "warning_signs": "Sleeping badly"},
        items=[SLEEP] if not PersonalItem.objects.filter(patient=patient).exists() else [],
        reason=reason,
    )


@pytest.fixture(scope="class")
def shared_world(django_db_setup, django_db_blocker):
    with rows_shared_by_the_scope(django_db_blocker):
        personas = make_personas()
        write_plan(personas, personas.paul, "Walk the dog", "first plan")
        yield personas


PAGES = {
    "plan": lambda p: reverse("prevention:plan", args=[p.paul.pk]),
    "print": lambda p: reverse("prevention:plan", args=[p.paul.pk]) + "?print=1",
    "version": lambda p: reverse("prevention:version", args=[p.paul.pk, 1]),
    "edit": lambda p: reverse("prevention:edit", args=[p.paul.pk]),
    "maintenance_plan": lambda p: reverse("plans:edit_plan", args=[p.paul.pk]),
}
PERSONAS = ("dr_ana", "dr_ben", "rn_cara", "sam_front", "admin_dora", "dr_olga")
# Expected status per page, in the order of PERSONAS:
#                     ana  ben  cara sam  dora olga
EXPECTED = {
    "plan": (200, 200, 200, 403, 403, 404),
    "print": (200, 200, 200, 403, 403, 404),
    "version": (200, 200, 200, 403, 403, 404),
    "edit": (200, 200, 403, 403, 403, 404),
    "maintenance_plan": (200, 200, 403, 403, 403, 404),
}


class TestEveryPage:
    @pytest.mark.parametrize(
        ("page", "persona"),
        [(page, persona) for page in EXPECTED for persona in PERSONAS],
    )
    def test_each_page_answers_each_persona_as_the_rules_say(self, shared_world, page, persona):
        response = client_for(persona).get(PAGES[page](shared_world))
        assert response.status_code == EXPECTED[page][PERSONAS.index(persona)]
        if response.status_code != 200:
            assert b"Walk the dog" not in response.content

    @pytest.mark.parametrize("page", list(PAGES))
    def test_anonymous_visitors_are_sent_to_login(self, shared_world, page):
        response = Client().get(PAGES[page](shared_world))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    def test_a_missing_version_answers_404(self, shared_world):
        path = reverse("prevention:version", args=[shared_world.paul.pk, 9])
        assert client_for("dr_ana").get(path).status_code == 404


PLAN_POST = {
    "coping_strategies": "Changed by someone who may not",
    "reason": "try",
    "items-TOTAL_FORMS": "0",
    "items-INITIAL_FORMS": "0",
    "items-MIN_NUM_FORMS": "0",
    "items-MAX_NUM_FORMS": "30",
}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("rn_cara", 403), ("sam_front", 403), ("admin_dora", 403), ("dr_olga", 404)],
)
def test_nobody_but_a_clinician_of_the_clinic_writes_the_plan(personas, persona, status):
    write_plan(personas, personas.paul, "Walk the dog", "first plan")
    response = client_for(persona).post(
        reverse("prevention:edit", args=[personas.paul.pk]), PLAN_POST
    )
    assert response.status_code == status
    assert PlanVersion.objects.count() == 1
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED).exists()


def test_a_denied_read_is_audited(personas):
    client_for("sam_front").get(reverse("prevention:plan", args=[personas.paul.pk]))
    assert AuditEvent.objects.filter(
        action=Action.READ, outcome=Outcome.DENIED, object_type="PlanVersion"
    ).exists()


@pytest.mark.usefixtures("immediate_tasks")
class TestThePatientsOwnView:
    def test_the_patient_sees_only_the_current_version(self, personas):
        world = make_world(personas)
        write_plan(personas, world.paul, "Walk the dog", "first plan")
        write_plan(personas, world.paul, "Call my sister Mia", "new coping strategy")
        client = signed_in_client(PAUL_EMAIL)
        home = client.get("/me/").content.decode()
        assert reverse("portal:prevention_plan") in home
        page = client.get(reverse("portal:prevention_plan"))
        content = page.content.decode()
        assert page.status_code == 200
        assert "Call my sister Mia" in content
        assert "Walk the dog" not in content
        assert "new coping strategy" not in content  # the clinician's reason is not shown
        assert "How many hours did you sleep last night?" in content
        assert AuditEvent.objects.filter(
            username__startswith="patient:", action=Action.READ, object_type="PlanVersion"
        ).exists()

    def test_a_patient_never_sees_another_patients_plan(self, personas):
        world = make_world(personas)
        write_plan(personas, world.paul, "Paul walks the dog at dawn", "first plan")
        content = signed_in_client(PIA_EMAIL).get(reverse("portal:prevention_plan")).content
        assert b"Paul walks the dog at dawn" not in content
        assert b'id="no-plan"' in content
        assert "Su plan para cuando las cosas se pongan difíciles".encode() in content

    def test_without_a_session_the_patient_is_sent_to_sign_in(self, personas):
        response = Client().get(reverse("portal:prevention_plan"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:sign_in"))

    def test_staff_are_never_patients(self, personas):
        response = client_for("dr_ana").get(reverse("portal:prevention_plan"))
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("persona", "shown"), [("dr_ana", True), ("rn_cara", True), ("sam_front", False)]
)
def test_the_patient_page_links_the_plan_for_the_clinical_team_only(personas, persona, shown):
    page = client_for(persona).get(reverse("clinic:patient", args=[personas.paul.pk]))
    assert page.status_code == 200
    link = reverse("prevention:plan", args=[personas.paul.pk])
    assert (link in page.content.decode()) is shown
