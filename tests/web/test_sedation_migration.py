"""Stored sedation scores move to the MOAA/S (5 awake ... 0 no response), and back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = "0002_esketamine_rems_fields"
AFTER = "0003_sedation_on_moaas"


def migrate(treatment_migration: str | None = None):
    """Migrate every app to its latest migration and treatment to `treatment_migration`."""
    executor = MigrationExecutor(connection)
    targets = [
        (app, treatment_migration if app == "treatment" and treatment_migration else name)
        for app, name in executor.loader.graph.leaf_nodes()
    ]
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_scores_are_converted_as_five_minus_old_and_back():
    old_apps = migrate(BEFORE)
    organization = old_apps.get_model("accounts", "Organization").objects.create(
        name="Clinic", slug="clinic-migration"
    )
    patient = old_apps.get_model("patients", "Patient").objects.create(
        organization=organization,
        record_number="M-1",
        given_name="Paul",
        family_name="Moreno",
        date_of_birth=datetime(1980, 1, 1, tzinfo=UTC).date(),
    )
    course = old_apps.get_model("patients", "Course").objects.create(
        organization=organization,
        patient=patient,
        started_on=datetime(2026, 1, 1, tzinfo=UTC).date(),
    )
    session_model = old_apps.get_model("treatment", "TreatmentSession")
    started_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for old in (0, 1, 5, None):
        session_model.objects.create(
            organization=organization,
            patient=patient,
            course=course,
            kind="induction",
            route="iv",
            dose_mg=40,
            started_at=started_at,
            ended_at=started_at + timedelta(minutes=90),
            sedation=old,
            lot_number=f"old-{old}",
        )

    new_apps = migrate(AFTER)
    converted = dict(
        new_apps.get_model("treatment", "TreatmentSession").objects.values_list(
            "lot_number", "sedation"
        )
    )
    assert converted == {"old-0": 5, "old-1": 4, "old-5": 0, "old-None": None}

    reverted_apps = migrate(BEFORE)
    reverted = dict(
        reverted_apps.get_model("treatment", "TreatmentSession").objects.values_list(
            "lot_number", "sedation"
        )
    )
    assert reverted == {"old-0": 0, "old-1": 1, "old-5": 5, "old-None": None}
    migrate()
