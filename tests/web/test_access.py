"""Who may see and change what. Every page and action against every role and a foreign clinic.

The personas and what each may do are written in tests/personas.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Role
from lasting.alerts.models import Alert, AlertStatus
from lasting.audit.models import AuditEvent, Outcome
from lasting.checkins.models import CheckIn, CheckInLink
from lasting.risk.services import assess_one
from lasting.treatment.models import (
    Appointment,
    MonitoringForm,
    Route,
    SessionKind,
    TreatmentSession,
)
from tests.factories import (
    make_member,
    make_phq9,
    make_session,
    phq9_answers,
    rows_shared_by_the_scope,
)
from tests.personas import Personas, client_for, make_personas

pytestmark = pytest.mark.django_db


def make_world(personas: Personas) -> dict[str, Any]:
    """The personas, with Paul's contact details, a safety alert, a session and a booster."""
    clinic_a, paul = personas.clinic, personas.paul
    paul.phone, paul.email = "555-0142", "paul@ex.org"
    paul.save()
    checkin = make_phq9(paul, 20, item9=2)
    alert = Alert.objects.get(response__checkin=checkin)
    session = make_session(
        paul,
        route=Route.INTRANASAL_ESKETAMINE,
        lot_number="LOT-4471",
        sedation=3,
        started_at=timezone.now() - timedelta(days=2),
    )
    Appointment.objects.create(
        organization=clinic_a,
        patient=paul,
        kind=SessionKind.BOOSTER,
        starts_at=timezone.now() + timedelta(days=5),
    )
    return {
        "people": {name: personas.member(name) for name in ("dr_ana", "dr_ben", "rn_cara")},
        "paul": paul,
        "alert": alert,
        "clinic_a": clinic_a,
        "session": session,
    }


@pytest.fixture
def world(personas):
    return make_world(personas)


@pytest.fixture(scope="class")
def shared_world(django_db_setup, django_db_blocker):
    """The same world, built once for a class whose tests only read it."""
    with rows_shared_by_the_scope(django_db_blocker):
        yield make_world(make_personas())


PAGES = {
    "caseload": lambda w: reverse("clinic:caseload"),
    "quiet": lambda w: reverse("clinic:quiet"),
    "patient": lambda w: reverse("clinic:patient", args=[w["paul"].pk]),
    "reminders": lambda w: reverse("outreach:schedule", args=[w["paul"].pk]),
    "new_session": lambda w: reverse("intake:new_session", args=[w["paul"].pk]),
    "new_event": lambda w: reverse("intake:new_event", args=[w["paul"].pk]),
    "rems_forms": lambda w: reverse("treatment:monitoring_forms"),
    "rems_form": lambda w: reverse("treatment:monitoring_form", args=[w["session"].pk]),
    "plan": lambda w: reverse("plans:edit_plan", args=[w["paul"].pk]),
    "enter_phq9": lambda w: reverse("intake:enter_phq9", args=[w["paul"].pk]),
    "new_patient": lambda w: reverse("patients:new"),
    "review": lambda w: reverse("clinic:review"),
    "alerts": lambda w: reverse("alerts:list"),
    "organization": lambda w: reverse("accounts:organization"),
}

PERSONAS = ("dr_ana", "dr_ben", "rn_cara", "sam_front", "admin_dora", "dr_olga")


def expect(*statuses: int) -> dict[str, int]:
    return dict(zip(PERSONAS, statuses, strict=True))


# Expected status per (page, persona), in the order of PERSONAS:
#                                  ana  ben  cara  sam  dora olga
EXPECTED = {
    "caseload": expect(200, 200, 200, 200, 403, 200),
    "quiet": expect(200, 200, 200, 200, 403, 200),
    "patient": expect(200, 200, 200, 200, 403, 404),
    "reminders": expect(200, 200, 200, 200, 403, 404),
    "new_session": expect(200, 200, 200, 403, 403, 404),
    "new_event": expect(200, 200, 403, 403, 403, 404),
    "rems_forms": expect(200, 200, 200, 403, 403, 200),
    "rems_form": expect(200, 200, 200, 403, 403, 404),
    "plan": expect(200, 200, 403, 403, 403, 404),
    "new_patient": expect(200, 200, 200, 403, 403, 200),
    "review": expect(200, 200, 403, 403, 403, 200),
    "enter_phq9": expect(200, 200, 200, 403, 403, 404),
    "alerts": expect(200, 200, 200, 403, 403, 200),
    "organization": expect(403, 403, 403, 403, 200, 403),
}


