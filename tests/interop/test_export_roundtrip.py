"""`lasting export patients|sessions|checkins`: audited, and imported into an empty
organisation they give the same records."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import Response, Source
from lasting.intake.services import log_session, submit_checkin
from lasting.patients.models import Patient
from lasting.treatment.models import Route, SessionKind, TreatmentSession
from lasting_core.instruments import InstrumentCode, score
from lasting_core.instruments.summary import score_total
from tests.factories import SYSTEM, make_organization, make_patient, reading_rows, session_fields
from tests.interop.support import run

pytestmark = pytest.mark.django_db

PATIENT_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "time_zone",
    "preferred_language",
    "email",
    "phone",
    "diagnoses",
    "concurrent_antidepressant",
    "antidepressant_name",
    "in_therapy",
    "portal_access",
)
RESPONSE_FIELDS = (
    "observed_at",
    "instrument",
    "instrument_version",
    "answers",
    "total",
    "band",
    "band_label",
    "valid",
    "prorated",
    "flags",
    "checkin__note",
    "checkin__submitted_at",
)


@pytest.fixture
def source_clinic():
    """A clinic with two patients' sessions and check-ins of every instrument."""
    clinic = make_organization(slug="old", time_zone="America/Denver")
    ana = make_patient(
        clinic,
        record_number="A-1",
        given_name="=Ana",  # a formula-like name survives the spreadsheet guard
        time_zone="America/Los_Angeles",
        email="ana@example.org",
        phone="+13035550142",
        diagnoses=["trd_mdd", "ptsd"],
        concurrent_antidepressant=True,
        antidepressant_name="sertraline",
    )
    ben = make_patient(clinic, record_number="B-2", preferred_language="es", in_therapy=True)
    la = ZoneInfo("America/Los_Angeles")
    first = datetime(2026, 1, 12, 9, 30, tzinfo=la)
    for patient, started_at, overrides in (
        (ana, first, {}),
        (ana, first + timedelta(days=2), {"dose_mg": Decimal("42.5")}),
        (ben, first, {"kind": SessionKind.BOOSTER, "route": Route.IM}),
    ):
        fields = session_fields(started_at, **overrides)
        log_session(SYSTEM, patient, fields, reading_rows(started_at, fields["route"]))
    phq9 = {f"q{n}": 1 for n in range(1, 10)} | {"q3": None, "difficulty": 2}
    submit_checkin(
        SYSTEM,
        ana,
        [
            score(InstrumentCode.PHQ9, phq9),
            score(InstrumentCode.DAILY, {"mood": 3, "sleep": 5, "stress": 8, "pain": 2}),
        ],
        source=Source.CLINIC,
        note="slept badly",
        submitted_at=first + timedelta(days=3, hours=10, microseconds=123),
    )
    submit_checkin(
        SYSTEM,
        ana,
        [
            score(InstrumentCode.PCL5, {f"q{n}": 2 for n in range(1, 21)}),
            score(InstrumentCode.GAD7, {f"q{n}": 1 for n in range(1, 8)}),
            score(InstrumentCode.PAIN_NRS, {"pain": 6}),
        ],
        source=Source.LINK,
        submitted_at=first + timedelta(days=10),
    )
    submit_checkin(
        SYSTEM,
        ben,
        [score_total(InstrumentCode.PHQ9, 17, item9=0)],
        source=Source.CLINIC,
        submitted_at=first + timedelta(days=4),
    )
    return clinic


def records(slug: str) -> dict[str, object]:
    patients = Patient.objects.filter(organization__slug=slug).order_by("record_number")
    return {
        "patients": [
            (p.record_number, *(getattr(p, name) for name in PATIENT_FIELDS)) for p in patients
        ],
        "courses": [
            (p.record_number, c.number, c.started_on, c.phase)
            for p in patients
            for c in p.courses.order_by("number")
        ],
        "sessions": list(
            TreatmentSession.objects.filter(organization__slug=slug)
            .order_by("patient__record_number", "started_at")
            .values_list("patient__record_number", "started_at", "kind", "route", "dose_mg")
        ),
        "responses": list(
            Response.objects.filter(organization__slug=slug)
            .order_by("patient__record_number", "observed_at", "instrument")
            .values_list("patient__record_number", *RESPONSE_FIELDS)
        ),
    }


def test_export_then_import_into_an_empty_organisation_gives_the_same_records(
    tmp_path, capsys, source_clinic
):
    make_organization(slug="new", time_zone="America/Denver")
    for kind in ("patients", "sessions", "checkins"):
        out = tmp_path / f"{kind}.csv"
        code, _out, err = run(capsys, "export", kind, "--organization", "old", "--out", str(out))
        assert code == 0, err
        code, _out, err = run(capsys, "import", kind, str(out), "--organization", "new")
        assert code == 0, err
    before, after = records("old"), records("new")
    for table in before:
        assert after[table] == before[table], table
    assert len(before["responses"]) == 6


def test_an_export_is_audited_once_per_patient_as_an_export(tmp_path, capsys, source_clinic):
    out = tmp_path / "patients.csv"
    assert run(capsys, "export", "patients", "--organization", "old", "--out", str(out))[0] == 0
    exported = AuditEvent.objects.filter(action=Action.EXPORT, object_type="PatientsExport")
    assert exported.count() == 2
    assert set(exported.values_list("patient_id", flat=True)) == set(
        Patient.objects.filter(organization=source_clinic).values_list("pk", flat=True)
    )
    text = out.read_text()
    assert text.splitlines()[1].startswith("A-1,'=Ana,")
    assert date(1980, 5, 17).isoformat() in text


def test_an_unknown_organisation_exports_nothing(tmp_path, capsys, source_clinic):
    out = tmp_path / "patients.csv"
    code, _out, err = run(capsys, "export", "patients", "--organization", "nope", "--out", str(out))
    assert code == 1
    assert "no organisation 'nope'" in err
    assert not out.exists()
