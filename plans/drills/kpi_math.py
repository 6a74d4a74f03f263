"""Small, exact helpers the KPIs share: nearest-rank percentiles and time buckets.

Percentiles use the nearest-rank method: the p-th percentile of n values is the value
at rank ``ceil(p/100 · n)`` of the sorted values, so every figure is one of the
observed values and can be checked by hand. A value that never happened (a person never
accounted for) counts as ``inf``; a percentile that lands on one is ``None``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence

INF = math.inf


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0 < p ≤ 100) of ``values`` by nearest rank; None when empty
    or when it falls on an ``inf``."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    value = ordered[rank - 1]
    return None if value == INF else round(value, 2)


def spread(values: Sequence[float]) -> dict[str, float | None]:
    """``p50``, ``p90`` and ``max`` (minutes) of ``values``."""
    return {
        "p50": nearest_rank(values, 50),
        "p90": nearest_rank(values, 90),
        "max": nearest_rank(values, 100),
    }


def share_within(values: Sequence[float], limit: float) -> float | None:
    """The share (0–1, 4 decimals) of ``values`` at most ``limit``; None when empty."""
    if not values:
        return None
    return round(sum(1 for v in values if v <= limit) / len(values), 4)


def edges(total_minutes: float, bucket_minutes: int) -> list[int]:
    """Bucket edges in minutes from the start: 0, b, 2b … up to the first ≥ the end."""
    count = max(1, math.ceil(total_minutes / bucket_minutes)) if total_minutes > 0 else 0
    return [k * bucket_minutes for k in range(count + 1)]


def cumulative(times: Iterable[float], at: Sequence[int]) -> list[int]:
    """For each edge in ``at``: how many of ``times`` (minutes) are ≤ it."""
    ordered = sorted(t for t in times if t != INF)
    return [bisect.bisect_right(ordered, t) for t in at]


def active(intervals: Iterable[tuple[float, float]], at: Sequence[int]) -> list[int]:
    """For each edge in ``at``: how many ``[start, end)`` intervals (minutes) hold it."""
    pairs = list(intervals)
    starts = sorted(s for s, _ in pairs)
    ends = sorted(e for _, e in pairs)
    return [bisect.bisect_right(starts, t) - bisect.bisect_right(ends, t) for t in at]
