"""Weekly availability of a volunteer: validation and "is this moment inside it?".

Two shapes are stored (JSON):

* ``{"always": true}`` — available at any time;
* weekly hours in Asia/Shanghai local time, ``{"mon": [["08:00", "18:00"]], "sat":
  [["09:00", "12:00"], ["14:00", "17:30"]]}``. Keys are ``mon`` … ``sun`` (days left
  out, or ``{}``, mean not available); each interval is ``[open, close)`` in ``HH:MM``
  with ``open < close``; ``close`` may be ``"24:00"`` (end of day). A night shift is
  two intervals: ``"mon": [["20:00", "24:00"]], "tue": [["00:00", "06:00"]]``.

Pure functions, no I/O: the list filter ``available_at=`` and matching use
:func:`is_available`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from core.clock import LOCAL_TZ

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_INTERVALS_PER_DAY = 12
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _minutes(value: Any, *, closing: bool) -> int:
    if closing and value == "24:00":
        return 24 * 60
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        end = ' or "24:00"' if closing else ""
        raise ValueError(f"{value!r} is not a time HH:MM (00:00-23:59{end})")
    return int(match[1]) * 60 + int(match[2])


def parse_availability(value: Any) -> dict[str, Any]:
    """The validated, normalised availability (intervals sorted); ``ValueError`` says why."""
    if not isinstance(value, dict):
        raise ValueError(
            'expected {"always": true} or weekly hours like {"mon": [["08:00","18:00"]]}'
        )
    if "always" in value:
        if value != {"always": True}:
            raise ValueError('"always" must be true and stand alone')
        return {"always": True}
    out: dict[str, list[list[str]]] = {}
    for day, intervals in value.items():
        if day not in DAYS:
            raise ValueError(f"unknown day {day!r}; use {', '.join(DAYS)}")
        if not isinstance(intervals, list) or len(intervals) > MAX_INTERVALS_PER_DAY:
            raise ValueError(
                f"{day}: a list of at most {MAX_INTERVALS_PER_DAY} [open, close] pairs"
            )
        pairs = []
        for interval in intervals:
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise ValueError(f"{day}: each interval is [open, close], got {interval!r}")
            start = _minutes(interval[0], closing=False)
            end = _minutes(interval[1], closing=True)
            if start >= end:
                raise ValueError(f"{day}: {interval[0]} is not before {interval[1]}")
            pairs.append((start, end, [interval[0], interval[1]]))
        out[day] = [p[2] for p in sorted(pairs, key=lambda p: (p[0], p[1]))]
    return {day: out[day] for day in DAYS if day in out}


def is_available(availability: dict[str, Any], moment: datetime) -> bool:
    """True if ``moment`` lies in ``availability`` (weekly hours in Asia/Shanghai time).

    ``moment`` is timezone-aware (a naive one is taken as UTC, the wire convention);
    intervals are half-open ``[open, close)``.
    """
    if availability.get("always") is True:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(LOCAL_TZ)
    minute = local.hour * 60 + local.minute
    for start, end in availability.get(DAYS[local.weekday()], []):
        if _minutes(start, closing=False) <= minute < _minutes(end, closing=True):
            return True
    return False
