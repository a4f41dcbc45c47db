"""Regression tests for the hardening round: redirects, visibility, sessions, courses."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.models import Role
from lasting.alerts.escalation import escalate_overdue_alerts
from lasting.alerts.models import Alert, AlertStatus
from lasting.audit.models import AuditEvent, Outcome
from lasting.audit.services import Actor
from lasting.clinic.queries import list_caseload_for
from lasting.intake.services import log_session
from lasting.patients.models import Phase
from lasting.treatment.models import SessionKind
from tests.factories import (
    PASSWORD,
    make_member,
    make_organization,
    make_patient,
    make_phq9,
    make_session,
    reading_rows,
    session_fields,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic():
    clinic = make_organization()
    dr_ana = make_member(clinic, Role.CLINICIAN, "dr_ana")
    make_member(clinic, Role.STAFF, "rn_cara")
    make_member(clinic, Role.ADMIN, "admin_dora")
    paul = make_patient(clinic, family_name="Moreno", assigned_clinician=dr_ana.user)
    make_phq9(paul, 12, item9=3)
    return {"clinic": clinic, "dr_ana": dr_ana, "paul": paul, "alert": Alert.objects.get()}


def client_for(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "alerts:nope"])
def test_next_never_leaves_the_site_or_breaks_the_page(clinic, target):
    response = client_for("dr_ana").post(
        reverse("alerts:acknowledge", args=[clinic["alert"].pk]), {"next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts:list")


def test_next_within_the_site_is_followed(clinic):
    back_to = reverse("clinic:patient", args=[clinic["paul"].pk])
    response = client_for("dr_ana").post(
        reverse("alerts:acknowledge", args=[clinic["alert"].pk]), {"next": back_to}
    )
    assert response["Location"] == back_to


def test_nurses_who_handle_safety_alerts_see_their_pills_and_item9(clinic):
    caseload = client_for("rn_cara").get(reverse("clinic:caseload")).content.decode()
    assert "Safety" in caseload
    chart = client_for("rn_cara").get(reverse("clinic:patient", args=[clinic["paul"].pk]))
    assert b"item 9" in chart.content


def test_without_alerts_the_caseload_order_ignores_them(clinic):
    calm = make_patient(clinic["clinic"], family_name="Calm")
    make_phq9(calm, 24)
    rows = list_caseload_for(clinic["dr_ana"], now=timezone.now(), include_alerts=False)
    assert [row.open_alerts for row in rows] == [0, 0]
    assert rows[0].patient.family_name == "Calm"  # severity order, not alert order


def test_an_active_session_still_ends_12_hours_after_signing_in(clinic):
    client = client_for("dr_ana")
    start = timezone.now()
    for minutes in range(10, 12 * 60, 10):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            client.get(reverse("clinic:caseload"))
    with time_machine.travel(start + timedelta(hours=12, minutes=5)):
        response = client.get(reverse("clinic:caseload"))
    assert response.status_code == 302


def test_a_refused_chart_is_audited_with_the_requested_id(clinic):
    make_member(make_organization(), Role.CLINICIAN, "dr_olga")
    client_for("dr_olga").get(reverse("clinic:patient", args=[clinic["paul"].pk]))
    event = AuditEvent.objects.get(outcome=Outcome.DENIED)
    assert (event.object_type, event.object_id) == ("Patient", str(clinic["paul"].pk))


def test_admins_land_on_their_organisation_page(clinic):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": "admin_dora", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:organization")
    assert b"People and roles" in response.content
    assert b"Moreno" not in response.content


def test_an_htmx_request_after_logout_redirects_the_whole_page(clinic):
    response = Client().post(
        reverse("alerts:acknowledge", args=[clinic["alert"].pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_a_returning_patient_starts_a_new_course_with_its_own_baseline(clinic):
    paul, now = clinic["paul"], timezone.now()
    make_phq9(paul, 20, submitted_at=now - timedelta(days=300))
    make_session(paul, started_at=now - timedelta(days=299))
    paul.courses.update(phase=Phase.DISCONTINUED, ended_on=(now - timedelta(days=200)).date())
    make_phq9(paul, 16, submitted_at=now - timedelta(days=20))  # the new baseline
    started_at = now - timedelta(days=19)
    session = log_session(
        Actor.system("tests"),
        paul,
        session_fields(started_at, kind=SessionKind.INDUCTION),
        reading_rows(started_at),
    )
    assert session.course.number == 2
    assert session.course.phase == Phase.INDUCTION
    make_phq9(paul, 8, submitted_at=now - timedelta(days=1))
    row = next(r for r in list_caseload_for(clinic["dr_ana"], now=now) if r.patient == paul)
    assert row.baseline_phq9 == 16


def test_escalation_with_nobody_else_goes_to_the_admins(clinic):
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    assert mail.outbox[-1].to == ["admin_dora@example.org"]


def test_an_escalation_contact_from_another_clinic_is_ignored(clinic):
    outsider = make_member(make_organization(), Role.CLINICIAN, "dr_out")
    make_member(clinic["clinic"], Role.CLINICIAN, "dr_ben")
    clinic["clinic"].escalation_contact = outsider.user
    clinic["clinic"].save()
    escalate_overdue_alerts(timezone.now() + timedelta(hours=5))
    assert mail.outbox[-1].to == ["dr_ben@example.org"]


def test_a_failed_escalation_email_is_sent_again_on_the_next_run(clinic, monkeypatch):
    make_member(clinic["clinic"], Role.CLINICIAN, "dr_ben")
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("connection refused")
        return 1

    monkeypatch.setattr("lasting.alerts.escalation.send_mail", flaky)
    later = timezone.now() + timedelta(hours=5)
    escalate_overdue_alerts(later)
    alert = Alert.objects.get()
    assert alert.escalated_at is not None
    assert alert.escalation_notified_at is None
    escalate_overdue_alerts(later + timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.escalation_notified_at is not None
    assert calls["n"] == 2
    assert AuditEvent.objects.filter(action="escalate").count() == 1


def test_an_acknowledged_safety_alert_is_resolved_by_a_contact_outcome_with_a_note(clinic):
    client = client_for("dr_ana")
    alert = clinic["alert"]
    client.post(reverse("alerts:acknowledge", args=[alert.pk]))
    missing = client.post(
        reverse("alerts:contact", args=[alert.pk]), {"outcome": "reached", "note": " "}
    )
    assert missing.status_code == 422
    clicked = client.post(reverse("alerts:resolve", args=[alert.pk]), {"note": "called"})
    assert clicked.status_code == 422
    client.post(
        reverse("alerts:contact", args=[alert.pk]),
        {"outcome": "reached", "note": "called; safety plan"},
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution_note == "called; safety plan"


def test_a_future_date_of_birth_is_refused(clinic):
    response = client_for("rn_cara").post(
        reverse("patients:new"),
        {
            "record_number": "X-1",
            "given_name": "A",
            "family_name": "B",
            "date_of_birth": "2999-01-01",
            "time_zone": "UTC",
            "preferred_language": "en",
            "diagnoses": ["trd_mdd"],
        },
    )
    assert response.status_code == 422
    assert b"cannot be in the future" in response.content


def test_item9_on_an_expired_link_still_opens_an_alert(clinic):
    import re

    from lasting.checkins.services import issue_link
    from lasting_core.instruments import InstrumentCode
    from tests.factories import SYSTEM, phq9_answers

    paul = clinic["paul"]
    issued = issue_link(SYSTEM, paul, [InstrumentCode.PHQ9])
    body = {"idempotency_key": "late"}
    body.update({f"phq9__{k}": str(v) for k, v in phq9_answers(20, 3).items()})
    before = Alert.objects.count()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = Client().post(re.sub(r"^https?://[^/]+", "", issued.url), body)
    assert response.status_code == 410
    assert b'id="crisis-now"' in response.content
    assert Alert.objects.count() == before + 1


@pytest.mark.parametrize("variant", ["dr_ana ", " dr_ana", "\uff44r_ana"])
def test_username_variants_share_one_throttle_count(clinic, variant):
    for _ in range(5):
        Client(REMOTE_ADDR="10.9.9.9").post(
            reverse("accounts:login"), {"username": "dr_ana", "password": "wrong guess 123"}
        )
    response = Client(REMOTE_ADDR="10.9.9.9").post(
        reverse("accounts:login"), {"username": variant, "password": PASSWORD}
    )
    assert response.status_code == 429


def test_staff_see_no_risk_or_forecast_on_the_chart(clinic):
    from lasting.risk.services import assess_one

    assess_one(clinic["paul"])
    page = client_for("rn_cara").get(reverse("clinic:patient", args=[clinic["paul"].pk]))
    assert b"risk-spec" not in page.content
    assert b"Forecast crossing" not in page.content
    assert b"Relapse risk" not in page.content
