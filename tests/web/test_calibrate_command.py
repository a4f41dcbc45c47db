"""`lasting calibrate`: an organisation's engine settings fitted on its own history, stored
as numbered versions with an audit event, and used by the engine afterwards."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from lasting.accounts.models import Organization
from lasting.audit.models import Action, AuditEvent
from lasting.audit.services import Actor
from lasting.cli import main
from lasting.demo import DEMO_SLUG, seed_demo
from lasting.patients.models import Patient
from lasting.risk.calibration import calibrate_organization, store_calibration
from lasting.risk.models import EngineCalibration
from lasting.risk.services import SETTINGS, assess_one, settings_for
from lasting.treatment.models import SessionKind
from lasting_core.engine import SignalKind
from lasting_core.engine.calibrate import Calibration
from tests.factories import (
    make_organization,
    make_patient,
    make_phq9,
    make_session,
    rows_shared_by_the_scope,
)

pytestmark = [pytest.mark.slow(seconds=40), pytest.mark.django_db]


@pytest.fixture(scope="module")
def clinic(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo clinic (60 patients, a year of history), seeded once for the module."""
    logins = tmp_path_factory.mktemp("demo") / "logins.txt"
    with rows_shared_by_the_scope(django_db_blocker):
        seed_demo(patients=60, seed=11, reset=False, logins_file=logins)
        yield Organization.objects.get(slug=DEMO_SLUG)


@pytest.fixture(scope="module")
def calibration(clinic, django_db_blocker) -> Calibration:
    with django_db_blocker.unblock():
        return calibrate_organization(clinic, 0.5, timezone.now())


def calibration_events(organization: Organization) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            organization_id=organization.pk, object_type="EngineCalibration"
        ).order_by("id")
    )


def test_a_dry_run_prints_the_fit_and_stores_nothing(clinic, capsys):
    assert main(["calibrate", "--organization", clinic.slug, "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert "PHQ-9 observation SD" in out
    assert "early-warning threshold P28" in out
    assert "Brier score" in out
    assert "predicted bin" in out
    assert "Dry run: nothing stored." in out
    assert not EngineCalibration.objects.filter(organization=clinic).exists()
    assert calibration_events(clinic) == []


def test_calibrating_stores_version_1_with_an_audit_event(clinic, calibration, capsys):
    assert main(["calibrate", "--organization", str(clinic.pk), "--budget", "0.5"]) == 0

    assert "Stored as engine settings version 1" in capsys.readouterr().out
    stored = EngineCalibration.objects.get(organization=clinic)
    assert stored.version == 1
    assert stored.settings == calibration.fitted()
    assert stored.metrics["brier"] == pytest.approx(calibration.probabilities.brier)
    assert stored.metrics["false_per_at_risk_year"] <= 0.5
    [event] = calibration_events(clinic)
    assert event.action == Action.CREATE
    assert event.object_id == str(stored.pk)
    assert event.username == "lasting calibrate"


def test_each_calibration_is_the_next_version_and_the_latest_wins(clinic, calibration):
    actor = Actor.system("test", clinic.pk)
    first = store_calibration(clinic, calibration, actor, timezone.now())
    strict = with_threshold(calibration, 0.95)
    second = store_calibration(clinic, strict, actor, timezone.now())

    assert (first.version, second.version) == (1, 2)
    assert settings_for(clinic.pk).early_warning_probability == 0.95
    assert settings_for(clinic.pk).obs_sd == pytest.approx(calibration.settings.obs_sd)
    assert settings_for(clinic.pk).probability_map == calibration.settings.probability_map
    assert len(calibration_events(clinic)) == 2


def test_an_organisation_without_a_calibration_gets_the_defaults(db):
    assert settings_for(make_organization().pk) == SETTINGS


def climbing_patient(organization: Organization) -> Patient:
    """Paul responded to induction (20 -> 3) and has climbed back to 11 (bar 11.5)."""
    now = timezone.now()
    patient = make_patient(organization)
    make_phq9(patient, 20, submitted_at=now - timedelta(days=90))
    for day in (88, 86, 84, 81, 79, 77):
        make_session(patient, kind=SessionKind.INDUCTION, started_at=now - timedelta(days=day))
    for day, total in (
        (70, 8),
        (63, 4),
        (56, 3),
        (49, 3),
        (42, 4),
        (35, 6),
        (28, 8),
        (21, 10),
        (14, 11),
        (7, 11),
    ):
        make_phq9(patient, total, submitted_at=now - timedelta(days=day))
    make_phq9(patient, 11, submitted_at=now - timedelta(days=1))
    return patient


def with_threshold(
    calibration: Calibration, threshold: float, probability_map: tuple = ()
) -> Calibration:
    settings = dataclasses.replace(
        calibration.settings, early_warning_probability=threshold, probability_map=probability_map
    )
    return dataclasses.replace(calibration, settings=settings)


def test_assessments_afterwards_use_the_stored_threshold(db, calibration):
    defaults = make_organization()
    default_assessment = assess_one(climbing_patient(defaults))
    assert default_assessment.p_relapse_28d is not None
    assert default_assessment.p_relapse_28d >= SETTINGS.early_warning_probability
    assert SignalKind.EARLY_WARNING in {s.kind for s in default_assessment.signals}

    calibrated = make_organization()
    strict = with_threshold(calibration, 0.95)
    store_calibration(calibrated, strict, Actor.system("test", calibrated.pk), timezone.now())
    assessment = assess_one(climbing_patient(calibrated))

    # Above the default threshold, below the stored one: no early warning.
    assert assessment.p_relapse_28d is not None
    assert SETTINGS.early_warning_probability <= assessment.p_relapse_28d < 0.95
    assert SignalKind.EARLY_WARNING not in {s.kind for s in assessment.signals}


def test_assessments_afterwards_go_through_the_stored_map(db, calibration):
    plain, halved = make_organization(), make_organization()
    actor = Actor.system("test", None)
    store_calibration(plain, with_threshold(calibration, 0.95), actor, timezone.now())
    store_calibration(
        halved, with_threshold(calibration, 0.95, ((0.0, 0.0), (1.0, 0.5))), actor, timezone.now()
    )

    p28 = assess_one(climbing_patient(plain)).p_relapse_28d
    assert p28 is not None
    assert assess_one(climbing_patient(halved)).p_relapse_28d == pytest.approx(p28 / 2)


def test_an_unknown_organisation_is_named_and_nothing_is_stored(db, capsys):
    assert main(["calibrate", "--organization", "no-such-clinic"]) == 1

    captured = capsys.readouterr()
    assert "no organisation with the slug or id 'no-such-clinic'" in captured.err
    assert captured.out == ""
    assert not EngineCalibration.objects.exists()


def test_too_little_history_says_how_much_is_needed(db, capsys):
    organization = make_organization()
    climbing_patient(organization)

    assert main(["calibrate", "--organization", organization.slug]) == 1

    err = capsys.readouterr().err
    assert "too little history to calibrate" in err
    assert "needs at least 30" in err
    assert not EngineCalibration.objects.exists()


def test_the_budget_must_be_a_positive_number(db, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["calibrate", "--organization", "x", "--budget", "0"])

    assert exit_.value.code == 2
    assert "must be a positive number" in capsys.readouterr().err
