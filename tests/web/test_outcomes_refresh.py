"""The stored outcome rows: episodes and course outcomes built from the clinical record
with the core's definitions, replaced idempotently by each refresh (docs/outcomes.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lasting.outcomes.models import CourseOutcome, OutcomeEpisode, OutcomeVersion
from lasting.outcomes.services import refresh_outcomes
from lasting.patients.models import Course
from lasting.treatment.models import DrugClass, LifeEvent, MedicationChange, TherapyEvent
from tests.factories import make_patient
from tests.web.outcomes_support import at, booster_history, day_zero, relapsing_history

pytestmark = pytest.mark.django_db


def test_a_relapse_is_one_episode_to_its_first_qualifying_check_in(personas):
    paul = personas.paul
    start = day_zero(paul)
    relapsing_history(paul, start)
    stored = refresh_outcomes(personas.clinic.pk)
    assert stored == 1
    episode = OutcomeEpisode.objects.get(patient=paul)
    assert (episode.start_on, episode.end_on) == (at(start, 12).date(), at(start, 45).date())
    assert episode.days == 33
    assert episode.relapsed is True
    assert (episode.started_by, episode.ended_by) == ("induction", "relapse")
    assert episode.diagnosis == "trd_mdd"
    assert episode.severity == "severe"  # baseline 20
    assert (episode.induction_sessions, episode.induction_group) == (6, "6")
    assert episode.end_of_induction == "responded"  # 6: a response, not a remission
    assert episode.course_id == Course.objects.get(patient=paul).pk
    assert episode.clinician_id == personas.dr_ana.user_id


def test_a_booster_censors_the_interval_before_it_and_the_last_check_in_the_next(personas):
    patient = make_patient(personas.clinic, diagnoses=["ptsd"])
    start = day_zero(patient)
    booster_history(patient, start)
    refresh_outcomes(personas.clinic.pk)
    episodes = list(OutcomeEpisode.objects.filter(patient=patient).order_by("start_on"))
    assert [(e.days, e.relapsed, e.started_by, e.ended_by) for e in episodes] == [
        (23, False, "induction", "booster"),
        (14, False, "booster", "censored"),
    ]
    assert {e.end_of_induction for e in episodes} == {"remitted"}
    assert {e.severity for e in episodes} == {"moderately_severe"}  # baseline 18
    assert {e.diagnosis for e in episodes} == {"ptsd"}


def test_course_outcomes_follow_induction(personas):
    paul = personas.paul
    relapsing_history(paul, day_zero(paul))
    waiting = make_patient(personas.clinic)  # evaluated, never started
    refresh_outcomes(personas.clinic.pk)
    row = CourseOutcome.objects.get(patient=paul)
    assert (row.started_induction, row.induction_sessions, row.completed_six) == (True, 6, True)
    assert (row.assessed, row.responded, row.remitted) == (True, True, False)
    other = CourseOutcome.objects.get(patient=waiting)
    assert (other.started_induction, other.completed_six, other.responded) == (False, False, False)


def test_factors_come_from_the_record_at_the_start_of_the_episode(personas):
    paul = personas.paul
    start = day_zero(paul)
    relapsing_history(paul, start)
    common = {"organization": personas.clinic, "patient": paul, "source": "clinic"}
    LifeEvent.objects.create(
        **common, kind="work", weight=2, occurred_on=at(start, 12).date() - timedelta(days=30)
    )
    MedicationChange.objects.create(
        **common,
        changed_on=at(start, 2).date(),
        change="start",
        drug_name="sertraline",
        drug_class=DrugClass.ANTIDEPRESSANT,
    )
    TherapyEvent.objects.create(**common, kind="start", occurred_on=at(start, 1).date())
    TherapyEvent.objects.create(**common, kind="stop", occurred_on=at(start, 11).date())
    refresh_outcomes(personas.clinic.pk)
    episode = OutcomeEpisode.objects.get(patient=paul)
    assert (episode.life_stress, episode.antidepressant, episode.in_therapy) == (True, True, False)


def test_a_mild_or_old_life_event_is_not_recent_stress(personas):
    paul = personas.paul
    start = day_zero(paul)
    relapsing_history(paul, start)
    common = {"organization": personas.clinic, "patient": paul, "source": "clinic", "kind": "move"}
    LifeEvent.objects.create(**common, weight=1, occurred_on=at(start, 5).date())
    LifeEvent.objects.create(**common, weight=3, occurred_on=at(start, 12 - 91).date())
    LifeEvent.objects.create(**common, weight=3, occurred_on=at(start, 20).date())  # during
    refresh_outcomes(personas.clinic.pk)
    assert OutcomeEpisode.objects.get(patient=paul).life_stress is False


def test_refresh_is_idempotent_and_bumps_the_version(personas):
    relapsing_history(personas.paul, day_zero(personas.paul))
    refresh_outcomes(personas.clinic.pk)
    first = list(OutcomeEpisode.objects.values_list("start_on", "days", "relapsed"))
    refresh_outcomes(personas.clinic.pk)
    refresh_outcomes(personas.clinic.pk, [personas.paul.pk])
    assert list(OutcomeEpisode.objects.values_list("start_on", "days", "relapsed")) == first
    assert CourseOutcome.objects.filter(patient=personas.paul).count() == 1
    assert OutcomeVersion.objects.get(organization=personas.clinic).version == 3


def test_a_refresh_of_some_patients_leaves_the_others_rows(personas):
    other = make_patient(personas.clinic)
    booster_history(other, day_zero(other))
    relapsing_history(personas.paul, day_zero(personas.paul))
    refresh_outcomes(personas.clinic.pk)
    refresh_outcomes(personas.clinic.pk, [personas.paul.pk])
    assert OutcomeEpisode.objects.filter(patient=other).count() == 2


def test_a_refresh_reads_only_its_own_organisation(personas):
    relapsing_history(personas.paul, day_zero(personas.paul))
    refresh_outcomes(personas.other_clinic.pk)
    assert not OutcomeEpisode.objects.exists()
