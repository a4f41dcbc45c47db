"""The second wall: PostgreSQL row-level security keyed on the organisation
(src/lasting/accounts/tenancy.py). On SQLite there is no such wall; those tests skip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from lasting.accounts.tenancy import (
    POLICY,
    apply_policies,
    current_organization,
    enter_organization,
    tenant_tables,
)
from tests.personas import client_for

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row-level security is PostgreSQL's"
)


@contextmanager
def as_plain_role() -> Iterator[None]:
    """Run as a role the policies bind: a superuser passes them, so borrow a plain one."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        if superuser:
            cursor.execute("CREATE ROLE lasting_wall_probe NOLOGIN")
            cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO lasting_wall_probe")
            cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO lasting_wall_probe")
            cursor.execute("SET ROLE lasting_wall_probe")
    try:
        yield
    finally:
        enter_organization(None)
        if superuser:
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")


def count_patient(patient_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM patients_patient WHERE id = %s", [patient_id])
        return int(cursor.fetchone()[0])


def test_every_table_with_an_organisation_is_a_tenant_table():
    tables = dict(tenant_tables())
    assert tables["patients_patient"] == "organization_id"
    assert tables["checkins_checkin"] == "organization_id"
    assert tables["audit_auditevent"] == "organization_id"
    assert tables["accounts_organization"] == "id"
    assert "accounts_user" not in tables  # a person, not an organisation's record


def test_on_sqlite_the_policies_are_not_applied():
    if connection.vendor == "postgresql":
        pytest.skip("this is the SQLite case")
    assert apply_policies(connection) == 0
    enter_organization(1)  # a no-op, not an error
    assert current_organization() is None


@postgres_only
def test_every_tenant_table_has_the_policy_after_migrate():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = %s", [POLICY])
        covered = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity")
        forced = {row[0] for row in cursor.fetchall()}
    tables = {table for table, _column in tenant_tables()}
    assert tables <= covered
    assert tables <= forced


@postgres_only
def test_a_raw_query_scoped_to_another_organisation_sees_nothing(personas):
    paul = personas.paul
    with as_plain_role():
        enter_organization(personas.other_clinic.pk)
        assert count_patient(paul.pk) == 0
        enter_organization(personas.clinic.pk)
        assert count_patient(paul.pk) == 1
        enter_organization(None)  # jobs and the command line: scoped in code
        assert count_patient(paul.pk) == 1


@postgres_only
def test_a_scoped_connection_cannot_write_another_organisations_row(personas):
    with as_plain_role():
        enter_organization(personas.other_clinic.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE patients_patient SET given_name = 'X' WHERE id = %s", [personas.paul.pk]
            )
            assert cursor.rowcount == 0
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounts_membership SET organization_id = %s WHERE id = %s",
                [personas.clinic.pk, personas.dr_olga.pk],
            )
    personas.paul.refresh_from_db()
    assert personas.paul.given_name == "Paul"


@postgres_only
def test_a_signed_in_request_is_walled_and_the_connection_forgets_it(personas):
    with as_plain_role():
        own = client_for("dr_ana").get(reverse("clinic:patient", args=[personas.paul.pk]))
        assert own.status_code == 200
        assert current_organization() == ""
        foreign = client_for("dr_olga").get(reverse("clinic:patient", args=[personas.paul.pk]))
        assert foreign.status_code == 404
        assert current_organization() == ""


@postgres_only
def test_a_member_of_another_organisation_may_open_a_clinics_public_page(personas):
    with as_plain_role():
        response = client_for("dr_olga").get(
            reverse("evaluations:request", args=[personas.clinic.slug])
        )
        assert response.status_code == 200
        assert current_organization() in ("", None)


@postgres_only
def test_signing_out_writes_its_audit_event_behind_the_wall(personas):
    with as_plain_role():
        response = client_for("dr_ana").post(reverse("accounts:logout"))
        assert response.status_code == 302
