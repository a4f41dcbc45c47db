"""Cursor pagination for every list: an opaque cursor on (sort key, id).

The cursor is base64url of the last row's sort value and id, so a page continues exactly
after the row the previous page ended on, even while rows are added. `limit` is 1–100;
the answer carries `next`, the full address of the following page, or null.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from lasting.api.problems import Problem

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
RowT = TypeVar("RowT", bound=Model)


@dataclass(frozen=True)
class Page(Generic[RowT]):
    rows: list[RowT]
    next: str | None


def encode_cursor(value: object, pk: int) -> str:
    if isinstance(value, datetime | date):
        value = value.isoformat()
    raw = json.dumps([value, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, pk = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as error:
        raise Problem(
            400, "The cursor is not one this API gave.", [{"loc": ["query", "cursor"]}]
        ) from error
    if not isinstance(pk, int) or not 0 < pk < 2**63 or not isinstance(value, str | int | float):
        raise Problem(400, "The cursor is not one this API gave.", [{"loc": ["query", "cursor"]}])
    return value, pk


def paginate(
    request: HttpRequest,
    rows: QuerySet[RowT],
    key: str,
    *,
    cursor: str | None,
    limit: int,
    descending: bool = False,
) -> Page[RowT]:
    """One page of `rows` ordered by (`key`, id), after `cursor`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Problem(
            400,
            f"limit is between 1 and {MAX_LIMIT}.",
            [{"loc": ["query", "limit"], "msg": f"between 1 and {MAX_LIMIT}"}],
        )
    order = (f"-{key}", "-pk") if descending else (key, "pk")
    rows = rows.order_by(*order)
    if cursor:
        value, pk = decode_cursor(cursor)
        after = "lt" if descending else "gt"
        try:
            rows = rows.filter(
                Q(**{f"{key}__{after}": value}) | Q(**{key: value, f"pk__{after}": pk})
            )
        except (ValueError, TypeError) as error:
            raise Problem(400, "The cursor is not one this API gave.") from error
    page = list(rows[: limit + 1])
    following = None
    if len(page) > limit:
        page = page[:limit]
        last = page[-1]
        query = request.GET.copy()
        query["cursor"] = encode_cursor(_value_of(last, key), last.pk)
        query["limit"] = str(limit)
        following = request.build_absolute_uri(f"{request.path}?{urlencode(sorted(query.items()))}")
    return Page(page, following)


def _value_of(row: Model, key: str) -> object:
    value: object = row
    for part in key.split("__"):
        value = getattr(value, part)
    return value


def ids_of(rows: Sequence[Model]) -> list[int]:
    return [row.pk for row in rows]
