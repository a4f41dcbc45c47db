"""What each resource does for the roles allowed to use it; who is refused is in the
generated matrix (test_api_access_matrix.py)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.alerts.models import Alert, AlertKind, AlertStatus, Priority
from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import CheckIn, Source
from lasting.plans.models import BoosterProposal, ProposalStatus
from lasting.treatment.models import Appointment, Route, TreatmentSession
from tests.api.matrix_support import json_value
from tests.factories import make_location, make_phq9, make_session, reading_rows, session_fields

pytestmark = pytest.mark.django_db


def post(client, path, body):
    import json
    import uuid

    return client.post(
        f"/api/v1{path}",
        json.loads(json.dumps(body, default=json_value)),
        content_type="application/json",
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )


def phq9(item9: int) -> dict[str, dict[str, int]]:
    return {"phq9": {f"q{n}": 1 for n in range(1, 9)} | {"q9": item9}}


def at_clinic(personas, days: int, hour: int) -> datetime:
    zone = personas.clinic.time_zone
    day = today_in(zone) + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone))


def test_item9_positive_through_the_api_opens_the_safety_alert(clients, personas):
    response = post(
        clients["rn_cara"], f"/patients/{personas.paul.pk}/checkins", {"answers": phq9(2)}
    )
    assert response.status_code == 201
    checkin = CheckIn.objects.get()
    assert checkin.source == Source.API
    alert = Alert.objects.get(patient=personas.paul)
    assert (alert.kind, alert.priority) == (AlertKind.SAFETY, Priority.URGENT)
    assert response.json()["responses"][0]["answers"]["q9"] == 2


def test_item9_zero_opens_no_alert(clients, personas):
    post(clients["dr_ana"], f"/patients/{personas.paul.pk}/checkins", {"answers": phq9(0)})
    assert not Alert.objects.exists()


def test_answers_that_do_not_score_name_the_instrument(clients, personas):
    response = post(
        clients["dr_ana"],
        f"/patients/{personas.paul.pk}/checkins",
        {"answers": {"phq9": {"q1": 7}}},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "answers", "phq9"]
    assert not CheckIn.objects.exists()


def test_refused_answers_with_a_positive_item9_still_open_the_safety_alert(clients, personas):
    answers = phq9(3)
    answers["phq9"]["q1"] = 7  # out of range: the check-in is refused
    response = post(
        clients["rn_cara"], f"/patients/{personas.paul.pk}/checkins", {"answers": answers}
    )
    assert response.status_code == 422
    assert not CheckIn.objects.exists()
    alert = Alert.objects.get(patient=personas.paul)
    assert (alert.kind, alert.priority) == (AlertKind.SAFETY, Priority.URGENT)


def test_checkins_read_newest_first_and_audited(clients, personas):
    older = make_phq9(personas.paul, 10, submitted_at=timezone.now() - timedelta(days=3))
    newer = make_phq9(personas.paul, 5)
    page = clients["dr_ana"].get(f"/api/v1/patients/{personas.paul.pk}/checkins").json()
    assert [c["id"] for c in page["items"]] == [newer.pk, older.pk]
    one = clients["rn_cara"].get(f"/api/v1/checkins/{older.pk}").json()
    assert one["responses"][0]["total"] == 10
    assert AuditEvent.objects.filter(
        action=Action.READ, object_type="CheckIn", patient_id=personas.paul.pk
    ).exists()


def test_nurses_see_safety_alerts_only(clients, personas):
    make_phq9(personas.paul, 12, item9=1)
    Alert.objects.create(
        organization=personas.clinic,
        patient=personas.paul,
        kind=AlertKind.EARLY_WARNING,
        priority=Priority.REVIEW,
        reason="rising",
        opened_at=timezone.now(),
    )

    def kinds(name: str) -> list[str]:
        return sorted(a["kind"] for a in clients[name].get("/api/v1/alerts").json()["items"])

    assert kinds("dr_ana") == ["early_warning", "safety"]
    assert kinds("rn_cara") == ["safety"]


def test_acknowledge_then_reach_the_patient_closes_the_alert(clients, personas, safety_alert):
    acknowledged = post(clients["rn_cara"], f"/alerts/{safety_alert.pk}/acknowledge", {})
    assert acknowledged.json()["status"] == AlertStatus.ACKNOWLEDGED
    assert acknowledged.json()["acknowledged_by_id"] == personas.rn_cara.user.pk
    contact = post(
        clients["dr_ana"],
        f"/alerts/{safety_alert.pk}/contact-attempts",
        {"outcome": "reached", "note": "Safe at home, plan reviewed"},
    )
    assert (contact.status_code, contact.json()["status"]) == (201, AlertStatus.RESOLVED)


def test_an_unknown_contact_outcome_is_422(clients, safety_alert):
    response = post(
        clients["dr_ana"],
        f"/alerts/{safety_alert.pk}/contact-attempts",
        {"outcome": "waved", "note": "x"},
    )
    assert response.status_code == 422
    assert safety_alert.contact_attempts.count() == 0


@pytest.fixture
def proposal(personas):
    today = today_in(personas.clinic.time_zone)
    return BoosterProposal.objects.create(
        organization=personas.clinic,
        patient=personas.paul,
        policy="forecast",
        created_at=timezone.now(),
        earliest_on=today,
        latest_on=today + timedelta(days=7),
        reason="forecast",
    )


def test_accepting_a_proposal_books_the_booster(clients, personas, proposal):
    location = make_location(personas.clinic)
    starts_at = at_clinic(personas, 2, 10)
    response = post(
        clients["dr_ana"],
        f"/proposals/{proposal.pk}/accept",
        {"starts_at": starts_at, "location_id": location.pk},
    )
    assert response.status_code == 201
    appointment = Appointment.objects.get(pk=response.json()["appointment_id"])
    assert (appointment.starts_at, appointment.kind) == (starts_at, "booster")


def test_moving_keeps_the_booster_proposed_in_the_new_window(clients, personas, proposal):
    today = today_in(personas.clinic.time_zone)
    window = {"earliest_on": today + timedelta(days=3), "latest_on": today + timedelta(days=9)}
    moved = post(clients["dr_ana"], f"/proposals/{proposal.pk}/move", {**window, "note": "away"})
    assert moved.json()["status"] == ProposalStatus.OPEN
    assert moved.json()["earliest_on"] == str(window["earliest_on"])
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.MOVED


def test_declining_needs_a_reason(clients, proposal):
    assert (
        post(clients["dr_ana"], f"/proposals/{proposal.pk}/decline", {"reason": ""}).status_code
        == 422
    )
    declined = post(clients["dr_ana"], f"/proposals/{proposal.pk}/decline", {"reason": "stable"})
    assert declined.json()["status"] == ProposalStatus.DECLINED


def test_a_session_posted_is_stored_with_its_vital_signs(clients, personas):
    started_at = timezone.now() - timedelta(hours=3)
    body = {**session_fields(started_at), "vitals": reading_rows(started_at)}
    response = post(clients["rn_cara"], f"/patients/{personas.paul.pk}/sessions", body)
    assert response.status_code == 201, response.content
    session = TreatmentSession.objects.get()
    assert session.vitals.count() == len(response.json()["vitals"]) > 0


def test_a_session_that_breaks_a_safety_rule_is_refused_naming_the_field(clients, personas):
    started_at = timezone.now() - timedelta(hours=3)
    body = {**session_fields(started_at), "vitals": reading_rows(started_at, spo2_percent=85)}
    response = post(clients["dr_ana"], f"/patients/{personas.paul.pk}/sessions", body)
    assert response.status_code == 422
    assert not TreatmentSession.objects.exists()


def test_an_esketamine_session_shows_its_rems_monitoring_form(clients, personas):
    session = make_session(personas.paul, route=Route.INTRANASAL_ESKETAMINE)
    shown = clients["dr_ana"].get(f"/api/v1/sessions/{session.pk}").json()
    assert shown["monitoring_form"]["due_on"] == str(session.monitoring_form.due_on)
    assert shown["vitals"]


def test_the_front_desk_books_an_appointment(clients, personas):
    location = make_location(personas.clinic)
    body = {
        "patient_id": personas.paul.pk,
        "kind": "maintenance",
        "starts_at": at_clinic(personas, 3, 9),
        "location_id": location.pk,
    }
    response = post(clients["sam_front"], "/appointments", body)
    assert response.status_code == 201
    listed = clients["sam_front"].get(f"/api/v1/appointments?patient_id={personas.paul.pk}")
    assert [a["id"] for a in listed.json()["items"]] == [response.json()["id"]]


def test_another_organisations_location_is_refused(clients, personas):
    elsewhere = make_location(personas.other_clinic)
    body = {
        "patient_id": personas.paul.pk,
        "kind": "maintenance",
        "starts_at": at_clinic(personas, 3, 9),
        "location_id": elsewhere.pk,
    }
    assert post(clients["sam_front"], "/appointments", body).status_code == 422
    assert not Appointment.objects.exists()


def test_the_prevention_plan_and_courses_read(clients, personas):
    plan = clients["rn_cara"].get(f"/api/v1/patients/{personas.paul.pk}/prevention-plan")
    assert plan.json()["number"] is None
    courses = clients["dr_ana"].get(f"/api/v1/patients/{personas.paul.pk}/courses").json()
    assert [c["number"] for c in courses["items"]] == [1]


def test_the_maintenance_plan_reads_the_clinic_defaults_until_one_is_saved(clients, personas):
    response = clients["dr_ana"].get(f"/api/v1/patients/{personas.paul.pk}/maintenance-plan")
    assert response.status_code == 200
    plan = response.json()
    assert plan["policy"] == "forecast"
    assert plan["updated_at"] is None
    read = AuditEvent.objects.filter(action=Action.READ, patient_id=personas.paul.pk)
    assert read.filter(object_type="MaintenancePlan").exists()