class TestEveryPage:
    """Each page against each persona and an anonymous visitor; the tests only read."""

    @pytest.mark.parametrize(
        ("page", "persona"),
        [(page, persona) for page, by_persona in EXPECTED.items() for persona in by_persona],
    )
    def test_each_page_answers_each_persona_as_the_rules_say(self, shared_world, page, persona):
        response = client_for(persona).get(PAGES[page](shared_world))
        assert response.status_code == EXPECTED[page][persona]

    @pytest.mark.parametrize("page", list(PAGES))
    def test_anonymous_visitors_are_sent_to_login(self, shared_world, page):
        response = Client().get(PAGES[page](shared_world))
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
    session = dr_olga.post(reverse("intake:new_session", args=[paul.pk]), {})
    assert link.status_code == 404
    assert session.status_code == 404
    assert not CheckInLink.objects.exists()
    assert list(TreatmentSession.objects.all()) == [world["session"]]


def test_the_scheduler_sees_contact_details_and_appointments_but_no_clinical_record(world):
    content = (
        client_for("sam_front")
        .get(reverse("clinic:patient", args=[world["paul"].pk]))
        .content.decode()
    )
    assert world["paul"].family_name in content
    assert "555-0142" in content
    assert "paul@ex.org" in content
    assert 'id="appointments"' in content
    assert "Booster" in content
    for clinical in (
        'id="sessions"',  # doses, vital signs, sedation and dissociation
        "LOT-4471",
        "84 mg",
        "128/80",
        "MOAA/S",
        "Responds only after name is called",
        "timeline-spec",  # the PHQ-9 chart
        "<h2>Check-ins</h2>",
        "item 9",
        "Treatment-resistant depression",
        "Log session",
        "REMS form",
    ):
        assert clinical not in content, clinical


def test_the_nurse_sees_what_the_scheduler_does_not(world):
    content = (
        client_for("rn_cara")
        .get(reverse("clinic:patient", args=[world["paul"].pk]))
        .content.decode()
    )
    for clinical in ('id="sessions"', "LOT-4471", "84 mg", "128/80", "MOAA/S", "Log session"):
        assert clinical in content, clinical


def test_the_scheduler_caseload_shows_no_scores_or_sessions(world):
    content = client_for("sam_front").get(reverse("clinic:caseload")).content.decode()
    assert world["paul"].family_name in content
    assert "555-0142" in content
    assert "Latest PHQ-9" not in content
    assert "Severe" not in content
    assert "day ago" not in content
    assert "days ago" not in content
    assert "REMS" not in content


def test_the_scheduler_cannot_log_a_session_or_record_a_rems_submission(world):
    sam = client_for("sam_front")
    paul = world["paul"]
    session = sam.post(reverse("intake:new_session", args=[paul.pk]), {"route": "iv"})
    rems = sam.post(
        reverse("treatment:monitoring_form", args=[world["session"].pk]),
        {"submitted_on": today_in(paul.organization.time_zone).isoformat()},
    )
    assert session.status_code == 403
    assert rems.status_code == 403
    assert TreatmentSession.objects.count() == 1
    assert MonitoringForm.objects.get().submitted_on is None


def test_the_scheduler_may_change_reminder_preferences_and_the_admin_may_not(world):
    from lasting.outreach.models import ContactPreference

    url = reverse("outreach:schedule", args=[world["paul"].pk])
    body = {"channel": "sms", "quiet_from": "21:00", "quiet_until": "08:00"}
    assert client_for("admin_dora").post(url, body).status_code == 403
    assert not ContactPreference.objects.exists()
    assert client_for("sam_front").post(url, body).status_code == 302
    assert ContactPreference.objects.get(patient=world["paul"]).channel == "sms"


