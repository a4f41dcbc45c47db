"""Life events, medication changes and therapy: stored through the one door, dated on the
patient's clock, audited, re-assessed, listed, exported and queried for the engine.

Personas: tests/personas.py (dr_ana treats Paul; rn_cara is a nurse of Clinic A).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from lasting.accounts.clocks import today_in
from lasting.alerts.models import Alert
from lasting.audit.models import Action, AuditEvent
from lasting.audit.services import Actor
from lasting.intake import services as door
from lasting.risk.models import RiskAssessment
from lasting.treatment.exports import COLUMNS, life_context_csv
from lasting.treatment.models import (
    DrugClass,
    EntrySource,
    LifeEvent,
    LifeEventKind,
    MedicationChange,
    MedicationChangeKind,
    TherapyEvent,
    TherapyEventKind,
)
from lasting.treatment.queries import (
    LifeEventRow,
    MedicationChangeRow,
    TherapyRow,
    list_life_context,
    list_life_context_for,
    list_life_context_of,
)
from tests.factories import make_patient, make_phq9
from tests.personas import client_for

pytestmark = pytest.mark.django_db

# Fourteen hours ahead of UTC and eleven behind: 25 hours apart, so their calendar days
# always differ, whatever the hour the suite runs at.
AHEAD, BEHIND = "Pacific/Kiritimati", "Pacific/Pago_Pago"


def actor_of(membership) -> Actor:
    return Actor(membership.user_id, membership.user.username, membership.organization_id, None, "")


def life_event(day: date, **overrides) -> dict[str, object]:
    return {"kind": LifeEventKind.BEREAVEMENT, "occurred_on": day, "weight": 3, "note": ""} | (
        overrides
    )


def medication(day: date, **overrides) -> dict[str, object]:
    return {
        "changed_on": day,
        "change": MedicationChangeKind.START,
        "drug_name": "Sertraline",
        "dose_text": "50 mg once a day",
        "drug_class": DrugClass.ANTIDEPRESSANT,
        "note": "",
    } | overrides


def therapy(day: date, **overrides) -> dict[str, object]:
    return {"occurred_on": day, "kind": TherapyEventKind.START, "therapy": "CBT", "note": ""} | (
        overrides
    )


def record_by_ana(personas, fields, **kwargs):
    return door.record_life_event(
        actor_of(personas.dr_ana),
        personas.paul,
        fields,
        source=EntrySource.CLINIC,
        membership=personas.dr_ana,
        **kwargs,
    )


class TestDates:
    """A date is a day of the patient's life: never after today on the patient's clock."""

    def test_today_on_the_patients_clock_is_accepted_though_the_clinic_is_still_on_yesterday(
        self, personas
    ):
        personas.clinic.time_zone = BEHIND
        personas.clinic.save()
        personas.paul.time_zone = AHEAD
        personas.paul.save()
        patients_today = today_in(AHEAD)
        assert patients_today > today_in(BEHIND)

        event = record_by_ana(personas, life_event(patients_today))

        assert event.occurred_on == patients_today

    def test_the_clinics_today_is_refused_when_the_patient_has_not_reached_it(self, personas):
        personas.clinic.time_zone = AHEAD
        personas.clinic.save()
        personas.paul.time_zone = BEHIND
        personas.paul.save()

        with pytest.raises(ValidationError) as refused:
            record_by_ana(personas, life_event(today_in(AHEAD)))

        assert "after today on the patient's clock" in str(refused.value.message_dict)
        assert not LifeEvent.objects.exists()

    @pytest.mark.parametrize("recorder", ["life_event", "medication", "therapy"])
    def test_tomorrow_is_refused_for_every_record(self, personas, recorder):
        tomorrow = today_in(personas.paul.time_zone) + timedelta(days=1)
        with pytest.raises(ValidationError):
            store(personas, recorder, tomorrow)
        assert not LifeEvent.objects.exists()
        assert not MedicationChange.objects.exists()
        assert not TherapyEvent.objects.exists()

    def test_a_day_before_the_patients_birth_is_refused(self, personas):
        with pytest.raises(ValidationError, match="date of birth"):
            record_by_ana(personas, life_event(personas.paul.date_of_birth - timedelta(days=1)))


def store(personas, recorder: str, day: date):
    ana = personas.dr_ana
    if recorder == "life_event":
        return record_by_ana(personas, life_event(day))
    if recorder == "medication":
        return door.record_medication_change(actor_of(ana), ana, personas.paul, medication(day))
    return door.record_therapy_event(actor_of(ana), ana, personas.paul, therapy(day))


class TestWeight:
    @pytest.mark.parametrize("weight", [0, 4, -1])
    def test_a_weight_outside_1_to_3_is_refused(self, personas, weight):
        today = today_in(personas.paul.time_zone)
        with pytest.raises(ValidationError) as refused:
            record_by_ana(personas, life_event(today, weight=weight))
        assert "weight" in refused.value.message_dict
        assert not LifeEvent.objects.exists()

    @pytest.mark.parametrize("weight", [1, 2, 3])
    def test_mild_moderate_and_severe_are_stored(self, personas, weight):
        event = record_by_ana(
            personas, life_event(today_in(personas.paul.time_zone), weight=weight)
        )
        assert LifeEvent.objects.get(pk=event.pk).weight == weight


class TestTheDoor:
    @pytest.mark.parametrize("recorder", ["life_event", "medication", "therapy"])
    def test_each_record_is_stored_audited_and_schedules_reassessment(
        self, personas, recorder, monkeypatch
    ):
        scheduled = []
        monkeypatch.setattr(door, "reassess_after_commit", scheduled.append)
        day = today_in(personas.paul.time_zone) - timedelta(days=3)

        row = store(personas, recorder, day)

        assert type(row).objects.get(pk=row.pk).patient == personas.paul
        assert row.organization_id == personas.clinic.pk
        assert row.recorded_by_id == personas.dr_ana.user_id
        assert row.source == EntrySource.CLINIC
        assert scheduled == [personas.paul]
        assert AuditEvent.objects.filter(
            action=Action.CREATE,
            patient_id=personas.paul.pk,
            object_type=type(row).__name__,
            object_id=str(row.pk),
            user_id=personas.dr_ana.user_id,
        ).exists()

    def test_the_reassessment_runs_after_the_commit(
        self, personas, django_capture_on_commit_callbacks
    ):
        make_phq9(personas.paul, 8)
        RiskAssessment.objects.filter(patient=personas.paul).delete()
        with django_capture_on_commit_callbacks(execute=True):
            record_by_ana(personas, life_event(today_in(personas.paul.time_zone)))
        assert RiskAssessment.objects.filter(patient=personas.paul).exists()

    @pytest.mark.parametrize("who", ["sam_front", "admin_dora", "dr_olga"])
    def test_the_door_refuses_schedulers_admins_and_other_organisations(self, personas, who):
        member = personas.member(who)
        day = today_in(personas.paul.time_zone)
        with pytest.raises(PermissionDenied):
            door.record_medication_change(actor_of(member), member, personas.paul, medication(day))
        with pytest.raises(PermissionDenied):
            door.record_life_event(
                actor_of(member),
                personas.paul,
                life_event(day),
                source=EntrySource.CLINIC,
                membership=member,
            )
        assert not LifeEvent.objects.exists()
        assert not MedicationChange.objects.exists()

    def test_a_staff_note_is_not_screened_as_a_patients_note(self, personas):
        """Screening is for what patients write; the clinical team's note is their record."""
        record_by_ana(
            personas,
            life_event(today_in(personas.paul.time_zone), note="Said: quiero morir, last week."),
        )
        assert not Alert.objects.exists()


