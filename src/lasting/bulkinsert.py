"""Insert many rows of one model with prepared statements, for imports of history.

`bulk_create` builds a model instance per row and prepares every field of every row;
for the hundreds of thousands of rows of an import that is most of the time. Here the
fields a row does not give are prepared once (their defaults; `auto_now_add` is now),
plain values pass as they are, and only the others go through the field's own
`get_db_prep_save`. No signals are sent and no `full_clean` runs: callers insert rows they
have checked. Used by the one door's bulk writers (`checkins.writers`,
`treatment.writers`); a module of its own so both siblings can share it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

PLAIN = (str, int, float, bool, type(None))
# Rows per multi-row INSERT ... RETURNING; SQLite allows 32,766 parameters, PostgreSQL 65,535.
MAX_PARAMETERS = 30_000


def insert_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, return_ids: bool = False
) -> list[int]:
    """Insert `rows` (attribute name -> value; every row names the same attributes) into
    `model`'s table in order; return their primary keys in that order when `return_ids`."""
    if not rows:
        return []
    database = connections[DEFAULT_DB_ALIAS]  # once: the `connection` proxy costs a lookup
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    given = [field for field in fields if field.attname in rows[0]]
    defaults = [
        (field, field.get_db_prep_save(default_of(field), database))
        for field in fields
        if field.attname not in rows[0]
    ]
    quote = database.ops.quote_name
    columns = [quote(field.column) for field, _ in defaults] + [quote(f.column) for f in given]
    fixed = [value for _, value in defaults]
    preparers = [preparer(field, database) for field in given]
    values = [
        (
            *fixed,
            *(prepare(row[field.attname]) for field, prepare in zip(given, preparers, strict=True)),
        )
        for row in rows
    ]
    table = quote(model._meta.db_table)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    ids: list[int] = []
    with database.cursor() as cursor:
        if not return_ids:
            cursor.executemany(head + one, values)
            return ids
        size = max(1, MAX_PARAMETERS // len(columns))
        pk = quote(model._meta.pk.column)
        for start in range(0, len(values), size):
            batch = values[start : start + size]
            cursor.execute(
                f"{head}{', '.join([one] * len(batch))} RETURNING {pk}",
                [value for row in batch for value in row],
            )
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


def preparer(field: models.Field[Any, Any], database: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """How one field's values become parameters: the backend's adapter for times and
    JSON, plain values as they are, else the field's own preparation."""
    if isinstance(field, models.DateTimeField):
        return database.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: database.ops.adapt_json_value(value, encoder)

    def prepare(value: Any) -> Any:
        if isinstance(value, PLAIN):
            return value
        return field.get_db_prep_save(value, database)

    return prepare


def default_of(field: models.Field[Any, Any]) -> Any:
    if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
        return timezone.now()
    return field.get_default()
