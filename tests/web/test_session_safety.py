"""Signing a session: the session-safety rules of the core, enforced by `log_session` and
shown on the form (docs/clinical.md#session-safety; rules and sources in
lasting_core/sessions.py).

Personas:
- rn_cara: nurse in Clinic A, logs sessions; monitored Paul.
- dr_ana: clinician in Clinic A.
- rn_olga: nurse in Clinic B (another organisation).
- paul: Clinic A's patient.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.accounts.clocks import today_in
from lasting.accounts.models import Role
from lasting.audit.services import Actor
from lasting.intake.services import log_session
from lasting.treatment.models import MonitoringForm, Route, TreatmentSession, VitalSign
from lasting.treatment.services import SessionNeedsConfirmation
from lasting_core.sessions import FindingCode
from tests.factories import (
    make_member,
    make_session,
    reading_rows,
    session_fields,
    sign_in,
)
from tests.personas import client_for
from tests.web.session_support import (
    ESKETAMINE_PHASES,
    at,
    dose_time,
    esketamine_body,
    iv_body,
    vitals_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    """The personas, rn_olga (a nurse of Clinic B), and rn_cara's form for Paul's session."""
    clinic, paul = personas.clinic, personas.paul
    rn_olga = make_member(personas.other_clinic, Role.STAFF, "rn_olga")
    client = client_for("rn_cara")
    return {
        "clinic": clinic,
        "rn_cara": personas.rn_cara,
        "rn_olga": rn_olga,
        "paul": paul,
        "client": client,
        "url": reverse("intake:new_session", args=[paul.pk]),
    }


def post(world, body):
    return world["client"].post(world["url"], body)


def esketamine(world, **overrides):
    return esketamine_body(dose_time(world["clinic"]), world["rn_cara"].user.pk, **overrides)


class TestEsketamineFollowsTheLabelAndTheRems:
    def test_a_complete_session_is_signed_and_its_rems_form_is_due_in_seven_days(self, world):
        dose_at = dose_time(world["clinic"])
        response = post(world, esketamine_body(dose_at, world["rn_cara"].user.pk))
        assert response.status_code == 302
        session = TreatmentSession.objects.get(patient=world["paul"])
        assert session.dose_mg == 84
        assert session.lot_number == "EK2291"
        assert session.monitoring_clinician == world["rn_cara"].user
        assert session.monitored_minutes == 125
        assert session.ready_to_leave_minutes == 95
        assert session.takes_psychostimulants is True
        assert session.takes_maois is False
        assert session.vitals.count() == 3
        form = MonitoringForm.objects.get(session=session)
        session_on = today_in(world["clinic"].time_zone, session.started_at)
        assert form.due_on == session_on + timedelta(days=7)
        assert form.submitted_on is None

    def test_45_minutes_of_monitoring_is_refused_with_the_two_hour_rule(self, world):
        dose_at = dose_time(world["clinic"])
        body = esketamine_body(
            dose_at,
            world["rn_cara"].user.pk,
            ended_at=at(dose_at, 45),
            ready_to_leave_minutes="40",
            **vitals_body(dose_at, (("before", -10), ("after", 40), ("discharge", 44))),
        )
        response = post(world, body)
        assert response.status_code == 422
        content = response.content.decode()
        assert "monitoring lasted 45 minutes" in content
        assert "require at least 2 hours (120 minutes)" in content
        assert not TreatmentSession.objects.exists()
        assert not VitalSign.objects.exists()
        assert not MonitoringForm.objects.exists()

    def test_a_session_without_an_end_of_monitoring_is_refused(self, world):
        response = post(world, esketamine(world, ended_at=""))
        assert response.status_code == 422
        assert b"Esketamine: enter the end of monitoring." in response.content
        assert not TreatmentSession.objects.exists()

    def test_a_session_without_blood_pressure_before_leaving_is_refused(self, world):
        dose_at = dose_time(world["clinic"])
        body = esketamine_body(
            dose_at, world["rn_cara"].user.pk, **vitals_body(dose_at, ESKETAMINE_PHASES[:2])
        )
        response = post(world, body)
        assert response.status_code == 422
        assert b"Esketamine: record blood pressure before leaving." in response.content
        assert not TreatmentSession.objects.exists()

    @pytest.mark.parametrize(
        ("dose_mg", "message"),
        [
            ("70", "70 mg is not a whole number of devices"),
            ("1000", "84 mg is the highest dose in the label"),
        ],
    )
    def test_doses_of_70_and_1000_mg_are_refused(self, world, dose_mg, message):
        body = esketamine(world, esketamine_dose="other", dose_mg=dose_mg, dose_reason="asked")
        response = post(world, body)
        assert response.status_code == 422
        assert message in response.content.decode()
        assert not TreatmentSession.objects.exists()

    def test_another_dose_of_whole_devices_is_stored_with_its_reason(self, world):
        body = esketamine(
            world, esketamine_dose="other", dose_mg="28", dose_reason="Tolerability, session 1"
        )
        assert post(world, body).status_code == 302
        session = TreatmentSession.objects.get()
        assert session.dose_mg == 28
        assert session.dose_reason == "Tolerability, session 1"

    def test_a_missing_rems_answer_is_named(self, world):
        body = esketamine(world)
        del body["takes_maois"]
        response = post(world, body)
        assert response.status_code == 422
        assert b"Esketamine: answer whether the patient takes MAOIs." in response.content

    def test_a_patient_not_enrolled_in_the_rems_is_not_treated(self, world):
        response = post(world, esketamine(world, rems_patient_enrolled="False"))
        assert response.status_code == 422
        assert b"Enrol the patient in the SPRAVATO REMS before treatment." in response.content

    def test_the_service_enforces_the_rules_without_the_form(self, world):
        started_at = timezone.now() - timedelta(hours=3)
        fields = session_fields(
            started_at,
            route=Route.INTRANASAL_ESKETAMINE,
            ended_at=started_at + timedelta(minutes=45),
            ready_to_leave_minutes=40,
            monitoring_clinician=world["rn_cara"].user,
        )
        with pytest.raises(ValidationError) as refused:
            log_session(
                Actor.system("tests"),
                world["paul"],
                fields,
                reading_rows(started_at, Route.INTRANASAL_ESKETAMINE)[:2],
            )
        assert "at least 2 hours" in " ".join(refused.value.message_dict["ended_at"])
        assert "before leaving" in " ".join(refused.value.message_dict["readings"])
        assert not TreatmentSession.objects.exists()

    def test_a_monitoring_clinician_of_another_clinic_is_refused(self, world):
        started_at = timezone.now() - timedelta(hours=3)
        fields = session_fields(
            started_at,
            route=Route.INTRANASAL_ESKETAMINE,
            monitoring_clinician=world["rn_olga"].user,
        )
        with pytest.raises(ValidationError) as refused:
            log_session(
                Actor.system("tests"),
                world["paul"],
                fields,
                reading_rows(started_at, Route.INTRANASAL_ESKETAMINE),
            )
        assert "monitoring_clinician" in refused.value.message_dict

    def test_a_pre_dose_blood_pressure_above_140_over_90_needs_a_decision(self, world):
        high = {"vitals-0-systolic_mmhg": "152", "vitals-0-diastolic_mmhg": "94"}
        first = post(world, esketamine(world, **high))
        assert first.status_code == 422
        content = first.content.decode()
        assert "152/94 mmHg is above 140/90" in content
        assert "against the benefit of treatment" in content
        assert 'name="confirm_findings"' in content
        assert not TreatmentSession.objects.exists()

        reason = "Benefit outweighs a short rise: BP 152/94 stable for years, no vascular disease."
        second = post(
            world, esketamine(world, **high, confirm_findings="on", confirmed_reason=reason)
        )
        assert second.status_code == 302
        session = TreatmentSession.objects.get()
        assert [finding["code"] for finding in session.confirmed_findings] == [
            FindingCode.PRE_DOSE_BP_HIGH
        ]
        assert session.confirmed_reason == reason
        chart = Client()
        sign_in(chart, "dr_ana")
        page = chart.get(reverse("clinic:patient", args=[world["paul"].pk])).content.decode()
        assert "152/94 mmHg is above 140/90" in page
        assert reason in page

    def test_confirming_without_a_reason_stores_nothing(self, world):
        high = {"vitals-0-systolic_mmhg": "152", "confirm_findings": "on", "confirmed_reason": " "}
        response = post(world, esketamine(world, **high))
        assert response.status_code == 422
        assert b"give the reason" in response.content
        assert not TreatmentSession.objects.exists()

    def test_a_service_caller_cannot_skip_the_confirmation(self, world):
        started_at = timezone.now() - timedelta(hours=3)
        fields = session_fields(started_at, confirmed_reason="because")
        rows = reading_rows(started_at, spo2_percent=90)
        with pytest.raises(SessionNeedsConfirmation) as needed:
            log_session(Actor.system("tests"), world["paul"], fields, rows)
        assert [finding.code for finding in needed.value.findings] == [FindingCode.SPO2_LOW]
        session = log_session(
            Actor.system("tests"), world["paul"], fields, rows, confirm_findings=True
        )
        assert session.confirmed_findings[0]["code"] == FindingCode.SPO2_LOW
        assert session.confirmed_reason == "because"

    def test_rems_answers_carry_over_from_the_previous_esketamine_session(self, world):
        make_session(
            world["paul"],
            route=Route.INTRANASAL_ESKETAMINE,
            takes_benzodiazepines=True,
            started_at=timezone.now() - timedelta(days=4),
        )
        content = world["client"].get(world["url"]).content.decode()
        assert (
            'name="takes_benzodiazepines" value="True" id="id_takes_benzodiazepines_0" checked'
            in content
        )
        assert 'name="takes_maois" value="False" id="id_takes_maois_1" checked' in content
        assert (
            'name="rems_first_treatment" value="False" id="id_rems_first_treatment_1" checked'
            in content
        )
        assert "carried over from the esketamine session" in content

    def test_a_first_esketamine_session_is_prefilled_as_the_first_treatment(self, world):
        content = world["client"].get(world["url"]).content.decode()
        assert (
            'name="rems_first_treatment" value="True" id="id_rems_first_treatment_0" checked'
            in content
        )
        assert 'name="takes_maois" value="True" id="id_takes_maois_0" checked' not in content


class TestIvAndImKetamine:
    def test_readings_before_during_and_after_the_dose_are_required(self, world):
        dose_at = dose_time(world["clinic"])
        body = iv_body(dose_at, **vitals_body(dose_at, (("before", -5),)))
        response = post(world, body)
        assert response.status_code == 422
        assert b"IV ketamine: record vital signs during and after the dose." in response.content
        assert not TreatmentSession.objects.exists()

    def test_a_dose_outside_0_1_to_1_mg_per_kg_needs_a_confirmed_reason(self, world):
        body = iv_body(dose_time(world["clinic"]), dose_mg="96", dose_mg_per_kg="1.2")
        response = post(world, body)
        assert response.status_code == 422
        assert b"1.2 mg/kg is outside 0.1" in response.content
        confirmed = {**body, "confirm_findings": "on", "confirmed_reason": "Protocol escalation"}
        assert post(world, confirmed).status_code == 302
        assert TreatmentSession.objects.get().confirmed_reason == "Protocol escalation"

    def test_spo2_below_92_needs_a_confirmed_reason(self, world):
        body = iv_body(dose_time(world["clinic"]), **{"vitals-1-spo2_percent": "90"})
        response = post(world, body)
        assert response.status_code == 422
        assert "SpO₂ 90 % during the dose is below 92 %" in response.content.decode()

    def test_a_pre_dose_blood_pressure_above_140_over_90_needs_a_confirmed_reason(self, world):
        body = iv_body(dose_time(world["clinic"]), **{"vitals-0-diastolic_mmhg": "95"})
        response = post(world, body)
        assert response.status_code == 422
        assert b"128/95 mmHg is above 140/90" in response.content

    def test_a_diastolic_at_or_above_the_systolic_is_refused_on_its_row(self, world):
        body = iv_body(dose_time(world["clinic"]), **{"vitals-2-diastolic_mmhg": "130"})
        response = post(world, body)
        assert response.status_code == 422
        assert b"Diastolic 130 mmHg must be below the systolic 128 mmHg." in response.content
        assert not TreatmentSession.objects.exists()

    @pytest.mark.parametrize(("field", "value"), [("heart_rate_bpm", "7"), ("spo2_percent", "140")])
    def test_a_heart_rate_or_spo2_outside_physiological_limits_is_refused(
        self, world, field, value
    ):
        body = iv_body(dose_time(world["clinic"]), **{f"vitals-0-{field}": value})
        response = post(world, body)
        assert response.status_code == 422
        assert b"is not a possible reading" in response.content
        assert not TreatmentSession.objects.exists()

    def test_a_session_dated_in_the_future_is_refused(self, world):
        later = dose_time(world["clinic"], hours_ago=-2)
        response = post(world, iv_body(later))
        assert response.status_code == 422
        assert b"The dose time is in the future." in response.content
        assert not TreatmentSession.objects.exists()

    def test_the_rems_questions_are_not_stored_on_an_iv_session(self, world):
        body = iv_body(
            dose_time(world["clinic"]), rems_first_treatment="True", ready_to_leave_minutes="30"
        )
        assert post(world, body).status_code == 302
        session = TreatmentSession.objects.get()
        assert session.rems_first_treatment is None
        assert session.ready_to_leave_minutes is None
        assert not MonitoringForm.objects.exists()


class TestSedationOnTheMoaas:
    def test_the_form_labels_sedation_on_the_moaas_with_5_awake(self, world):
        content = world["client"].get(world["url"]).content.decode()
        assert "Sedation, deepest level (MOAA/S)" in content
        assert "5 · Responds readily to name spoken in normal tone" in content
        assert "0 · Does not respond to painful trapezius squeeze" in content
        assert content.index("5 · Responds readily") < content.index("0 · Does not respond")
        assert "0 awake" not in content

    def test_the_patient_page_shows_the_moaas_wording(self, world):
        make_session(world["paul"], sedation=3)
        chart = Client()
        sign_in(chart, "dr_ana")
        page = chart.get(reverse("clinic:patient", args=[world["paul"].pk])).content.decode()
        assert "3 · Responds only after name is called loudly and/or repeatedly" in page