class TestStaffPages:
    def test_a_nurse_records_a_medication_change_from_the_page(self, personas):
        day = today_in(personas.paul.time_zone)
        response = client_for("rn_cara").post(
            reverse("intake:new_medication_change", args=[personas.paul.pk]),
            {
                "changed_on": day.isoformat(),
                "change": "dose_change",
                "drug_name": "Lithium",
                "dose_text": "600 mg",
                "drug_class": "mood_stabiliser",
            },
        )
        assert response.status_code == 302
        change = MedicationChange.objects.get()
        assert (change.drug_name, change.drug_class, change.changed_on) == (
            "Lithium",
            DrugClass.MOOD_STABILISER,
            day,
        )

    def test_the_life_event_form_names_a_date_after_the_patients_today(self, personas):
        tomorrow = today_in(personas.paul.time_zone) + timedelta(days=1)
        response = client_for("dr_ana").post(
            reverse("intake:new_life_event", args=[personas.paul.pk]),
            {"kind": "move", "occurred_on": tomorrow.isoformat(), "weight": "2"},
        )
        assert response.status_code == 422
        assert "after today on the patient&#x27;s clock" in response.content.decode()
        assert not LifeEvent.objects.exists()

    def test_the_form_starts_at_today_on_the_patients_clock(self, personas):
        personas.paul.time_zone = AHEAD
        personas.paul.save()
        response = client_for("dr_ana").get(
            reverse("intake:new_therapy_event", args=[personas.paul.pk])
        )
        assert f'value="{today_in(AHEAD).isoformat()}"' in response.content.decode()

    def test_the_patient_page_lists_every_record(self, personas):
        day = today_in(personas.paul.time_zone) - timedelta(days=1)
        for recorder in ("life_event", "medication", "therapy"):
            store(personas, recorder, day)
        page = client_for("rn_cara").get(reverse("clinic:patient", args=[personas.paul.pk]))
        content = page.content.decode()
        assert 'id="life-context"' in content
        for words in ("Loss or bereavement", "3 · severe", "Sertraline", "50 mg once a day", "CBT"):
            assert words in content

    def test_a_scheduler_sees_no_life_context_on_the_patient_page(self, personas):
        store(personas, "medication", today_in(personas.paul.time_zone))
        page = client_for("sam_front").get(reverse("clinic:patient", args=[personas.paul.pk]))
        assert "Sertraline" not in page.content.decode()
        assert 'id="life-context"' not in page.content.decode()


