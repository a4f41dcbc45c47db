"""`lasting import checkins`: observations.csv through the one door's bulk entrance."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from lasting.alerts.escalation import escalate_overdue_alerts, notify_pending_alerts
from lasting.alerts.models import Alert, AlertKind, Priority
from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import CheckIn, Response, Source
from tests.factories import make_organization, make_patient
from tests.interop.support import run, write
from tests.personas import client_for, make_personas

pytestmark = pytest.mark.django_db

HEADER = "patient_id,observed_on,instrument,score,item9,items,note"
DENVER = ZoneInfo("America/Denver")


@pytest.fixture
def clinic():
    return make_organization(slug="north", time_zone="America/Denver")


@pytest.fixture
def paul(clinic):
    return make_patient(clinic, record_number="MRN-7", time_zone="America/Denver")


def import_file(capsys, path, *extra):
    return run(capsys, "import", "checkins", str(path), "--organization", "north", *extra)


def test_rows_at_one_time_become_one_scored_check_in(tmp_path, capsys, paul):
    path = write(
        tmp_path / "observations.csv",
        HEADER,
        "mrn-7,2026-03-02T19:30:00,phq9,12,0,2;2;2;2;1;1;1;1;0;1,",
        "MRN-7,2026-03-02T19:30:00,daily_mood,4,,,",
        "MRN-7,2026-03-02T19:30:00,daily_sleep,6,,,",
        "MRN-7,2026-03-02T19:30:00,daily_stress,7,,,",
        "MRN-7,2026-03-09,gad7,11,,,",
    )
    code, out, _err = import_file(capsys, path)
    assert code == 0, _err
    assert "2 check-ins (3 responses) imported" in out
    first, second = CheckIn.objects.filter(patient=paul).order_by("submitted_at")
    assert first.source == Source.IMPORT
    assert first.submitted_at == datetime(2026, 3, 2, 19, 30, tzinfo=DENVER)
    assert second.submitted_at == datetime(2026, 3, 9, 12, 0, tzinfo=DENVER)  # a date: noon
    phq9 = Response.objects.get(checkin=first, instrument="phq9")
    assert (phq9.total, phq9.band, phq9.answers["difficulty"]) == (12.0, "moderate", 1)
    daily = Response.objects.get(checkin=first, instrument="daily")
    assert daily.answers == {"mood": 4, "sleep": 6, "stress": 7, "pain": None}
    gad7 = Response.objects.get(checkin=second)
    assert (gad7.total, gad7.band, gad7.answers["q1"]) == (11.0, "moderate", None)
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="CheckInImport", patient_id=paul.pk
    ).exists()


def test_one_bad_row_imports_nothing_and_names_its_line_and_column(tmp_path, capsys, paul):
    path = write(
        tmp_path / "observations.csv",
        HEADER,
        "MRN-7,2026-03-02,phq9,5,0,,",
        "MRN-7,2026-03-03,phq9,31,0,,",
        "MRN-7,2026-03-04,gad7,4,,,",
    )
    code, out, err = import_file(capsys, path)
    assert code == 1
    assert out == ""
    assert "observations.csv, line 3, column score:" in err
    assert "nothing imported: 1 bad row(s) of 3" in err
    assert not CheckIn.objects.exists()


def test_every_bad_row_is_reported_not_only_the_first(tmp_path, capsys, paul):
    path = write(
        tmp_path / "observations.csv",
        HEADER,
        "MRN-8,2026-03-02,phq9,5,,,",
        "MRN-7,2026-13-02,phq9,5,,,",
        "MRN-7,2026-03-02,phq10,5,,,",
        "MRN-7,2026-03-05,phq9,5,0,1;1;1;1;1;0;0;0;0;,",
        "MRN-7,2026-03-06,gad7,5,2,,",
        "MRN-7,2026-03-07,daily_mood,5,,,",
    )
    code, _out, err = import_file(capsys, path)
    assert code == 1
    assert "line 2, column patient_id: no patient 'MRN-8' in north" in err
    assert "line 3, column observed_on:" in err
    assert "line 4, column instrument: 'phq10' is not one of" in err
    assert "line 5, column score: does not match the items' total (5" not in err
    assert "line 6, column item9: is only allowed on phq9 rows" in err
    assert "line 7, column instrument: a daily check needs daily_mood, daily_sleep" in err


def test_item9_history_opens_one_review_alert_per_patient_that_is_never_emailed(
    tmp_path, capsys, paul, mailoutbox
):
    path = write(
        tmp_path / "observations.csv",
        HEADER,
        "MRN-7,2025-01-06,phq9,14,1,,",
        "MRN-7,2025-01-13,phq9,16,2,,",
        "MRN-7,2025-01-20,phq9,9,0,,",
        "MRN-7,2025-01-27,phq9,10,1,,",
    )
    code, out, _err = import_file(capsys, path)
    assert code == 0
    assert "1 safety alert(s) opened for review" in out
    alert = Alert.objects.get(patient=paul)
    assert (alert.kind, alert.priority) == (AlertKind.SAFETY, Priority.REVIEW)
    assert alert.drivers["imported"] is True
    assert (alert.drivers["item9"], alert.drivers["answers"]) == (2, 3)
    assert alert.response.total == 16.0
    assert "historical" not in alert.reason.lower() or "Imported history" in alert.reason
    assert notify_pending_alerts() == 0
    assert escalate_overdue_alerts() == []
    assert mailoutbox == []


def test_a_note_that_matches_the_screening_list_opens_a_review_alert(tmp_path, capsys, paul):
    path = write(
        tmp_path / "observations.csv",
        HEADER,
        "MRN-7,2025-01-06,phq9,4,0,,I want to kill myself",
    )
    code, _out, _err = import_file(capsys, path)
    assert code == 0
    alert = Alert.objects.get(patient=paul)
    assert (alert.priority, alert.drivers["notes"], alert.drivers["imported"]) == (
        Priority.REVIEW,
        1,
        True,
    )
    assert CheckIn.objects.get(patient=paul).note == "I want to kill myself"


def test_the_same_file_twice_is_refused_the_second_time(tmp_path, capsys, paul):
    path = write(tmp_path / "observations.csv", HEADER, "MRN-7,2025-01-06,gad7,4,,,")
    assert import_file(capsys, path)[0] == 0
    code, _out, err = import_file(capsys, path)
    assert code == 1
    assert "line 2, column observed_on: this patient has a check-in at this time already" in err
    assert CheckIn.objects.count() == 1


def test_patients_are_reassessed_once_after_the_commit(
    tmp_path, capsys, paul, django_capture_on_commit_callbacks, monkeypatch, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    calls = []
    monkeypatch.setattr(
        "lasting.plans.tasks.reassess_patients",
        lambda organization_id, patient_ids: calls.append(patient_ids) or 0,
    )
    rows = [f"MRN-7,2025-01-{day:02d},gad7,4,,," for day in range(1, 21)]
    path = write(tmp_path / "observations.csv", HEADER, *rows)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_file(capsys, path)[0] == 0
    assert calls == [[paul.pk]]


def test_dry_run_stores_no_check_in_and_no_alert(tmp_path, capsys, paul):
    path = write(tmp_path / "observations.csv", HEADER, "MRN-7,2025-01-06,phq9,14,2,,")
    code, out, _err = import_file(capsys, path, "--dry-run")
    assert code == 0
    assert "1 check-ins with 1 responses" in out
    assert not CheckIn.objects.exists()
    assert not Alert.objects.exists()


def test_the_historical_alert_waits_in_the_needs_review_queue_and_opens_like_any(tmp_path, capsys):
    personas = make_personas()
    personas.paul.record_number = "MRN-55"
    personas.paul.save(update_fields=["record_number"])
    path = write(tmp_path / "observations.csv", HEADER, "MRN-55,2025-01-06,phq9,14,2,,")
    code, _out, err = run(
        capsys, "import", "checkins", str(path), "--organization", personas.clinic.slug
    )
    assert code == 0, err
    dr_ana = client_for("dr_ana")
    response = dr_ana.get(reverse("clinic:review"))
    assert response.status_code == 200
    assert b"Imported history: PHQ-9 item 9" in response.content
    alert = Alert.objects.get(patient=personas.paul)
    assert dr_ana.get(reverse("alerts:list")).status_code == 200
    assert dr_ana.get(reverse("alerts:detail", args=[alert.pk])).status_code == 200
