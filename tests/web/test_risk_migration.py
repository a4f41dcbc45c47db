"""The engine's stored assessments and priors move from `alerts` to `risk` with every row."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets: list[tuple[str, str | None]]):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def test_assessments_and_priors_keep_their_rows_in_their_new_tables():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    before = [(app, name) for app, name in leaves if app not in {"alerts", "risk"}]
    before += [("alerts", "0003_relapse_state_not_assessed"), ("risk", None)]
    old_apps = migrate(before)
    organization = old_apps.get_model("accounts", "Organization").objects.create(
        name="Clinic", slug="clinic-risk-migration"
    )
    patient = old_apps.get_model("patients", "Patient").objects.create(
        organization=organization,
        record_number="M-1",
        given_name="Paul",
        family_name="Moreno",
        date_of_birth=date(1980, 1, 1),
    )
    computed_at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    old_apps.get_model("alerts", "RiskAssessment").objects.create(
        organization=organization,
        patient=patient,
        assessed_on=date(2026, 3, 2),
        computed_at=computed_at,
        p_relapse_28d=0.42,
        relapse_state="responding",
    )
    old_apps.get_model("alerts", "ClinicPrior").objects.create(
        organization=organization, fitted_at=computed_at, parameters={"shape": 1.2}
    )

    new_apps = migrate(leaves)

    moved = new_apps.get_model("risk", "RiskAssessment").objects.get(patient_id=patient.pk)
    assert (moved.p_relapse_28d, moved.relapse_state) == (0.42, "responding")
    prior = new_apps.get_model("risk", "ClinicPrior").objects.get(organization_id=organization.pk)
    assert prior.parameters == {"shape": 1.2}
    tables = connection.introspection.table_names()
    assert {"risk_riskassessment", "risk_clinicprior"} <= set(tables)
    assert "alerts_riskassessment" not in tables
