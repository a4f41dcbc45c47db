"""A patient's record after registration: details edited by role, phones in E.164, discharge
with a reason, and a new course after a relapse or a gap. Personas: tests/personas.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from lasting.accounts.clocks import today_in
from lasting.audit.models import Action, AuditEvent
from lasting.checkins.models import ScheduledCheckIn
from lasting.outreach.planning import plan_organization
from lasting.patients.models import Course, EndReason, Phase
from lasting.patients.phones import to_e164
from tests.factories import make_patient
from tests.personas import client_for

pytestmark = pytest.mark.django_db


def full_details(paul, **changes: str) -> dict[str, object]:
    """The clinical edit form's fields for Paul as stored, with `changes`."""
    data: dict[str, object] = {
        "record_number": paul.record_number,
        "given_name": paul.given_name,
        "family_name": paul.family_name,
        "date_of_birth": paul.date_of_birth.isoformat(),
        "time_zone": paul.time_zone,
        "preferred_language": paul.preferred_language,
        "email": paul.email,
        "phone": paul.phone,
        "assigned_clinician": paul.assigned_clinician_id,
        "diagnoses": paul.diagnoses or ["trd_mdd"],
    }
    data.update(changes)
    return data


class TestPhones:
    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("(303) 555-0142", "+13035550142"),
            ("303.555.0142", "+13035550142"),
            ("+1 303 555 0142", "+13035550142"),
            ("+52 55 1234 5678", "+525512345678"),
            ("", ""),
        ],
    )
    def test_a_number_is_stored_in_e164(self, typed, stored):
        assert to_e164(typed, "US") == stored

    @pytest.mark.parametrize("typed", ["12345", "call me", "+1 303 555 01421234"])
    def test_a_number_that_cannot_be_dialled_is_refused_with_a_reason(self, typed):
        with pytest.raises(ValidationError, match=r"not a (valid )?phone number"):
            to_e164(typed, "US")


class TestEditingDetails:
    def test_a_clinician_edits_demographics_and_it_is_audited(self, personas):
        paul = personas.paul

        response = client_for("dr_ana").post(
            reverse("patients:edit", args=[paul.pk]),
            full_details(paul, family_name="Moreno-Vega", phone="(303) 555-0142"),
        )

        assert response.status_code == 302
        paul.refresh_from_db()
        assert (paul.family_name, paul.phone) == ("Moreno-Vega", "+13035550142")
        assert AuditEvent.objects.filter(
            action=Action.UPDATE, patient_id=paul.pk, object_type="Patient"
        ).exists()

    def test_a_bad_phone_is_explained_and_nothing_changes(self, personas):
        paul = personas.paul

        response = client_for("dr_ana").post(
            reverse("patients:edit", args=[paul.pk]),
            full_details(paul, family_name="Changed", phone="12345"),
        )

        assert response.status_code == 422
        assert "is not a valid phone number in US" in response.content.decode()
        paul.refresh_from_db()
        assert paul.family_name == "Moreno"

    def test_the_front_desk_changes_contact_details_only(self, personas):
        paul = personas.paul
        page = client_for("sam_front").get(reverse("patients:edit", args=[paul.pk]))
        assert "diagnoses" not in page.content.decode()

        response = client_for("sam_front").post(
            reverse("patients:edit", args=[paul.pk]),
            {
                "email": "paul.m@example.org",
                "phone": "303 555 0199",
                "preferred_language": "es",
                "family_name": "Hacked",
                "diagnoses": ["ocd"],
            },
        )

        assert response.status_code == 302
        paul.refresh_from_db()
        assert (paul.email, paul.phone, paul.preferred_language) == (
            "paul.m@example.org",
            "+13035550199",
            "es",
        )
        assert paul.family_name == "Moreno"
        assert "ocd" not in paul.diagnoses

    @pytest.mark.parametrize(("persona", "status"), [("admin_dora", 403), ("dr_olga", 404)])
    def test_nobody_else_edits_a_patient(self, personas, persona, status):
        response = client_for(persona).post(
            reverse("patients:edit", args=[personas.paul.pk]),
            full_details(personas.paul, family_name="Hacked"),
        )

        assert response.status_code == status
        personas.paul.refresh_from_db()
        assert personas.paul.family_name == "Moreno"


