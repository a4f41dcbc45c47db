"""Read FHIR search parameters: which are allowed, `_count` and `_offset` paging, patient
references and date comparisons (`date=ge2026-01-01&date=lt2026-02-01`).

A date without a time means a whole day (month, year) on the organisation's clock, the
clock the clinic reads its own records on; a date and time carries its own offset.
Anything the interface does not support is refused with a 400 that names it, so a client
never mistakes an ignored filter for an applied one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.http import QueryDict

from lasting.fhir.replies import FhirError

DEFAULT_COUNT = 50
MAX_COUNT = 200
PAGING = frozenset({"_count", "_offset", "_format"})
PREFIXES = ("eq", "ge", "gt", "le", "lt")
_DATE = re.compile(r"(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2}))?)?")
_REFERENCE = re.compile(r"(Patient/)?(?P<id>\d{1,18})")


def invalid(message: str) -> FhirError:
    return FhirError(400, "invalid", message)


@dataclass(frozen=True)
class Page:
    offset: int
    count: int


def text_of(query: QueryDict, name: str) -> str:
    """The last value of parameter `name`, "" if absent."""
    return str(query.get(name) or "")


def check_parameters(query: QueryDict, allowed: Iterable[str]) -> None:
    """Refuse parameters this search does not support, by name."""
    unknown = sorted(set(query) - set(allowed) - PAGING)
    if unknown:
        raise invalid(f"Unsupported search parameter(s): {', '.join(unknown)}.")


def read_page(query: QueryDict) -> Page:
    """`_count` (1–200, default 50) and `_offset` (from a `next` link)."""
    return Page(
        offset=_whole_number(query.get("_offset", "0"), "_offset", 0, 10**9),
        count=_whole_number(query.get("_count", str(DEFAULT_COUNT)), "_count", 1, MAX_COUNT),
    )


def _whole_number(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise invalid(f"{name} must be a whole number from {low} to {high}.")
    return int(text)


def read_patient_id(query: QueryDict, *names: str) -> int | None:
    """The patient a search is restricted to (`patient=12`, `patient=Patient/12`)."""
    for name in names:
        if name in query:
            match = _REFERENCE.fullmatch(text_of(query, name))
            if match is None:
                raise invalid(f"{name} must be a Patient id or reference, e.g. Patient/12.")
            return int(match["id"])
    return None


# The comparators of early FHIR drafts, which the fhirclient library still sends for its
# `$gte`-style search structures.
COMPARATORS = {">=": "ge", "<=": "le", ">": "gt", "<": "lt"}


def split_prefix(value: str) -> tuple[str, str]:
    """The comparison and the value: `ge2026-01-01` (or `>=2026-01-01`) → ("ge", …)."""
    for comparator, prefix in COMPARATORS.items():
        if value.startswith(comparator):
            return prefix, value[len(comparator) :]
    prefix = value[:2]
    if prefix.isalpha():
        if prefix not in PREFIXES:
            raise invalid(f"Unsupported date prefix {prefix!r} (use {', '.join(PREFIXES)}).")
        return prefix, value[2:]
    return "eq", value


def _period(text: str, name: str) -> tuple[date, date]:
    """The first day of a YYYY, YYYY-MM or YYYY-MM-DD period and the first day after it."""
    match = _DATE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        year = int(match["year"])
        if match["day"]:
            start = date(year, int(match["month"]), int(match["day"]))
            return start, start + timedelta(days=1)
        if match["month"]:
            start = date(year, int(match["month"]), 1)
            end = date(year + start.month // 12, start.month % 12 + 1, 1)
            return start, end
        return date(year, 1, 1), date(year + 1, 1, 1)
    except ValueError:
        raise invalid(f"{name} must be a date (2026-01-31, 2026-01, 2026).") from None


def date_filter(query: QueryDict, name: str, field: str, time_zone: str) -> Q:
    """A filter on a datetime field from every `name=<prefix><date or datetime>` given."""
    condition = Q()
    zone = ZoneInfo(time_zone)
    for value in query.getlist(name):
        prefix, text = split_prefix(value)
        if "T" in text:
            try:
                instant = datetime.fromisoformat(text)
            except ValueError:
                raise invalid(f"{name} must be a date or an ISO 8601 date and time.") from None
            if instant.tzinfo is None:
                raise invalid(f"{name}: a date and time needs its offset (Z or +hh:mm).")
            start = end = instant
        else:
            first, after = _period(text, name)
            start = datetime.combine(first, time.min, tzinfo=zone)
            end = datetime.combine(after, time.min, tzinfo=zone)
        condition &= _compare(prefix, field, start, end, exact=start == end)
    return condition


def day_filter(query: QueryDict, name: str, field: str) -> Q:
    """A filter on a date field (a date of birth) from every `name=<prefix><date>`."""
    condition = Q()
    for value in query.getlist(name):
        prefix, text = split_prefix(value)
        first, after = _period(text, name)
        condition &= _compare(prefix, field, first, after, exact=False)
    return condition


def _compare(prefix: str, field: str, start: object, end: object, *, exact: bool) -> Q:
    """FHIR's comparison of a value with a period [start, end)."""
    if prefix == "eq":
        return Q(**{field: start}) if exact else Q(**{f"{field}__gte": start, f"{field}__lt": end})
    if prefix == "ge":
        return Q(**{f"{field}__gte": start})
    if prefix == "gt":
        return Q(**{f"{field}__gt": start}) if exact else Q(**{f"{field}__gte": end})
    if prefix == "le":
        return Q(**{f"{field}__lte": start}) if exact else Q(**{f"{field}__lt": end})
    return Q(**{f"{field}__lt": start})
