"""The relapse-prevention plan: versions, personal items, their answers through the door,
and the read the engine gets.

Personas (tests/personas.py): dr_ana treats Paul and writes his plan; dr_ben is another
clinician of Clinic A; rn_cara (nurse) reads plans but never writes them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lasting.audit.models import Action, AuditEvent, Outcome
from lasting.audit.services import Actor
from lasting.checkins.models import CheckIn, Source
from lasting.checkins.services import IdempotencyConflict, issue_link
from lasting.intake.services import submit_checkin_with_personal_items
from lasting.prevention.models import (
    AnswerType,
    Direction,
    PersonalItem,
    PersonalItemAnswer,
    PlanVersion,
    is_warning,
    threshold_problem,
)
from lasting.prevention.queries import list_tracked_items
from lasting.prevention.services import ItemDraft, save_plan_version
from lasting.prevention.writers import PersonalAnswerError
from lasting_core.instruments import InstrumentCode, get_instrument
from tests.factories import SYSTEM, make_patient
from tests.personas import client_for

pytestmark = pytest.mark.django_db

SLEEP = ItemDraft(
    warning_sign="Sleeping under 6 hours",
    question="How many hours did you sleep last night?",
    question_es="¿Cuántas horas durmió anoche?",
    answer_type=AnswerType.HOURS,
    threshold=6,
    direction=Direction.AT_OR_BELOW,
)
GYM = ItemDraft(
    warning_sign="Skipping the gym",
    question="Did you skip the gym today?",
    answer_type=AnswerType.YES_NO,
    threshold=1,
    direction=Direction.AT_OR_ABOVE,
)
SECTIONS = {
    "warning_signs": "Sleeping badly; skipping the gym",
    "coping_strategies": "Walk the dog",
    "professional_contacts": "Dr Ana, clinic line",
}


def actor_of(membership) -> Actor:
    user = membership.user
    return Actor(user.pk, user.get_username(), membership.organization_id, None, "")


def write(personas, items=(SLEEP,), reason="first plan, written with Paul", **sections):
    return save_plan_version(
        actor_of(personas.dr_ana),
        personas.dr_ana,
        personas.paul,
        sections={**SECTIONS, **sections},
        items=list(items),
        reason=reason,
    )


def daily_scores():
    return [get_instrument(InstrumentCode.DAILY).score({"mood": 6, "sleep": 5, "stress": 4})]


class TestThresholds:
    @pytest.mark.parametrize(
        ("answer_type", "direction", "threshold"),
        [
            (AnswerType.SCALE, Direction.AT_OR_ABOVE, 7),
            (AnswerType.SCALE, Direction.AT_OR_BELOW, 3),
            (AnswerType.HOURS, Direction.AT_OR_BELOW, 6.5),
            (AnswerType.YES_NO, Direction.AT_OR_ABOVE, 1),
            (AnswerType.YES_NO, Direction.AT_OR_BELOW, 0),
        ],
    )
    def test_a_threshold_inside_the_range_with_a_quiet_side_is_accepted(
        self, answer_type, direction, threshold
    ):
        assert threshold_problem(answer_type, direction, threshold) == ""

    @pytest.mark.parametrize(
        ("answer_type", "direction", "threshold", "words"),
        [
            (AnswerType.SCALE, Direction.AT_OR_ABOVE, 11, "between 0 and 10"),
            (AnswerType.HOURS, Direction.AT_OR_BELOW, 25, "between 0 and 24"),
            (AnswerType.SCALE, Direction.AT_OR_ABOVE, 6.5, "whole number"),
            (AnswerType.YES_NO, Direction.AT_OR_ABOVE, 0.5, "whole number"),
            (AnswerType.SCALE, Direction.AT_OR_ABOVE, 0, "every answer"),
            (AnswerType.HOURS, Direction.AT_OR_BELOW, 24, "every answer"),
            (AnswerType.YES_NO, Direction.AT_OR_BELOW, 1, "every answer"),
        ],
    )
    def test_a_threshold_that_cannot_work_is_refused_with_the_reason(
        self, answer_type, direction, threshold, words
    ):
        assert words in threshold_problem(answer_type, direction, threshold)

    def test_the_direction_names_the_warning_side(self):
        assert is_warning(Direction.AT_OR_BELOW, 6, 5.5)
        assert is_warning(Direction.AT_OR_BELOW, 6, 6)
        assert not is_warning(Direction.AT_OR_BELOW, 6, 7)
        assert is_warning(Direction.AT_OR_ABOVE, 1, 1)
        assert not is_warning(Direction.AT_OR_ABOVE, 1, 0)

    def test_the_service_refuses_a_bad_threshold_and_stores_nothing(self, personas):
        bad = ItemDraft("Mood low", "How low?", AnswerType.SCALE, 12, Direction.AT_OR_ABOVE)
        with pytest.raises(ValidationError, match="between 0 and 10"):
            write(personas, items=[bad])
        assert not PlanVersion.objects.exists()
        assert not PersonalItem.objects.exists()


class TestVersions:
    def test_every_change_is_a_new_version_with_who_when_and_why(self, personas):
        first = write(personas)
        second = write(personas, reason="added the gym", items=[GYM])
        assert (first.number, second.number) == (1, 2)
        assert second.created_by == personas.dr_ana.user
        assert second.author_name
        assert second.reason == "added the gym"
        assert second.created_at >= first.created_at
        first.refresh_from_db()
        assert first.reason == "first plan, written with Paul"  # the old version stays
        assert [item["warning_sign"] for item in first.items] == ["Sleeping under 6 hours"]
        assert [item["warning_sign"] for item in second.items] == [
            "Sleeping under 6 hours",
            "Skipping the gym",
        ]

    def test_a_reason_is_required(self, personas):
        with pytest.raises(ValidationError, match="why"):
            write(personas, reason="   ")
        assert not PlanVersion.objects.exists()

    def test_a_save_that_changes_nothing_is_refused(self, personas):
        write(personas)
        with pytest.raises(ValidationError, match="Nothing changed"):
            write(personas, items=[], reason="again")
        assert PlanVersion.objects.count() == 1

    def test_a_changed_section_alone_makes_a_version(self, personas):
        write(personas)
        version = write(personas, items=[], reason="new coping", coping_strategies="Call Mia")
        assert version.number == 2
        assert version.coping_strategies == "Call Mia"

    def test_a_nurse_cannot_write_the_plan_and_the_refusal_is_audited(self, personas):
        with pytest.raises(PermissionDenied):
            save_plan_version(
                actor_of(personas.rn_cara),
                personas.rn_cara,
                personas.paul,
                sections=SECTIONS,
                items=[],
                reason="try",
            )
        assert not PlanVersion.objects.exists()
        assert AuditEvent.objects.filter(outcome=Outcome.DENIED, object_type="PlanVersion").exists()

    def test_a_foreign_clinician_cannot_write_pauls_plan(self, personas):
        with pytest.raises(PermissionDenied):
            save_plan_version(
                actor_of(personas.dr_olga),
                personas.dr_olga,
                personas.paul,
                sections=SECTIONS,
                items=[],
                reason="try",
            )
        assert not PlanVersion.objects.exists()

    def test_an_items_answer_type_cannot_change(self, personas):
        write(personas)
        item = PersonalItem.objects.get()
        changed = ItemDraft(
            SLEEP.warning_sign,
            SLEEP.question,
            AnswerType.SCALE,
            6,
            SLEEP.direction,
            item_id=item.pk,
        )
        with pytest.raises(ValidationError, match="answer type cannot change"):
            write(personas, items=[changed], reason="scale")
        assert PlanVersion.objects.count() == 1

    def test_another_patients_item_cannot_be_edited_through_pauls_plan(self, personas):
        pia = make_patient(personas.clinic, given_name="Pia")
        foreign = PersonalItem.objects.create(
            organization=personas.clinic,
            patient=pia,
            warning_sign="x",
            question="x?",
            answer_type=AnswerType.SCALE,
            threshold=5,
            direction=Direction.AT_OR_ABOVE,
            created_at=timezone.now(),
        )
        hijack = ItemDraft(
            "y", "y?", AnswerType.SCALE, 4, Direction.AT_OR_ABOVE, item_id=foreign.pk
        )
        with pytest.raises(ValidationError):
            write(personas, items=[hijack])
        foreign.refresh_from_db()
        assert foreign.warning_sign == "x"

    def test_retiring_an_item_is_a_version_and_keeps_the_item(self, personas):
        write(personas)
        item = PersonalItem.objects.get()
        retired = ItemDraft(**{**SLEEP.__dict__, "item_id": item.pk, "active": False})
        version = write(personas, items=[retired], reason="sleeps well now")
        item.refresh_from_db()
        assert not item.active
        assert item.retired_at is not None
        assert version.items[0]["active"] is False


class TestPlanPages:
    def post_plan(self, client, paul, reason="first plan", **extra):
        body = {
            "warning_signs": "Sleeping badly",
            "coping_strategies": "Walk the dog",
            "reason": reason,
            "base_version": str(PlanVersion.objects.filter(patient=paul).count()),
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "30",
            "items-0-warning_sign": "Sleeping under 6 hours",
            "items-0-question": "How many hours did you sleep?",
            "items-0-answer_type": "hours",
            "items-0-threshold": "6",
            "items-0-direction": "below",
            "items-0-active": "on",
            "items-1-answer_type": "scale",
            "items-1-direction": "below",
            **extra,
        }
        return client.post(reverse("prevention:edit", args=[paul.pk]), body)

    def test_a_second_click_or_a_colleagues_edit_in_between_is_refused(self, personas):
        client = client_for("dr_ana")
        body_base = {"base_version": "0"}
        assert self.post_plan(client, personas.paul, **body_base).status_code == 302
        again = self.post_plan(client, personas.paul, reason="clicked twice", **body_base)

        assert again.status_code == 422
        assert "changed since you opened it" in again.content.decode()
        assert PlanVersion.objects.filter(patient=personas.paul).count() == 1
        assert PersonalItem.objects.filter(patient=personas.paul).count() == 1

    def test_the_clinician_writes_the_plan_from_the_form(self, personas):
        response = self.post_plan(client_for("dr_ana"), personas.paul)
        assert response.status_code == 302
        version = PlanVersion.objects.get()
        assert version.reason == "first plan"
        item = PersonalItem.objects.get()
        assert (item.answer_type, item.threshold, item.direction) == ("hours", 6.0, "below")

    def test_the_form_without_a_reason_changes_nothing(self, personas):
        response = self.post_plan(client_for("dr_ana"), personas.paul, reason="")
        assert response.status_code == 422
        assert "Say why the plan changes." in response.content.decode()
        assert not PlanVersion.objects.exists()

    def test_the_form_names_a_bad_threshold(self, personas):
        response = self.post_plan(
            client_for("dr_ana"), personas.paul, **{"items-0-threshold": "30"}
        )
        assert response.status_code == 422
        assert "between 0 and 24" in response.content.decode()
        assert not PersonalItem.objects.exists()

    def test_an_items_answer_type_is_fixed_on_the_form(self, personas):
        write(personas)
        item = PersonalItem.objects.get()
        response = self.post_plan(
            client_for("dr_ana"),
            personas.paul,
            reason="threshold 5",
            **{
                "items-INITIAL_FORMS": "1",
                "items-0-item_id": str(item.pk),
                "items-0-answer_type": "scale",
                "items-0-threshold": "5",
            },
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert (item.answer_type, item.threshold) == ("hours", 5.0)

    def test_the_history_lists_every_version_and_an_old_one_can_be_read(self, personas):
        write(personas)
        write(personas, items=[], reason="new coping", coping_strategies="Call Mia")
        client = client_for("rn_cara")
        page = client.get(reverse("prevention:plan", args=[personas.paul.pk])).content.decode()
        assert "Call Mia" in page
        assert "first plan, written with Paul" in page
        assert "new coping" in page
        old = client.get(reverse("prevention:version", args=[personas.paul.pk, 1]))
        assert old.status_code == 200
        assert "Walk the dog" in old.content.decode()
        assert 'id="old-version"' in old.content.decode()
        assert "Change the plan" not in page  # nurses read, never write

    def test_every_read_and_the_print_are_audited(self, personas):
        version = write(personas)
        client = client_for("dr_ben")
        client.get(reverse("prevention:plan", args=[personas.paul.pk]))
        client.get(reverse("prevention:plan", args=[personas.paul.pk]) + "?print=1")
        events = AuditEvent.objects.filter(object_type="PlanVersion", object_id=str(version.pk))
        assert set(events.values_list("action", flat=True)) >= {
            Action.CREATE,
            Action.READ,
            Action.PRINT,
        }
        assert all(event.patient_id == personas.paul.pk for event in events)

    def test_the_page_carries_a_print_stylesheet(self, personas):
        write(personas)
        page = client_for("dr_ana").get(reverse("prevention:plan", args=[personas.paul.pk]))
        assert b"prevention/prevention.css" in page.content
        css = Path(str(finders.find("prevention/prevention.css"))).read_text()
        assert "@media print" in css


def daily_link(patient) -> str:
    issued = issue_link(SYSTEM, patient, [InstrumentCode.DAILY])
    return re.sub(r"^https?://[^/]+", "", issued.url)


def daily_body(key: str, **extra: str) -> dict[str, str]:
    return {
        "idempotency_key": key,
        "daily__mood": "6",
        "daily__sleep": "5",
        "daily__stress": "4",
    } | extra


class TestPersonalItemsInTheDailyCheck:
    def test_the_daily_check_asks_the_active_items_after_the_standard_ones(self, personas):
        write(personas, items=[SLEEP, GYM])
        content = Client().get(daily_link(personas.paul)).content.decode()
        assert "How many hours did you sleep last night?" in content
        assert content.index("daily__stress") < content.index("personal__")

    def test_a_spanish_patient_reads_the_spanish_text(self, personas):
        personas.paul.preferred_language = "es"
        personas.paul.save()
        write(personas)
        content = Client().get(daily_link(personas.paul)).content.decode()
        assert "¿Cuántas horas durmió anoche?" in content
        assert "Sus propias señales de alerta" in content
        assert "horas" in content

    def test_a_spanish_scale_item_has_no_english_words_around_it(self, personas):
        personas.paul.preferred_language = "es"
        personas.paul.save()
        mood = ItemDraft("Low mood", "Mood?", AnswerType.SCALE, 3, Direction.AT_OR_BELOW, "¿Ánimo?")
        gym = ItemDraft(**{**GYM.__dict__, "question_es": "¿Faltó hoy al gimnasio?"})
        write(personas, items=[mood, gym])
        content = Client().get(daily_link(personas.paul)).content.decode()
        assert "0 · nada" in content
        assert "10 · muchísimo" in content
        assert "<span>Sí</span>" in content
        assert "not at all" not in content
        assert "Yes" not in content

    def test_a_link_without_the_daily_check_asks_no_personal_item(self, personas):
        write(personas)
        issued = issue_link(SYSTEM, personas.paul, [InstrumentCode.PHQ9])
        content = Client().get(re.sub(r"^https?://[^/]+", "", issued.url)).content.decode()
        assert "personal__" not in content

    def test_a_retired_item_is_no_longer_asked(self, personas):
        write(personas, items=[SLEEP, GYM])
        sleep = PersonalItem.objects.get(warning_sign=SLEEP.warning_sign)
        retired = ItemDraft(**{**SLEEP.__dict__, "item_id": sleep.pk, "active": False})
        write(personas, items=[retired], reason="sleeping well")
        content = Client().get(daily_link(personas.paul)).content.decode()
        assert f"personal__{sleep.pk}" not in content
        assert "Did you skip the gym today?" in content

    def test_the_answers_are_stored_with_the_checkin_on_the_patients_day(self, personas):
        write(personas, items=[SLEEP, GYM])
        sleep = PersonalItem.objects.get(warning_sign=SLEEP.warning_sign)
        gym = PersonalItem.objects.get(warning_sign=GYM.warning_sign)
        body = daily_body("k-1", **{f"personal__{sleep.pk}": "5.5", f"personal__{gym.pk}": "1"})
        response = Client().post(daily_link(personas.paul), body)
        assert response.status_code == 200
        checkin = CheckIn.objects.get()
        answers = dict(
            PersonalItemAnswer.objects.filter(checkin=checkin).values_list("item_id", "value")
        )
        assert answers == {sleep.pk: 5.5, gym.pk: 1.0}
        local_day = checkin.submitted_at.astimezone(ZoneInfo(personas.paul.time_zone)).date()
        assert set(PersonalItemAnswer.objects.values_list("answered_on", flat=True)) == {local_day}

    def test_a_skipped_personal_item_stores_the_checkin_without_it(self, personas):
        write(personas)
        response = Client().post(daily_link(personas.paul), daily_body("k-2"))
        assert response.status_code == 200
        assert CheckIn.objects.count() == 1
        assert not PersonalItemAnswer.objects.exists()

    def test_an_impossible_hours_answer_is_refused_and_nothing_is_stored(self, personas):
        write(personas)
        item = PersonalItem.objects.get()
        body = daily_body("k-3", **{f"personal__{item.pk}": "30"})
        response = Client().post(daily_link(personas.paul), body)
        assert response.status_code == 422
        assert "from 0 to 24" in response.content.decode()
        assert not CheckIn.objects.exists()

    def test_the_checkin_and_its_answers_are_stored_together_or_not_at_all(self, personas):
        write(personas)
        item = PersonalItem.objects.get()
        with pytest.raises(PersonalAnswerError):
            submit_checkin_with_personal_items(
                SYSTEM, personas.paul, daily_scores(), {item.pk: 99.0}, source=Source.LINK
            )
        assert not CheckIn.objects.exists()
        assert not PersonalItemAnswer.objects.exists()

    def test_a_retry_stores_nothing_new_and_other_answers_conflict(self, personas):
        write(personas)
        item = PersonalItem.objects.get()
        first = submit_checkin_with_personal_items(
            SYSTEM,
            personas.paul,
            daily_scores(),
            {item.pk: 5.0},
            source=Source.LINK,
            idempotency_key="k-retry",
        )
        again = submit_checkin_with_personal_items(
            SYSTEM,
            personas.paul,
            daily_scores(),
            {item.pk: 5.0},
            source=Source.LINK,
            idempotency_key="k-retry",
        )
        assert (first.created, again.created) == (True, False)
        assert PersonalItemAnswer.objects.count() == 1
        with pytest.raises(IdempotencyConflict):
            submit_checkin_with_personal_items(
                SYSTEM,
                personas.paul,
                daily_scores(),
                {item.pk: 8.0},
                source=Source.LINK,
                idempotency_key="k-retry",
            )
        assert PersonalItemAnswer.objects.get().value == 5.0

    def test_a_retry_without_an_item_retired_since_is_not_a_conflict(self, personas):
        write(personas, items=[SLEEP, GYM])
        sleep = PersonalItem.objects.get(warning_sign=SLEEP.warning_sign)
        gym = PersonalItem.objects.get(warning_sign=GYM.warning_sign)
        answers = {sleep.pk: 5.0, gym.pk: 1.0}
        send = {"source": Source.LINK, "idempotency_key": "k-retired"}
        submit_checkin_with_personal_items(SYSTEM, personas.paul, daily_scores(), answers, **send)
        PersonalItem.objects.filter(pk=gym.pk).update(active=False)  # retired meanwhile

        again = submit_checkin_with_personal_items(
            SYSTEM, personas.paul, daily_scores(), {sleep.pk: 5.0}, **send
        )

        assert again.created is False
        assert PersonalItemAnswer.objects.count() == 2

    def test_an_answer_to_a_retired_or_foreign_item_is_dropped_not_the_checkin(self, personas):
        write(personas, items=[SLEEP, GYM])
        sleep = PersonalItem.objects.get(warning_sign=SLEEP.warning_sign)
        gym = PersonalItem.objects.get(warning_sign=GYM.warning_sign)
        PersonalItem.objects.filter(pk=gym.pk).update(active=False)
        recorded = submit_checkin_with_personal_items(
            SYSTEM, personas.paul, daily_scores(), {sleep.pk: 7.0, gym.pk: 1.0}, source=Source.LINK
        )
        assert recorded.created
        assert list(PersonalItemAnswer.objects.values_list("item_id", flat=True)) == [sleep.pk]


class TestTheEnginesRead:
    def test_it_returns_each_patients_active_items_with_their_answers_by_local_day(self, personas):
        write(personas, items=[SLEEP, GYM])
        sleep = PersonalItem.objects.get(warning_sign=SLEEP.warning_sign)
        gym = PersonalItem.objects.get(warning_sign=GYM.warning_sign)
        zone = ZoneInfo(personas.paul.time_zone)
        for days_ago, hours in ((2, 7.0), (1, 5.0)):
            submitted = timezone.now() - timedelta(days=days_ago)
            checkin = CheckIn.objects.create(
                organization=personas.clinic, patient=personas.paul, submitted_at=submitted
            )
            PersonalItemAnswer.objects.create(
                organization=personas.clinic,
                patient=personas.paul,
                checkin=checkin,
                item=sleep,
                value=hours,
                answered_on=submitted.astimezone(zone).date(),
            )
        PersonalItem.objects.filter(pk=gym.pk).update(active=False)
        other = make_patient(personas.clinic)
        tracked = list_tracked_items([personas.paul.pk, other.pk])
        assert list(tracked) == [personas.paul.pk]
        (item,) = tracked[personas.paul.pk]
        assert (item.label, item.answer_type, item.threshold, item.direction) == (
            "Sleeping under 6 hours",
            "hours",
            6.0,
            "below",
        )
        assert [value for _, value in item.answers] == [7.0, 5.0]
        assert all(isinstance(day, date) for day, _ in item.answers)

    def test_it_reads_any_number_of_patients_in_two_queries(
        self, personas, django_assert_num_queries
    ):
        write(personas, items=[SLEEP, GYM])
        with django_assert_num_queries(2):
            list_tracked_items([personas.paul.pk, *range(10_000, 10_050)])

    def test_since_drops_older_answers(self, personas):
        write(personas)
        sleep = PersonalItem.objects.get()
        checkin = CheckIn.objects.create(
            organization=personas.clinic,
            patient=personas.paul,
            submitted_at=datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("UTC")),
        )
        PersonalItemAnswer.objects.create(
            organization=personas.clinic,
            patient=personas.paul,
            checkin=checkin,
            item=sleep,
            value=4,
            answered_on=date(2026, 3, 1),
        )
        assert (
            list_tracked_items([personas.paul.pk], since=date(2026, 3, 2))[personas.paul.pk][
                0
            ].answers
            == ()
        )