class TestQueries:
    def test_the_query_returns_each_patients_records_oldest_first_by_patient(self, personas):
        today = today_in(personas.paul.time_zone)
        pia = make_patient(personas.clinic, given_name="Pia")
        record_by_ana(personas, life_event(today, kind=LifeEventKind.MOVE, weight=1))
        record_by_ana(personas, life_event(today - timedelta(days=9)))
        store(personas, "medication", today - timedelta(days=2))
        store(personas, "therapy", today - timedelta(days=5))

        context = list_life_context(personas.clinic.pk)

        assert list(context) == [personas.paul.pk]
        paul = context[personas.paul.pk]
        assert paul.life_events == (
            LifeEventRow(today - timedelta(days=9), 3, "bereavement", "clinic"),
            LifeEventRow(today, 1, "move", "clinic"),
        )
        assert paul.medication_changes == (
            MedicationChangeRow(
                today - timedelta(days=2),
                "start",
                "antidepressant",
                "Sertraline",
                "50 mg once a day",
                "clinic",
            ),
        )
        assert paul.therapy == (TherapyRow(today - timedelta(days=5), "start", "CBT", "clinic"),)
        assert list_life_context(personas.clinic.pk, [pia.pk]) == {}
        assert list_life_context(personas.other_clinic.pk) == {}

    def test_until_leaves_out_later_days_for_a_replay(self, personas):
        today = today_in(personas.paul.time_zone)
        record_by_ana(personas, life_event(today - timedelta(days=4)))
        record_by_ana(personas, life_event(today))
        [event] = list_life_context(personas.clinic.pk, until=today - timedelta(days=1))[
            personas.paul.pk
        ].life_events
        assert event.occurred_on == today - timedelta(days=4)

    def test_the_query_takes_three_statements_for_any_number_of_patients(
        self, personas, django_assert_num_queries
    ):
        for _ in range(3):
            patient = make_patient(personas.clinic)
            door.record_life_event(
                actor_of(personas.dr_ana),
                patient,
                life_event(today_in(patient.time_zone)),
                source=EntrySource.CLINIC,
                membership=personas.dr_ana,
            )
        with django_assert_num_queries(3):
            assert len(list_life_context(personas.clinic.pk)) == 3

    def test_the_query_of_patients_read_already_matches_the_organisations(self, personas):
        store(personas, "life_event", today_in(personas.paul.time_zone))
        store(personas, "therapy", today_in(personas.paul.time_zone))
        bruno = make_patient(personas.other_clinic, given_name="Bruno")
        assert list_life_context_of([personas.paul, bruno]) == list_life_context(personas.clinic.pk)
        assert list_life_context_of([]) == {}

    @pytest.mark.parametrize("who", ["sam_front", "admin_dora"])
    def test_the_scoped_query_refuses_schedulers_and_admins(self, personas, who):
        with pytest.raises(PermissionDenied):
            list_life_context_for(personas.member(who))

    def test_the_scoped_query_reads_only_the_members_organisation(self, personas):
        store(personas, "therapy", today_in(personas.paul.time_zone))
        assert list_life_context_for(personas.dr_olga) == {}
        assert list(list_life_context_for(personas.rn_cara)) == [personas.paul.pk]


