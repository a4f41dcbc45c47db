"""Registering patients and logging sessions: good input is stored, bad input changes nothing."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from lasting.accounts.models import Role
from lasting.patients.models import Patient, Phase
from lasting.treatment.models import TreatmentSession, VitalSign
from tests.factories import (
    make_location,
    make_member,
    make_patient,
    make_phq9,
    make_session,
)
from tests.personas import client_for
from tests.web.session_support import IV_PHASES, at, dose_time, iv_body, vitals_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def rn_cara(personas):
    """A client signed in as the nurse of Clinic A."""
    return client_for("rn_cara")


def patient_body(clinic, **overrides):
    dr_ana = make_member(clinic, Role.CLINICIAN)
    body = {
        "record_number": "A-100",
        "given_name": "Paul",
        "family_name": "Moreno",
        "date_of_birth": "1979-03-02",
        "location": make_location(clinic).pk,
        "time_zone": "America/Denver",
        "preferred_language": "en",
        "assigned_clinician": dr_ana.user.pk,
        "diagnoses": ["trd_mdd", "gad"],
        "in_therapy": "on",
    }
    body.update(overrides)
    return body


def test_staff_register_a_patient_with_a_first_course(clinic, rn_cara):
    response = rn_cara.post(reverse("patients:new"), patient_body(clinic))
    paul = Patient.objects.get(record_number="A-100")
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic:patient", args=[paul.pk])
    assert paul.organization == clinic
    assert paul.diagnoses == ["trd_mdd", "gad"]
    assert paul.courses.get().phase == Phase.EVALUATION


def test_a_location_from_another_clinic_is_refused(personas, clinic, rn_cara):
    foreign = make_location(personas.other_clinic)
    response = rn_cara.post(reverse("patients:new"), patient_body(clinic, location=foreign.pk))
    assert response.status_code == 422
    assert b"Select a valid choice" in response.content
    assert list(Patient.objects.all()) == [personas.paul]


def test_a_duplicate_record_number_and_a_bad_time_zone_are_named(clinic, rn_cara):
    first = make_patient(clinic, record_number="A-100")
    response = rn_cara.post(reverse("patients:new"), patient_body(clinic, time_zone="Mars/Olympus"))
    assert response.status_code == 422
    assert b"Another patient already has this record number." in response.content
    assert b"is not a known IANA time zone" in response.content
    assert list(Patient.objects.filter(record_number="A-100")) == [first]


def test_a_session_is_logged_with_its_vitals_and_starts_induction(clinic, rn_cara):
    paul = make_patient(clinic)
    body = iv_body(dose_time(clinic))
    response = rn_cara.post(reverse("intake:new_session", args=[paul.pk]), body)
    assert response.status_code == 302
    session = TreatmentSession.objects.get(patient=paul)
    assert session.vitals.count() == 3
    assert session.course.phase == Phase.INDUCTION


def test_a_session_with_impossible_vitals_stores_nothing(clinic, rn_cara):
    paul = make_patient(clinic)
    dose_at = dose_time(clinic)
    body = iv_body(dose_at, **{"vitals-1-spo2_percent": "140", "ended_at": at(dose_at, -60)})
    response = rn_cara.post(reverse("intake:new_session", args=[paul.pk]), body)
    assert response.status_code == 422
    assert "SpO₂ 140 % is not a possible reading" in response.content.decode()
    assert b"Monitoring cannot end before the dose." in response.content
    assert not TreatmentSession.objects.exists()
    assert not VitalSign.objects.exists()


def test_the_timeline_carries_a_vega_lite_spec_with_scores_and_sessions(personas):
    paul = personas.paul
    make_phq9(paul, 18)
    make_session(paul)
    response = client_for("dr_ana").get(reverse("clinic:patient", args=[paul.pk]))
    content = response.content.decode()
    start = content.index('<script id="timeline-spec" type="application/json">') + len(
        '<script id="timeline-spec" type="application/json">'
    )
    spec = json.loads(content[start : content.index("</script>", start)])
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    values = json.dumps(spec)
    assert '"score": 18' in values
    assert '"kind": "Induction"' in values
    # The chart library comes from this server, never a CDN: every script is local.
    sources = re.findall(r'<script[^>]*\bsrc="([^"]*)"', content)
    assert sources
    assert all(source.startswith("/") and not source.startswith("//") for source in sources)


def test_empty_vital_rows_are_skipped(clinic, rn_cara):
    paul = make_patient(clinic)
    dose_at = dose_time(clinic)
    body = iv_body(dose_at, **vitals_body(dose_at, (*IV_PHASES, ("discharge", 80))))
    for field in ("measured_at", "systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm"):
        body[f"vitals-3-{field}"] = ""
    body["vitals-3-spo2_percent"] = ""
    response = rn_cara.post(reverse("intake:new_session", args=[paul.pk]), body)
    assert response.status_code == 302
    assert TreatmentSession.objects.get().vitals.count() == 3


def test_a_session_needs_a_reading_before_the_dose(clinic, rn_cara):
    paul = make_patient(clinic)
    dose_at = dose_time(clinic)
    body = iv_body(dose_at, **{"vitals-0-phase": "during", "vitals-0-measured_at": at(dose_at, 5)})
    response = rn_cara.post(reverse("intake:new_session", args=[paul.pk]), body)
    assert response.status_code == 422
    assert b"Record vital signs before the dose." in response.content
    assert not TreatmentSession.objects.exists()


def test_a_reading_far_from_the_session_is_refused(clinic, rn_cara):
    paul = make_patient(clinic)
    dose_at = dose_time(clinic, hours_ago=30 * 24)
    body = iv_body(dose_at, **{"vitals-0-measured_at": at(dose_at, -7 * 24 * 60)})
    response = rn_cara.post(reverse("intake:new_session", args=[paul.pk]), body)
    assert response.status_code == 422
    assert b"is outside the session" in response.content


def test_a_future_date_of_birth_is_refused(personas):
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
