"""`lasting import patients`: the whole file or nothing, every bad row named."""

from __future__ import annotations

from datetime import date

import pytest

from lasting.audit.models import Action, AuditEvent
from lasting.patients.models import Course, Patient, Phase
from tests.factories import make_organization, make_patient
from tests.interop.support import run, write

pytestmark = pytest.mark.django_db

HEADER = "patient_id,given_name,family_name,date_of_birth,time_zone,phone,diagnoses,started_on"


@pytest.fixture
def clinic():
    return make_organization(slug="north", time_zone="America/Denver")


def test_it_registers_every_patient_with_a_first_course(tmp_path, capsys, clinic):
    path = write(
        tmp_path / "patients.csv",
        HEADER,
        "MRN-1,Ana,Lopez,1980-02-03,America/Chicago,303 555 0142,trd_mdd;ptsd,2025-01-06",
        "MRN-2,Ben,Okafor,1975-07-30,,,,",
    )
    code, out, _err = run(capsys, "import", "patients", str(path), "--organization", "north")
    assert code == 0
    assert "2 patients imported" in out
    ana = Patient.objects.get(organization=clinic, record_number="MRN-1")
    assert (ana.time_zone, ana.phone, ana.diagnoses) == (
        "America/Chicago",
        "+13035550142",
        ["trd_mdd", "ptsd"],
    )
    ben = Patient.objects.get(organization=clinic, record_number="MRN-2")
    assert ben.time_zone == "America/Denver"  # the organisation's clock when none is given
    course = Course.objects.get(patient=ana)
    assert (course.number, course.phase, course.started_on) == (
        1,
        Phase.EVALUATION,
        date(2025, 1, 6),
    )
    audited = AuditEvent.objects.filter(action=Action.CREATE, object_type="PatientImport")
    assert sorted(audited.values_list("patient_id", flat=True)) == sorted([ana.pk, ben.pk])


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row_and_column(
    tmp_path, capsys, clinic
):
    make_patient(clinic, record_number="mrn-9")
    path = write(
        tmp_path / "patients.csv",
        HEADER,
        "MRN-1,Ana,Lopez,1980-02-03,,,,",
        "MRN-2,Ben,Okafor,03/07/1975,,,,",
        "MRN-3,Cy,Moss,1990-01-01,Mars/Olympus,,,",
        "MRN-9,Dee,Park,1990-01-01,,,,",
        "mrn-1,Eve,Stone,1990-01-01,,,ocd;flu,",
    )
    code, out, err = run(capsys, "import", "patients", str(path), "--organization", "north")
    assert code == 1
    assert out == ""
    assert "4 bad row(s) of 5" in err
    assert "line 3, column date_of_birth: '03/07/1975' is not an ISO date" in err
    assert "line 4, column time_zone: 'Mars/Olympus' is not a time zone" in err
    assert "line 5, column patient_id: 'MRN-9' is already registered" in err
    assert "line 6, column patient_id: 'mrn-1' is already registered or in the file" in err
    assert Patient.objects.filter(organization=clinic).count() == 1


def test_dry_run_checks_and_counts_but_stores_nothing(tmp_path, capsys, clinic):
    path = write(tmp_path / "patients.csv", HEADER, "MRN-1,Ana,Lopez,1980-02-03,,,,")
    code, out, _err = run(
        capsys, "import", "patients", str(path), "--organization", "north", "--dry-run"
    )
    assert code == 0
    assert "1 rows checked, all valid (1 patients); dry run, nothing imported" in out
    assert not Patient.objects.filter(organization=clinic).exists()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("patient_id,given_name,date_of_birth", "missing column(s) family_name"),
        (HEADER + ",shoe_size", "unknown column(s) shoe_size"),
    ],
)
def test_a_wrong_header_is_refused_naming_the_columns(tmp_path, capsys, clinic, header, message):
    path = write(tmp_path / "patients.csv", header)
    code, _out, err = run(capsys, "import", "patients", str(path), "--organization", "north")
    assert code == 1
    assert message in err
    assert "nothing imported" in err


def test_a_missing_file_and_an_unknown_organisation_are_named(tmp_path, capsys, clinic):
    code, _out, err = run(
        capsys, "import", "patients", str(tmp_path / "nope.csv"), "--organization", "north"
    )
    assert (code, "nope.csv: no such file" in err) == (1, True)
    path = write(tmp_path / "patients.csv", HEADER)
    code, _out, err = run(capsys, "import", "patients", str(path), "--organization", "south")
    assert code == 1
    assert "no organisation 'south' (known: north)" in err


def test_the_report_shows_fifty_errors_and_counts_the_rest(tmp_path, capsys, clinic):
    rows = [f"MRN-{n},Ana,Lopez,not-a-date,,,," for n in range(60)]
    path = write(tmp_path / "patients.csv", HEADER, *rows)
    code, _out, err = run(capsys, "import", "patients", str(path), "--organization", "north")
    assert code == 1
    assert err.count("column date_of_birth") == 50
    assert "... and 10 more" in err
