"""Rates with their 95 % intervals (response, remission, completion).

The Wilson score interval: unlike the plain normal interval it stays inside 0-1 and
keeps its coverage with the small counts of one clinic (Brown, Cai and DasGupta 2001).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the standard normal quantile at 0.975


@dataclass(frozen=True)
class Rate:
    """``count`` of ``total``, with the Wilson 95 % interval (None when total is 0)."""

    count: int
    total: int
    share: float | None
    lower: float | None
    upper: float | None


def rate_of(count: int, total: int, *, z: float = Z_95) -> Rate:
    """Return count/total with its Wilson score interval."""
    if total < 0 or not 0 <= count <= total:
        raise ValueError(f"a rate needs 0 <= count <= total, got {count} of {total}")
    if total == 0:
        return Rate(count, total, None, None, None)
    p = count / total
    denominator = 1.0 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return Rate(count, total, p, max(0.0, centre - half), min(1.0, centre + half))
