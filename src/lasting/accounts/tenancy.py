"""The second wall between organisations: row-level security on PostgreSQL.

The first wall is the ORM: every query of patient data is scoped by the signed-in
membership's organisation (``*_for`` queries). Behind it, on PostgreSQL, every table that
carries an organisation id has a row-level security policy: while a request of a signed-in
member runs, the connection's ``lasting.organization_id`` setting holds their
organisation, and rows of any other organisation are invisible and cannot be written,
whatever a query forgets.

Where the setting is empty (background jobs, the command line, anonymous pages such as
the public request form, which find their organisation from a token or a slug) the policy
lets every row through: those paths are scoped in code.

The policies are forced, so they bind the tables' owner too (the role the app usually
connects as); only superusers and roles with BYPASSRLS pass them. CI runs the PostgreSQL
suite as an ordinary role for that reason. Backups dump and restore with row security on
(unscoped, so every row). SQLite has no row-level security: there the ORM wall stands
alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.apps import apps
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])

SETTING = "lasting.organization_id"
# The policy's name carries its version: a changed condition gets a new name, so the
# tables still holding the old one are found and given the new one.
POLICY = "lasting_organization_v1"


def tenant_tables() -> list[tuple[str, str]]:
    """Every managed table with its organisation column: (table, column)."""
    tables = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        if model._meta.label_lower == "accounts.organization":
            tables.append((model._meta.db_table, "id"))
            continue
        for field in model._meta.concrete_fields:
            if field.column == "organization_id":
                tables.append((model._meta.db_table, field.column))
    return tables


def _visible(column: str) -> str:
    # NULLIF: never cast the empty setting (SQL does not promise to short-circuit OR).
    # A row of no organisation (a person's own audit events: sign-in, sign-out) belongs
    # to every scope; clinical tables never have one (their column is NOT NULL).
    scope = f"NULLIF(current_setting('{SETTING}', true), '')::bigint"
    return f"({scope} IS NULL OR {column} IS NULL OR {column} = {scope})"


def public_page(view: ViewFunction) -> ViewFunction:
    """Mark a page anyone may open, which finds its organisation from its URL (a slug or
    a token): a signed-in member of another organisation opening it is not walled in."""
    view.reads_any_organization = True  # type: ignore[attr-defined]
    return view


def apply_policies(connection: BaseDatabaseWrapper) -> int:
    """Enable forced row-level security with the organisation policy on every tenant table.

    Idempotent, and touches only tables that lack it: run after every migrate (a new
    table gets its policy), also inside a transaction with deferred checks pending, where
    PostgreSQL refuses to alter a table. Returns the number of tables changed; 0 on
    databases without row-level security.
    """
    if connection.vendor != "postgresql":
        return 0
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = %s", [POLICY])
        with_policy = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity")
        forced = {row[0] for row in cursor.fetchall()}
        missing = [
            (table, column)
            for table, column in tenant_tables()
            if table not in with_policy or table not in forced
        ]
        # Permissive policies add up: an earlier version must go, not stay beside.
        cursor.execute(
            "SELECT tablename, policyname FROM pg_policies"
            " WHERE policyname LIKE 'lasting_organization%%' AND policyname <> %s",
            [POLICY],
        )
        for table, old in cursor.fetchall():
            cursor.execute(f"DROP POLICY {quote(old)} ON {quote(table)}")
        for table, column in missing:
            name = quote(table)
            condition = _visible(quote(column))
            cursor.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {name}")
            cursor.execute(
                f"CREATE POLICY {POLICY} ON {name} USING {condition} WITH CHECK {condition}"
            )
    return len(missing)


def apply_policies_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: the policies follow the schema."""
    apply_policies(connections[using])


def enter_organization(organization_id: int | None, using: str = "default") -> None:
    """Scope this connection's rows to one organisation (None: no scope)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    value = "" if organization_id is None else str(int(organization_id))
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, false)", [SETTING, value])


def current_organization(using: str = "default") -> str | None:
    """The connection's scope as PostgreSQL holds it ('' or None: no scope)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [SETTING])
        row = cursor.fetchone()
    return None if row is None else row[0]
