"""Courses in the app follow the core's rule: an induction session more than 30 days after
the last one starts a new course, whether or not the previous course was ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.audit.services import Actor
from lasting.clinic.queries import list_caseload_for
from lasting.intake.services import log_session
from lasting.patients.models import Phase
from lasting.treatment.models import SessionKind
from lasting_core.definitions import DefinitionSettings
from tests.factories import (
    make_organization,
    make_patient,
    make_phq9,
    make_session,
    reading_rows,
    session_fields,
)

pytestmark = pytest.mark.django_db
GAP_DAYS = DefinitionSettings().new_course_gap_days


def induction(paul, started_at):
    return log_session(
        Actor.system("tests"),
        paul,
        session_fields(started_at, kind=SessionKind.INDUCTION),
        reading_rows(started_at),
    )


@pytest.mark.parametrize(
    ("days_since_last_induction", "course_number"),
    [(GAP_DAYS - 10, 1), (GAP_DAYS + 15, 2)],
)
def test_an_induction_session_opens_a_new_course_only_after_the_course_gap(
    days_since_last_induction, course_number
):
    paul = make_patient(make_organization())
    now = timezone.now()
    make_session(paul, started_at=now - timedelta(days=days_since_last_induction))
    paul.courses.update(phase=Phase.MAINTENANCE)  # never ended: the patient just came back

    session = induction(paul, now - timedelta(hours=3))

    assert session.course.number == course_number


def test_a_booster_never_opens_a_new_course():
    paul = make_patient(make_organization())
    now = timezone.now()
    make_session(paul, started_at=now - timedelta(days=GAP_DAYS + 60))
    started_at = now - timedelta(hours=3)
    session = log_session(
        Actor.system("tests"),
        paul,
        session_fields(started_at, kind=SessionKind.BOOSTER),
        reading_rows(started_at),
    )
    assert session.course.number == 1


def test_a_returning_patient_starts_a_new_course_with_its_own_baseline(personas, safety_alert):
    paul, now = personas.paul, timezone.now()
    make_phq9(paul, 20, submitted_at=now - timedelta(days=300))
    make_session(paul, started_at=now - timedelta(days=299))
    paul.courses.update(phase=Phase.DISCONTINUED, ended_on=(now - timedelta(days=200)).date())
    make_phq9(paul, 16, submitted_at=now - timedelta(days=20))  # the new baseline
    started_at = now - timedelta(days=19)
    session = log_session(
        Actor.system("tests"),
        paul,
        session_fields(started_at, kind=SessionKind.INDUCTION),
        reading_rows(started_at),
    )
    assert session.course.number == 2
    assert session.course.phase == Phase.INDUCTION
    make_phq9(paul, 8, submitted_at=now - timedelta(days=1))
    row = next(r for r in list_caseload_for(personas.dr_ana, now=now) if r.patient.pk == paul.pk)
    assert row.baseline_phq9 == 16