class TestExport:
    def test_the_csv_has_the_documented_columns_and_no_notes(self, personas):
        day = today_in(personas.paul.time_zone)
        record_by_ana(personas, life_event(day, note="private words"))
        store(personas, "medication", day)
        store(personas, "therapy", day)

        text = life_context_csv(list_life_context(personas.clinic.pk))

        lines = text.splitlines()
        assert lines[0] == ",".join(COLUMNS)
        pid, on = personas.paul.pk, day.isoformat()
        assert lines[1:] == [
            f"{pid},{on},life_event,bereavement,3,,,,,clinic",
            f"{pid},{on},medication,start,,antidepressant,Sertraline,50 mg once a day,,clinic",
            f"{pid},{on},therapy,start,,,,,CBT,clinic",
        ]
        assert "private words" not in text

    def test_a_typed_formula_is_written_as_text(self, personas):
        ana = personas.dr_ana
        day = today_in(personas.paul.time_zone)
        door.record_medication_change(
            actor_of(ana), ana, personas.paul, medication(day, drug_name="=HYPERLINK(1)")
        )
        text = life_context_csv(list_life_context(personas.clinic.pk))
        assert "'=HYPERLINK(1)" in text

    def test_the_export_page_is_audited_as_an_export(self, personas):
        store(personas, "therapy", today_in(personas.paul.time_zone))
        response = client_for("dr_ana").get(
            reverse("treatment:life_context_export"), {"patient": personas.paul.pk}
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert b",therapy,start," in response.content
        assert AuditEvent.objects.filter(
            action=Action.EXPORT, patient_id=personas.paul.pk, user_id=personas.dr_ana.user_id
        ).exists()

    def test_another_organisations_patient_answers_404(self, personas):
        response = client_for("dr_olga").get(
            reverse("treatment:life_context_export"), {"patient": personas.paul.pk}
        )
        assert response.status_code == 404


class TestChart:
    def layer_of(self, spec):
        [layer] = [layer for layer in spec["layer"] if layer.get("name") == "life_context"]
        return layer

    def test_the_patient_chart_draws_a_marker_per_record_on_the_patients_day(self, personas):
        personas.paul.time_zone = AHEAD
        personas.paul.save()
        day = today_in(AHEAD)
        record_by_ana(personas, life_event(day, weight=2))
        store(personas, "medication", day - timedelta(days=1))
        store(personas, "therapy", day - timedelta(days=2))

        page = client_for("dr_ana").get(reverse("clinic:patient", args=[personas.paul.pk]))

        spec = page.context["chart_spec"]
        layer = self.layer_of(spec)
        rows = {row["record"]: row for row in layer["data"]["values"]}
        assert rows["Life event"]["date"] == day.isoformat()
        assert rows["Life event"]["what"] == "Loss or bereavement (moderate, 2 of 3)"
        assert rows["Medication"]["what"] == (
            "Started: Sertraline 50 mg once a day (antidepressant)"
        )
        assert rows["Therapy"]["what"] == "Therapy started: CBT"
        assert {row["entered"] for row in rows.values()} == {"Entered by the clinical team"}
        assert layer["encoding"]["shape"]["field"] == "record"
        # Tooltip dates read and shown in UTC like the axis (`day_tooltip`).
        date_tip = layer["encoding"]["tooltip"][0]
        assert (date_tip["field"], date_tip["timeUnit"]) == ("date", "utcyearmonthdate")

    def test_the_chart_range_reaches_a_life_event_before_any_score(self, personas):
        make_phq9(personas.paul, 12)
        long_ago = today_in(personas.paul.time_zone) - timedelta(days=200)
        record_by_ana(personas, life_event(long_ago))
        page = client_for("dr_ana").get(reverse("clinic:patient", args=[personas.paul.pk]))
        layer = self.layer_of(page.context["chart_spec"])
        domain = layer["encoding"]["x"]["scale"]["domain"]
        before = long_ago - timedelta(days=1)
        assert domain[0] == {
            "year": before.year,
            "month": before.month,
            "date": before.day,
            "utc": True,
        }

    def test_no_records_no_layer(self, personas):
        make_phq9(personas.paul, 12)
        page = client_for("dr_ana").get(reverse("clinic:patient", args=[personas.paul.pk]))
        assert all(
            layer.get("name") != "life_context" for layer in page.context["chart_spec"]["layer"]
        )


def test_a_staff_form_sent_twice_stores_one_row_of_each_kind(personas):
    client = client_for("rn_cara")
    paul = personas.paul
    today = today_in(paul.time_zone).isoformat()
    pages = {
        "intake:new_life_event": (
            LifeEvent,
            {"kind": "move", "occurred_on": today, "weight": "2", "note": ""},
        ),
        "intake:new_medication_change": (
            MedicationChange,
            {
                "changed_on": today,
                "change": "start",
                "drug_name": "Sertraline",
                "dose_text": "50 mg",
                "drug_class": "antidepressant",
                "note": "",
            },
        ),
        "intake:new_therapy_event": (
            TherapyEvent,
            {"occurred_on": today, "kind": "start", "therapy": "CBT", "note": ""},
        ),
    }
    for name, (model, fields) in pages.items():
        body = {**fields, "idempotency_key": f"{name[-10:]}-key"}
        for _ in range(2):
            response = client.post(reverse(name, args=[paul.pk]), body)
            assert response.status_code == 302, response.content.decode()[:500]
        assert model.objects.filter(patient=paul).count() == 1, name
