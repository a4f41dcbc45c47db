"""Alert performance on the clinic's own history: the engine's replay of the last 12
months, scored by the core's one definition of caught, lead and false episode."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from lasting.accounts.models import Organization
from lasting.costs.outcomes import count_booster_proposals
from lasting.patients.models import Patient
from lasting.plans.models import BoosterProposal, PolicyChoice, ProposalStatus
from lasting.risk.history import list_history_rows, local_day
from lasting.risk.models import AlertPerformanceSnapshot
from lasting.risk.performance import find_alert_performance, refresh_alert_performance
from lasting.risk.services import SETTINGS, history_of, prior_or_default
from lasting.risk.tasks import refresh_alert_performance_task
from lasting.treatment.models import SessionKind
from lasting_core.analytics.rates import rate_of
from lasting_core.daynumbers import day_number
from lasting_core.definitions import track_relapse
from lasting_core.engine import run_replay
from lasting_core.engine.scoring import (
    FALSE_HORIZON_DAYS,
    MIN_LEAD_DAYS,
    early_warning_episodes,
    score_rule,
)
from tests.factories import make_organization, make_patient, make_phq9, make_session

pytestmark = pytest.mark.django_db

# Weekly PHQ-9 after an induction that took Paul from 20 to 3: relief fades, and 12 then
# 13 a week apart meet the relapse criteria (>= 10 and half of the 17 points regained).
FADING = ((70, 8), (63, 4), (56, 3), (49, 3), (42, 4), (35, 5), (28, 7), (21, 9), (14, 12), (7, 13))


def relapsing_patient(organization: Organization, now: datetime, ago_days: int = 0) -> Patient:
    """A patient who responded to induction and relapsed ``ago_days`` + 7 days before now."""
    patient = make_patient(organization)
    make_phq9(patient, 20, submitted_at=now - timedelta(days=90 + ago_days))
    for day in (88, 86, 84, 81, 79, 77):
        make_session(
            patient, kind=SessionKind.INDUCTION, started_at=now - timedelta(days=day + ago_days)
        )
    for day, total in FADING:
        make_phq9(patient, total, submitted_at=now - timedelta(days=day + ago_days))
    return patient


def core_score(patient: Patient, now: datetime):  # type: ignore[no-untyped-def]
    """What the core says of this one patient's last 12 months, called directly."""
    history = history_of(list_history_rows([patient], now)[patient.pk])
    zone = ZoneInfo(patient.time_zone)
    start = math.floor(local_day(now - timedelta(days=365), zone))
    end = math.floor(local_day(now, zone))
    result = run_replay(
        {"p": history}, SETTINGS, prior_or_default(patient.organization_id), start, end
    )
    relapses = track_relapse(history.phq9, history.sessions, history.events).relapse_days
    score = score_rule(
        early_warning_episodes(result),
        {"p": tuple(float(math.floor(day)) for day in relapses if start <= day < end + 1)},
        end,
        FALSE_HORIZON_DAYS,
        MIN_LEAD_DAYS,
        1.0,
        1.0,
    )
    return score, relapses


@pytest.fixture
def now() -> datetime:
    return timezone.now()


def test_a_known_relapse_is_counted_with_the_catch_and_lead_the_core_scores(now):
    clinic = make_organization()
    paul = relapsing_patient(clinic, now)

    performance = refresh_alert_performance(clinic.pk, now)

    score, relapses = core_score(paul, now)
    confirmed_on = (now - timedelta(days=7)).astimezone(ZoneInfo(paul.time_zone)).date()
    assert len(relapses) == 1
    assert math.floor(relapses[0]) == day_number(confirmed_on)  # the confirming check-in
    assert performance.patients_replayed == 1
    assert performance.relapses == 1
    assert performance.caught == score.caught
    # The engine warned before the relapse (the relapse dated by its calendar day, as the
    # replay dates its warnings).
    assert performance.relapses_with_open_warning == score.with_open_episode == 1
    assert performance.median_lead_open_days == score.median_lead_open
    assert performance.median_lead_days == score.median_lead_caught
    assert performance.early_warning_episodes == score.episodes
    assert performance.false_episodes == score.false_episodes
    assert performance.sensitivity == rate_of(score.caught, 1)
    assert performance.at_risk_patient_years > 0
    assert performance.enrolled_patient_years == pytest.approx(91 / 365.25, abs=2 / 365.25)


def test_a_relapse_before_the_last_12_months_is_not_counted(now):
    clinic = make_organization()
    relapsing_patient(clinic, now, ago_days=400)

    performance = refresh_alert_performance(clinic.pk, now)

    assert performance.relapses == 0
    assert performance.sensitivity.share is None


def test_a_patient_whose_care_ended_before_the_window_is_not_replayed(now):
    clinic = make_organization()
    relapsing_patient(clinic, now)
    gone = relapsing_patient(clinic, now, ago_days=400)
    gone.courses.update(ended_on=(now - timedelta(days=380)).date())

    performance = refresh_alert_performance(clinic.pk, now)

    assert performance.patients_replayed == 1