def test_nurses_and_clinicians_may_log_sessions_and_schedulers_may_not():
    from lasting.accounts import rules
    from lasting.accounts.models import Membership

    for role, allowed in (
        (Role.CLINICIAN, True),
        (Role.STAFF, True),
        (Role.SCHEDULER, False),
        (Role.ADMIN, False),
    ):
        membership = Membership(role=role, is_active=True)
        assert rules.can_log_sessions(membership) is allowed
        assert rules.can_view_clinical_record(membership) is allowed
        assert rules.can_file_monitoring_forms(membership) is allowed
    inactive_nurse = Membership(role=Role.STAFF, is_active=False)
    assert not rules.can_log_sessions(inactive_nurse)
    assert rules.can_view_patients(Membership(role=Role.SCHEDULER, is_active=True))


def test_the_nurse_role_keeps_its_stored_value_and_reads_nurse():
    assert Role.STAFF.value == "staff"
    assert Role.STAFF.label == "Nurse"


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


SCHEDULER_REFUSED_ACTIONS = {
    "issue a check-in link": lambda w: (
        reverse("checkins:new_link", args=[w["paul"].pk]),
        {"instruments": ["phq9"]},
    ),
    "acknowledge an alert": lambda w: (reverse("alerts:acknowledge", args=[w["alert"].pk]), {}),
    "record a clinical event": lambda w: (
        reverse("intake:new_event", args=[w["paul"].pk]),
        {"kind": "hospitalisation", "occurred_on": "2026-01-10"},
    ),
    "register a patient": lambda w: (
        reverse("patients:new"),
        {"record_number": "S-1", "given_name": "Sam", "family_name": "Front"},
    ),
}


@pytest.mark.parametrize("action", list(SCHEDULER_REFUSED_ACTIONS))
def test_the_scheduler_is_refused_every_clinical_action_and_nothing_changes(world, action):
    from lasting.patients.models import Patient
    from lasting.treatment.models import ClinicalEvent

    path, body = SCHEDULER_REFUSED_ACTIONS[action](world)
    before = (Patient.objects.count(), CheckInLink.objects.count(), ClinicalEvent.objects.count())
    response = client_for("sam_front").post(path, body)
    assert response.status_code == 403
    after = (Patient.objects.count(), CheckInLink.objects.count(), ClinicalEvent.objects.count())
    assert after == before
    world["alert"].refresh_from_db()
    assert world["alert"].status == AlertStatus.OPEN


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
        reverse("intake:enter_phq9", args=[world["paul"].pk]), phq9_entry(20, 3)
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
        path = reverse("intake:enter_phq9", args=[world["paul"].pk])
        assert client.get(path).status_code == 403
        assert client.post(path, phq9_entry(20, 3)).status_code == 403
    assert CheckIn.objects.filter(source="clinic").count() == 1  # the fixture's own


def test_a_nurse_s_entry_for_paul_opens_his_safety_alert(world):
    before = Alert.objects.filter(patient=world["paul"]).count()
    response = client_for("rn_cara").post(
        reverse("intake:enter_phq9", args=[world["paul"].pk]), phq9_entry(20, 2)
    )
    assert response.status_code == 302
    assert Alert.objects.filter(patient=world["paul"]).count() == before + 1


def test_nurses_who_handle_safety_alerts_see_their_pills_and_item9(personas, safety_alert):
    caseload = client_for("rn_cara").get(reverse("clinic:caseload")).content.decode()
    assert "Safety" in caseload
    chart = client_for("rn_cara").get(reverse("clinic:patient", args=[personas.paul.pk]))
    assert b"item 9" in chart.content


def test_staff_see_no_risk_or_forecast_on_the_chart(personas, safety_alert):
    assess_one(personas.paul)
    page = client_for("rn_cara").get(reverse("clinic:patient", args=[personas.paul.pk]))
    assert b"risk-spec" not in page.content
    assert b"Forecast crossing" not in page.content
    assert b"Relapse risk" not in page.content
