"""`lasting import sessions`: sessions.csv through the one door's bulk entrance."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from lasting.audit.models import Action, AuditEvent
from lasting.patients.models import Phase
from lasting.treatment.models import TreatmentSession
from tests.factories import make_organization, make_patient
from tests.interop.support import run, write

pytestmark = pytest.mark.django_db

HEADER = "patient_id,session_on,kind,route,dose_mg"


@pytest.fixture
def clinic():
    return make_organization(slug="north", time_zone="America/Denver")


@pytest.fixture
def paul(clinic):
    return make_patient(clinic, record_number="MRN-7", time_zone="America/Chicago")


def import_file(capsys, path, *extra):
    return run(capsys, "import", "sessions", str(path), "--organization", "north", *extra)


def test_sessions_are_stored_on_the_patients_clock_and_move_the_course(tmp_path, capsys, paul):
    path = write(
        tmp_path / "sessions.csv",
        HEADER,
        "MRN-7,2025-02-03T10:00:00,induction,iv,35.5",
        "MRN-7,2025-02-05T10:00:00-06:00,induction,iv,35",
        "MRN-7,2025-04-01,booster,im,40",
    )
    code, out, err = import_file(capsys, path)
    assert code == 0, err
    assert "3 sessions imported" in out
    sessions = list(TreatmentSession.objects.filter(patient=paul).order_by("started_at"))
    chicago = ZoneInfo("America/Chicago")
    assert [s.started_at for s in sessions] == [
        datetime(2025, 2, 3, 10, tzinfo=chicago),
        datetime(2025, 2, 5, 10, tzinfo=chicago),
        datetime(2025, 4, 1, 12, tzinfo=chicago),
    ]
    assert sessions[0].dose_mg == Decimal("35.5")
    assert {s.course.number for s in sessions} == {1}
    assert paul.courses.get(number=1).phase == Phase.MAINTENANCE
    assert AuditEvent.objects.filter(
        action=Action.CREATE, object_type="SessionImport", patient_id=paul.pk
    ).exists()


def test_an_induction_after_the_course_gap_starts_a_new_course(tmp_path, capsys, paul):
    path = write(
        tmp_path / "sessions.csv",
        HEADER,
        "MRN-7,2024-01-08,induction,iv,35",
        "MRN-7,2025-06-02,induction,iv,35",
    )
    assert import_file(capsys, path)[0] == 0
    numbers = TreatmentSession.objects.filter(patient=paul).order_by("started_at")
    assert [session.course.number for session in numbers] == [1, 2]


def test_bad_rows_import_nothing_and_each_is_named(tmp_path, capsys, paul):
    path = write(
        tmp_path / "sessions.csv",
        HEADER,
        "MRN-7,2025-02-03,induction,iv,35",
        "MRN-7,2025-02-04,infusion,iv,35",
        "MRN-7,2025-02-05,induction,oral,35",
        "MRN-7,2025-02-06,induction,iv,35.25",
        "MRN-7,2025-02-03,induction,iv,35",
        "MRN-1,2025-02-07,booster,iv,35",
    )
    code, _out, err = import_file(capsys, path)
    assert code == 1
    assert "line 3, column kind: 'infusion' is not one of induction" in err
    assert "line 4, column route: 'oral' is not one of" in err
    assert "line 5, column dose_mg: must be 0-1000 mg with at most one decimal" in err
    assert "line 6, column session_on: this patient has a session at this time already" in err
    assert "line 7, column patient_id: no patient 'MRN-1' in north" in err
    assert not TreatmentSession.objects.exists()