def test_nothing_after_the_end_of_care_is_counted(now):
    clinic = make_organization()
    paul = relapsing_patient(clinic, now)
    in_care = refresh_alert_performance(clinic.pk, now)
    # Care ended the day after the induction's first response: the relapse and the
    # warnings before it came later.
    paul.courses.update(ended_on=(now - timedelta(days=69)).date())

    ended = refresh_alert_performance(clinic.pk, now)

    assert in_care.relapses == 1
    assert (ended.patients_replayed, ended.relapses, ended.early_warning_episodes) == (1, 0, 0)
    assert ended.enrolled_patient_years < in_care.enrolled_patient_years


def test_another_organisations_patients_are_never_counted(now):
    clinic = make_organization()
    other = make_organization(name="Other clinic")
    relapsing_patient(clinic, now)
    relapsing_patient(other, now)
    relapsing_patient(other, now, ago_days=30)

    ours = refresh_alert_performance(clinic.pk, now)
    theirs = refresh_alert_performance(other.pk, now)

    assert (ours.patients_replayed, ours.relapses) == (1, 1)
    assert (theirs.patients_replayed, theirs.relapses) == (2, 2)
    assert find_alert_performance(clinic.pk) == ours


def test_a_clinic_without_history_has_no_rates(now):
    clinic = make_organization()
    make_patient(clinic)

    performance = refresh_alert_performance(clinic.pk, now)

    assert (performance.patients_replayed, performance.relapses) == (0, 0)
    assert performance.false_per_at_risk_year is None
    assert performance.disengagement_per_patient_year is None


def test_there_is_no_snapshot_before_the_first_run():
    assert find_alert_performance(make_organization().pk) is None


def test_the_task_run_twice_leaves_one_latest_snapshot_with_the_same_figures(now):
    clinic = make_organization()
    relapsing_patient(clinic, now)

    with time_machine.travel(now, tick=False):
        refresh_alert_performance_task.call(clinic.pk)
        first = find_alert_performance(clinic.pk)
        refresh_alert_performance_task.call(clinic.pk)
        second = find_alert_performance(clinic.pk)

    assert AlertPerformanceSnapshot.objects.filter(organization=clinic).count() == 1
    assert first is not None
    assert first == second
    assert first.relapses == 1


def test_the_snapshot_reads_back_the_figures_it_was_given(now):
    clinic = make_organization()
    relapsing_patient(clinic, now)

    assert find_alert_performance(clinic.pk) is None
    computed = refresh_alert_performance(clinic.pk, now)

    assert find_alert_performance(clinic.pk) == computed


def test_a_snapshot_of_other_figures_reads_as_none_until_the_next_run(now):
    clinic = make_organization()
    refresh_alert_performance(clinic.pk, now)
    AlertPerformanceSnapshot.objects.filter(organization=clinic).update(figures={"relapses": 3})

    assert find_alert_performance(clinic.pk) is None


def proposal(patient: Patient, status: str, created_at: datetime) -> BoosterProposal:
    return BoosterProposal.objects.create(
        organization_id=patient.organization_id,
        patient=patient,
        policy=PolicyChoice.FORECAST,
        created_at=created_at,
        earliest_on=created_at.date(),
        latest_on=created_at.date() + timedelta(days=7),
        reason="P(relapse within 21 days) 0.6",
        status=status,
    )


def test_proposals_in_the_window_are_counted_by_status(now):
    clinic = make_organization()
    other = make_organization(name="Other clinic")
    patients = [make_patient(clinic) for _ in range(4)]
    since = now - timedelta(days=365)
    proposal(patients[0], ProposalStatus.ACCEPTED, now - timedelta(days=10))
    proposal(patients[0], ProposalStatus.ACCEPTED, now - timedelta(days=100))
    proposal(patients[1], ProposalStatus.MOVED, now - timedelta(days=20))
    proposal(patients[2], ProposalStatus.DECLINED, now - timedelta(days=30))
    proposal(patients[2], ProposalStatus.EXPIRED, now - timedelta(days=60))
    proposal(patients[3], ProposalStatus.OPEN, now - timedelta(days=1))
    proposal(patients[3], ProposalStatus.DECLINED, now - timedelta(days=400))  # before
    proposal(make_patient(other), ProposalStatus.ACCEPTED, now - timedelta(days=5))

    counts = count_booster_proposals(clinic.pk, None, since, now)
    only_two = count_booster_proposals(clinic.pk, [patients[0].pk, patients[1].pk], since, now)

    assert (counts.open, counts.accepted, counts.moved, counts.declined, counts.expired) == (
        1,
        2,
        1,
        1,
        1,
    )
    assert counts.total == 6
    assert (only_two.accepted, only_two.moved, only_two.total) == (2, 1, 3)
