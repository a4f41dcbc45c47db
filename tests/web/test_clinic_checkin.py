"""A PHQ-9 the patient filled in at the clinic, entered by a clinician or nurse.

Personas:
- dr_ana: clinician in Clinic A, treats Paul.
- rn_cara: nurse (staff) in Clinic A: may enter a PHQ-9 for Paul.
Access for every role and a foreign clinic is in test_access.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.alerts.models import Alert, AlertKind, AlertStatus, Priority
from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import CheckIn, Source
from lasting.clinic.queries import list_caseload_for
from lasting.plans.services import refresh_patient
from lasting.risk.models import RiskAssessment
from lasting_core.definitions import RelapseState
from tests.factories import (
    make_session,
    phq9_answers,
    sign_in,
)

pytestmark = pytest.mark.django_db
WALL_TIME = "%Y-%m-%dT%H:%M"


@pytest.fixture
def in_la(personas):
    """The personas, with Clinic A in Los Angeles."""
    personas.clinic.time_zone = "America/Los_Angeles"
    personas.clinic.save()
    return {
        "clinic": personas.clinic,
        "dr_ana": personas.dr_ana,
        "rn_cara": personas.rn_cara,
        "paul": personas.paul,
    }


def signed_in(username: str) -> Client:
    client = Client()
    assert sign_in(client, username)
    return client


def clinic_time(clinic, moment: datetime) -> str:
    """Wall time on the organisation's clock, as the form's field shows it."""
    return moment.astimezone(ZoneInfo(clinic.time_zone)).strftime(WALL_TIME)


def read_once(clinic, moment: datetime) -> datetime:
    """The latest whole minute at or before ``moment`` whose wall time on the clinic's
    clock names one instant only (an hour earlier while in the hour that repeats)."""
    zone = ZoneInfo(clinic.time_zone)
    moment = moment.replace(second=0, microsecond=0)
    while moment.astimezone(zone).replace(fold=0).utcoffset() != (
        moment.astimezone(zone).replace(fold=1).utcoffset()
    ):
        moment -= timedelta(hours=1)
    return moment


def body(taken_at: str, total: int, item9: int = 0, key: str = "key-1") -> dict[str, str]:
    fields = {"idempotency_key": key, "taken_at": taken_at}
    for item, value in phq9_answers(total, item9).items():
        fields[f"phq9__{item}"] = str(value)
    return fields


def enter(client: Client, paul, fields: dict[str, str]):
    return client.post(reverse("intake:enter_phq9", args=[paul.pk]), fields)


def test_a_nurse_enters_a_phq9_as_a_clinic_check_in(in_la):
    paul = in_la["paul"]
    taken = timezone.now() - timedelta(hours=2)
    response = enter(signed_in("rn_cara"), paul, body(clinic_time(in_la["clinic"], taken), 14))
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient", args=[paul.pk])
    checkin = CheckIn.objects.get(patient=paul)
    assert checkin.source == Source.CLINIC
    assert abs(checkin.submitted_at - taken) < timedelta(minutes=1)
    assert checkin.responses.get().total == 14
    assert AuditEvent.objects.filter(
        action=Action.CREATE, patient_id=paul.pk, user_id=in_la["rn_cara"].user_id
    ).exists()


def test_item9_of_2_entered_in_clinic_opens_an_urgent_safety_alert(
    in_la, django_capture_on_commit_callbacks, immediate_tasks
):
    paul = in_la["paul"]
    now = clinic_time(in_la["clinic"], timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = enter(signed_in("rn_cara"), paul, body(now, 19, item9=2))
    assert response.status_code == 302
    alert = Alert.objects.get(patient=paul)
    assert alert.kind == AlertKind.SAFETY
    assert alert.priority == Priority.URGENT
    assert alert.status == AlertStatus.OPEN
    assert alert.assigned_to == in_la["dr_ana"].user
    assert alert.response.checkin.source == Source.CLINIC
    assert [message.to for message in mail.outbox] == [["dr_ana@example.org"]]


def test_a_missing_item9_entered_in_clinic_still_needs_follow_up(in_la):
    paul = in_la["paul"]
    fields = body(clinic_time(in_la["clinic"], timezone.now()), 12)
    del fields["phq9__q9"]
    assert enter(signed_in("dr_ana"), paul, fields).status_code == 302
    assert Alert.objects.get(patient=paul).priority == Priority.HIGH


def test_the_form_offers_now_on_the_clinics_clock(in_la):
    response = signed_in("rn_cara").get(reverse("intake:enter_phq9", args=[in_la["paul"].pk]))
    assert response.status_code == 200
    shown = clinic_time(in_la["clinic"], timezone.now())
    earlier = clinic_time(in_la["clinic"], timezone.now() - timedelta(minutes=1))
    assert f'value="{shown}"'.encode() in response.content or (
        f'value="{earlier}"'.encode() in response.content
    )


def test_a_time_in_the_future_on_the_clinics_clock_is_refused(in_la):
    paul = in_la["paul"]
    # Two hours ahead is in the future under either reading of a repeated hour.
    ahead = clinic_time(in_la["clinic"], timezone.now() + timedelta(hours=2))
    response = enter(signed_in("rn_cara"), paul, body(ahead, 14))
    assert response.status_code == 422
    assert b"cannot be in the future" in response.content
    assert not CheckIn.objects.exists()


def test_the_time_taken_is_read_on_the_clinics_clock_not_the_servers(in_la):
    """Los Angeles is 7-8 hours behind UTC: the same wall time read as UTC would be hours
    off (and at some hours in the future)."""
    paul = in_la["paul"]
    taken = read_once(in_la["clinic"], timezone.now() - timedelta(hours=1))
    enter(signed_in("rn_cara"), paul, body(clinic_time(in_la["clinic"], taken), 9))
    assert CheckIn.objects.get(patient=paul).submitted_at == taken


# Los Angeles, 2026-11-01: 01:00-02:00 happens twice (08:00-09:00Z, then 09:00-10:00Z).
SECOND_ONE_THIRTY = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("wall", "stored"),
    [
        ("2026-11-01T01:15", datetime(2026, 11, 1, 9, 15, tzinfo=UTC)),  # the second 01:15
        ("2026-11-01T01:45", datetime(2026, 11, 1, 8, 45, tzinfo=UTC)),  # the second is to come
    ],
)
def test_in_the_hour_that_repeats_the_latest_reading_already_passed_is_meant(in_la, wall, stored):
    with time_machine.travel(SECOND_ONE_THIRTY, tick=True):
        paul = in_la["paul"]
        assert enter(signed_in("rn_cara"), paul, body(wall, 9)).status_code == 302
        assert CheckIn.objects.get(patient=paul).submitted_at == stored


def test_a_time_the_clinics_clocks_skipped_is_refused(in_la):
    # Los Angeles, 2026-03-08: 02:00 became 03:00.
    with time_machine.travel(datetime(2026, 3, 8, 20, 0, tzinfo=UTC), tick=True):
        response = enter(signed_in("rn_cara"), in_la["paul"], body("2026-03-08T02:30", 9))
    assert response.status_code == 422
    assert b"skipped this time" in response.content
    assert not CheckIn.objects.exists()


def test_sending_the_form_twice_stores_one_check_in_and_one_alert(in_la):
    paul = in_la["paul"]
    fields = body(clinic_time(in_la["clinic"], timezone.now()), 16, item9=1, key="same")
    nurse = signed_in("rn_cara")
    assert enter(nurse, paul, fields).status_code == 302
    assert enter(nurse, paul, fields).status_code == 302
    assert CheckIn.objects.filter(patient=paul).count() == 1
    assert Alert.objects.filter(patient=paul).count() == 1


def test_a_phq9_entered_in_clinic_before_induction_becomes_the_baseline(
    in_la, django_capture_on_commit_callbacks
):
    """Paul had no check-in before his first infusion; the paper PHQ-9 from that morning
    is entered afterwards and gives him a baseline."""
    paul = in_la["paul"]
    first_session = timezone.now() - timedelta(days=3)
    make_session(paul, started_at=first_session)
    refresh_patient(paul)
    assert RiskAssessment.objects.latest("computed_at").relapse_state == RelapseState.NO_BASELINE
    morning = clinic_time(in_la["clinic"], first_session - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert enter(signed_in("rn_cara"), paul, body(morning, 22)).status_code == 302
    assessment = RiskAssessment.objects.filter(patient=paul).latest("computed_at")
    assert assessment.relapse_state == RelapseState.NOT_ASSESSED  # induction under way
    rows = list_caseload_for(in_la["dr_ana"], now=timezone.now())
    assert next(row for row in rows if row.patient.pk == paul.pk).baseline_phq9 == 22


def test_the_patient_page_links_to_the_entry_form_and_marks_clinic_check_ins(in_la):
    paul = in_la["paul"]
    nurse = signed_in("rn_cara")
    enter(nurse, paul, body(clinic_time(in_la["clinic"], timezone.now()), 11))
    page = nurse.get(reverse("clinic:patient", args=[paul.pk])).content.decode()
    assert reverse("intake:enter_phq9", args=[paul.pk]) in page
    assert "entered in clinic" in page
