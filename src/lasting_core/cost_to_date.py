"""What maintenance has cost so far.

Every session is priced from the organisation's price list by its kind, route and
location. A session without a price is counted as *unpriced*, never as 0: the total says
"at least this much, N sessions without a price" (docs/clinical.md#costs). The forecast
of what comes next is `lasting_core.costs`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class PricedSession:
    """One session given, with its price from the list (None: no price set for it)."""

    course: Hashable
    kind: str
    price: Decimal | None


@dataclass(frozen=True)
class CostTotal:
    """Priced total and the count of sessions with and without a price."""

    priced_amount: Decimal
    priced_sessions: int
    unpriced_sessions: int

    @property
    def sessions(self) -> int:
        return self.priced_sessions + self.unpriced_sessions

    @property
    def complete(self) -> bool:
        """True when every session had a price (the total is the whole cost)."""
        return self.unpriced_sessions == 0


@dataclass(frozen=True)
class CostToDate:
    by_course: tuple[tuple[Hashable, CostTotal], ...]
    total: CostTotal


def cost_to_date(sessions: Sequence[PricedSession]) -> CostToDate:
    """Sum the priced sessions per course (in order of first appearance) and overall."""
    amounts: dict[Hashable, Decimal] = defaultdict(Decimal)
    priced: dict[Hashable, int] = defaultdict(int)
    unpriced: dict[Hashable, int] = defaultdict(int)
    order: list[Hashable] = []
    for session in sessions:
        if session.course not in order:
            order.append(session.course)
        if session.price is None:
            unpriced[session.course] += 1
            continue
        if session.price < 0:
            raise ValueError("a price cannot be negative")
        amounts[session.course] += session.price
        priced[session.course] += 1
    by_course = tuple(
        (course, CostTotal(amounts[course], priced[course], unpriced[course])) for course in order
    )
    total = CostTotal(
        sum((t.priced_amount for _, t in by_course), Decimal(0)),
        sum(t.priced_sessions for _, t in by_course),
        sum(t.unpriced_sessions for _, t in by_course),
    )
    return CostToDate(by_course=by_course, total=total)
