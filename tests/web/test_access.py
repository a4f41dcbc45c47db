"""Who may see and change what. Every page and action against every role and a foreign clinic.

Personas:
- dr_ana: clinician in Clinic A, treats Paul.
- dr_ben: clinician in Clinic A, not treating Paul (same clinical team: may see him).
- rn_cara: nurse (staff) in Clinic A: sees patients, logs sessions, issues links, handles
  safety alerts; not the engine's alerts.
- admin_dora: admin of Clinic A: runs the clinic, does not read charts.
- dr_olga: clinician in Clinic B: sees nothing of Clinic A.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lasting.accounts.models import Role
from lasting.alerts.models import Alert, AlertStatus
from lasting.audit.models import AuditEvent, Outcome
from lasting.checkins.models import CheckIn, CheckInLink
from lasting.treatment.models import TreatmentSession
from tests.factories import (
    PASSWORD,
    make_member,
    make_organization,
    make_patient,
    make_phq9,
    phq9_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    clinic_a = make_organization(name="Clinic A")
    clinic_b = make_organization(name="Clinic B")
    people = {
        "dr_ana": make_member(clinic_a, Role.CLINICIAN, "dr_ana"),
        "dr_ben": make_member(clinic_a, Role.CLINICIAN, "dr_ben"),
        "rn_cara": make_member(clinic_a, Role.STAFF, "rn_cara"),
        "admin_dora": make_member(clinic_a, Role.ADMIN, "admin_dora"),
        "dr_olga": make_member(clinic_b, Role.CLINICIAN, "dr_olga"),
    }
    paul = make_patient(clinic_a, assigned_clinician=people["dr_ana"].user)
    checkin = make_phq9(paul, 20, item9=2)
    alert = Alert.objects.get(response__checkin=checkin)
    return {"people": people, "paul": paul, "alert": alert, "clinic_a": clinic_a}


def client_for(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


PAGES = {
    "caseload": lambda w: reverse("clinic:caseload"),
    "patient": lambda w: reverse("clinic:patient", args=[w["paul"].pk]),
    "new_session": lambda w: reverse("treatment:new_session", args=[w["paul"].pk]),
    "enter_phq9": lambda w: reverse("clinic:enter_phq9", args=[w["paul"].pk]),
    "new_patient": lambda w: reverse("patients:new"),
    "alerts": lambda w: reverse("alerts:list"),
}

# Expected status per (page, persona).
EXPECTED = {
    "caseload": {"dr_ana": 200, "dr_ben": 200, "rn_cara": 200, "admin_dora": 403, "dr_olga": 200},
    "patient": {"dr_ana": 200, "dr_ben": 200, "rn_cara": 200, "admin_dora": 403, "dr_olga": 404},
    "new_session": {
        "dr_ana": 200,
        "dr_ben": 200,
        "rn_cara": 200,
        "admin_dora": 403,
        "dr_olga": 404,
    },
    "enter_phq9": {
        "dr_ana": 200,
        "dr_ben": 200,
        "rn_cara": 200,
        "admin_dora": 403,
        "dr_olga": 404,
    },
    "new_patient": {
        "dr_ana": 200,
        "dr_ben": 200,
        "rn_cara": 200,
        "admin_dora": 403,
        "dr_olga": 200,
    },
    "alerts": {"dr_ana": 200, "dr_ben": 200, "rn_cara": 200, "admin_dora": 403, "dr_olga": 200},
}


@pytest.mark.parametrize(
    ("page", "persona"),
    [(page, persona) for page, by_persona in EXPECTED.items() for persona in by_persona],
)
def test_each_page_answers_each_persona_as_the_rules_say(world, page, persona):
    response = client_for(persona).get(PAGES[page](world))
    assert response.status_code == EXPECTED[page][persona]


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_visitors_are_sent_to_login(world, page):
    response = Client().get(PAGES[page](world))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_foreign_clinician_sees_nothing_of_paul_anywhere(world):
    dr_olga = client_for("dr_olga")
    paul = world["paul"]
    for path in (reverse("clinic:caseload"), reverse("alerts:list")):
        content = dr_olga.get(path).content.decode()
        assert paul.family_name not in content
        assert paul.record_number not in content


def test_a_foreign_clinician_cannot_acknowledge_the_alert(world):
    alert = world["alert"]
    response = client_for("dr_olga").post(reverse("alerts:acknowledge", args=[alert.pk]))
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert AuditEvent.objects.filter(action="acknowledge", outcome=Outcome.DENIED).exists()


def test_an_admin_cannot_acknowledge_a_safety_alert(world):
    alert = world["alert"]
    response = client_for("admin_dora").post(reverse("alerts:acknowledge", args=[alert.pk]))
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_the_treating_clinician_acknowledges_and_it_is_audited(world):
    alert = world["alert"]
    response = client_for("dr_ana").post(reverse("alerts:acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acknowledged_by == world["people"]["dr_ana"].user
    event = AuditEvent.objects.get(action="acknowledge", outcome=Outcome.SUCCESS)
    assert event.patient_id == world["paul"].pk
    assert event.user_id == world["people"]["dr_ana"].user.pk


def test_acknowledge_by_htmx_returns_the_updated_row(world):
    alert = world["alert"]
    response = client_for("dr_ben").post(
        reverse("alerts:acknowledge", args=[alert.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="alert-{alert.pk}"'.encode() in response.content
    assert b"Acknowledged" in response.content


def test_a_foreign_clinician_cannot_issue_links_or_log_sessions_for_paul(world):
    dr_olga = client_for("dr_olga")
    paul = world["paul"]
    link = dr_olga.post(reverse("checkins:new_link", args=[paul.pk]), {"instruments": ["phq9"]})
    session = dr_olga.post(reverse("treatment:new_session", args=[paul.pk]), {})
    assert link.status_code == 404
    assert session.status_code == 404
    assert not CheckInLink.objects.exists()
    assert not TreatmentSession.objects.exists()


def test_viewing_a_chart_is_audited_and_a_denied_view_changes_nothing(world):
    before = Alert.objects.count()
    client_for("dr_ben").get(reverse("clinic:patient", args=[world["paul"].pk]))
    assert AuditEvent.objects.filter(action="read", patient_id=world["paul"].pk).count() == 1
    client_for("dr_olga").get(reverse("clinic:patient", args=[world["paul"].pk]))
    assert AuditEvent.objects.filter(action="read", patient_id=world["paul"].pk).count() == 1
    assert Alert.objects.count() == before


def test_every_page_with_patient_data_is_marked_no_store(world):
    response = client_for("dr_ana").get(reverse("clinic:patient", args=[world["paul"].pk]))
    assert response["Cache-Control"] == "no-store"


def phq9_entry(total: int, item9: int) -> dict[str, str]:
    fields = {"idempotency_key": "entry", "taken_at": "2026-01-05T09:00"}
    fields.update(
        {f"phq9__{item}": str(value) for item, value in phq9_answers(total, item9).items()}
    )
    return fields


@pytest.mark.parametrize(("persona", "status"), [("admin_dora", 403), ("dr_olga", 404)])
def test_only_paul_s_clinical_team_can_enter_a_phq9_for_him(world, persona, status):
    before = CheckIn.objects.count(), Alert.objects.count()
    response = client_for(persona).post(
        reverse("clinic:enter_phq9", args=[world["paul"].pk]), phq9_entry(20, 3)
    )
    assert response.status_code == status
    assert (CheckIn.objects.count(), Alert.objects.count()) == before


def test_no_role_but_clinician_and_nurse_may_enter_a_phq9(world):
    """Any other role, a scheduler included where one exists, is refused."""
    others = [role for role in Role if role not in {Role.CLINICIAN, Role.STAFF}]
    assert others
    for role in others:
        member = make_member(world["clinic_a"], role, f"other_{role.value}")
        client = client_for(member.user.username)
        path = reverse("clinic:enter_phq9", args=[world["paul"].pk])
        assert client.get(path).status_code == 403
        assert client.post(path, phq9_entry(20, 3)).status_code == 403
    assert CheckIn.objects.filter(source="clinic").count() == 1  # the fixture's own


def test_a_nurse_s_entry_for_paul_opens_his_safety_alert(world):
    before = Alert.objects.filter(patient=world["paul"]).count()
    response = client_for("rn_cara").post(
        reverse("clinic:enter_phq9", args=[world["paul"].pk]), phq9_entry(20, 2)
    )
    assert response.status_code == 302
    assert Alert.objects.filter(patient=world["paul"]).count() == before + 1