class TestCourses:
    def test_a_clinician_discharges_with_a_reason(self, personas):
        paul = personas.paul

        response = client_for("dr_ana").post(
            reverse("patients:discharge", args=[paul.pk]),
            {"reason": EndReason.TRANSFERRED.value, "note": "Moved to Tucson"},
        )

        assert response.status_code == 302
        course = Course.objects.get(patient=paul)
        assert (course.phase, course.end_reason, course.end_note) == (
            Phase.DISCONTINUED,
            EndReason.TRANSFERRED,
            "Moved to Tucson",
        )
        assert course.ended_on == today_in(personas.clinic.time_zone)
        assert AuditEvent.objects.filter(
            action=Action.UPDATE, object_type="Course", object_id=str(course.pk)
        ).exists()

    def test_completed_treatment_ends_as_completed(self, personas):
        client_for("dr_ana").post(
            reverse("patients:discharge", args=[personas.paul.pk]),
            {"reason": EndReason.COMPLETED.value},
        )

        assert Course.objects.get(patient=personas.paul).phase == Phase.COMPLETED

    def test_a_course_ends_once(self, personas):
        client = client_for("dr_ana")
        url = reverse("patients:discharge", args=[personas.paul.pk])
        client.post(url, {"reason": EndReason.COMPLETED.value})

        again = client.post(url, {"reason": EndReason.PATIENT_CHOICE.value})

        assert again.status_code == 422
        assert "Course 1 ended on" in again.content.decode()
        assert Course.objects.get(patient=personas.paul).end_reason == EndReason.COMPLETED

    def test_a_discharged_patient_gets_no_new_check_ins(self, personas):
        paul = personas.paul
        client_for("dr_ana").post(
            reverse("patients:discharge", args=[paul.pk]),
            {"reason": EndReason.PATIENT_CHOICE.value},
        )

        plan_organization(personas.clinic.pk)

        assert not ScheduledCheckIn.objects.filter(patient=paul).exists()

    def test_after_a_relapse_a_new_course_starts_and_the_old_one_ends(self, personas):
        paul = personas.paul

        response = client_for("dr_ana").post(
            reverse("patients:new_course", args=[paul.pk]),
            {"reason": EndReason.RELAPSE.value, "note": "PHQ-9 back to 19"},
        )

        assert response.status_code == 302
        first, second = Course.objects.filter(patient=paul).order_by("number")
        assert (first.phase, first.end_reason) == (Phase.DISCONTINUED, EndReason.RELAPSE)
        assert (second.number, second.phase, second.ended_on) == (2, Phase.EVALUATION, None)

    @pytest.mark.parametrize("persona", ["rn_cara", "sam_front", "admin_dora"])
    def test_only_clinicians_discharge_or_start_a_course(self, personas, persona):
        client = client_for(persona)
        paul = personas.paul

        discharge = client.post(
            reverse("patients:discharge", args=[paul.pk]), {"reason": "completed"}
        )
        new_course = client.post(
            reverse("patients:new_course", args=[paul.pk]), {"reason": "relapse"}
        )

        assert (discharge.status_code, new_course.status_code) == (403, 403)
        assert Course.objects.get(patient=paul).ended_on is None

    def test_a_foreign_clinician_cannot_discharge(self, personas):
        response = client_for("dr_olga").post(
            reverse("patients:discharge", args=[personas.paul.pk]), {"reason": "completed"}
        )

        assert response.status_code == 404
        assert Course.objects.get(patient=personas.paul).ended_on is None


PERSONAS = ("dr_ana", "dr_ben", "rn_cara", "sam_front", "admin_dora", "dr_olga")
PAGES = {
    "patients:edit": (200, 200, 200, 200, 403, 404),
    "patients:discharge": (200, 200, 403, 403, 403, 404),
    "patients:new_course": (200, 200, 403, 403, 403, 404),
}


@pytest.mark.parametrize(("page", "persona"), [(p, who) for p in PAGES for who in PERSONAS])
def test_each_record_page_answers_each_persona_as_the_rules_say(personas, page, persona):
    response = client_for(persona).get(reverse(page, args=[personas.paul.pk]))

    assert response.status_code == PAGES[page][PERSONAS.index(persona)]


class TestRecordNumbers:
    def test_a_record_number_in_another_case_is_taken(self, personas):
        personas.paul.record_number = "CW-100"
        personas.paul.save()

        response = client_for("dr_ana").post(
            reverse("patients:new"),
            full_details(personas.paul, record_number="cw-100", family_name="Other"),
        )

        assert response.status_code == 422
        assert "Another patient already has this record number." in response.content.decode()

    def test_the_database_refuses_it_too(self, personas):
        personas.paul.record_number = "CW-100"
        personas.paul.save()

        with pytest.raises(IntegrityError):
            make_patient(personas.clinic, record_number="cw-100")

    def test_another_clinic_may_use_the_same_number(self, personas):
        personas.paul.record_number = "CW-100"
        personas.paul.save()

        assert make_patient(personas.other_clinic, record_number="CW-100").pk


class TestFormerStaffAndClosedLocations:
    def test_a_patient_of_a_clinician_who_left_can_still_be_edited(self, personas):
        paul = personas.paul
        dr_ben = personas.dr_ben
        paul.assigned_clinician = dr_ben.user
        paul.save()
        dr_ben.is_active = False
        dr_ben.save()

        response = client_for("dr_ana").post(
            reverse("patients:edit", args=[paul.pk]),
            full_details(paul, family_name="Moreno-Vega"),
        )

        assert response.status_code == 302
        paul.refresh_from_db()
        assert (paul.family_name, paul.assigned_clinician) == ("Moreno-Vega", dr_ben.user)

    def test_a_clinician_who_left_is_not_offered_for_a_new_patient(self, personas):
        personas.dr_ben.is_active = False
        personas.dr_ben.save()

        page = client_for("dr_ana").get(reverse("patients:new"))

        choices = [str(user) for user in page.context["form"].fields["assigned_clinician"].queryset]
        assert "dr_ben" not in choices
        assert "dr_ana" in choices

    def test_another_clinics_clinician_is_never_a_choice(self, personas):
        page = client_for("dr_ana").get(reverse("patients:edit", args=[personas.paul.pk]))

        queryset = page.context["form"].fields["assigned_clinician"].queryset
        assert personas.dr_olga.user not in queryset
