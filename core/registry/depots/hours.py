"""Opening hours of a depot: one JSON object, validated and stored in a canonical form.

Shape (every key optional)::

    {"always": true}                                   # open day and night (避难场所 …)
    {"mon": [["08:00", "12:00"], ["14:00", "20:00"]],  # local time, Asia/Shanghai
     "sat": [["09:00", "24:00"]],
     "note": "节假日另行通知"}
    {}                                                 # not stated

Days are ``mon`` … ``sun``; each holds ``[open, close]`` pairs of ``HH:MM`` times
(``24:00`` closes at midnight) with ``open < close``, in order and not overlapping.
A day that is absent (or ``[]``) is closed, unless no day is given at all (then the
hours are not stated). ``always`` excludes day hours. Hours past midnight are two
intervals on two days. The stored form drops empty days and ``always: false``.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN: dict[str, Any] = {"always": True}

Time = Annotated[
    str,
    Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", description="HH:MM, 00:00 to 24:00."),
]


def _open_before_close(value: tuple[str, str]) -> tuple[str, str]:
    if value[0] >= value[1]:  # zero-padded HH:MM sort as times
        raise ValueError(f"opens at {value[0]} but closes at {value[1]}: open must be earlier")
    return value


Interval = Annotated[tuple[Time, Time], AfterValidator(_open_before_close)]


def _ordered(value: list[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
    if value:
        for (_, close), (start, _) in itertools.pairwise(value):
            if start < close:
                raise ValueError(f"intervals overlap or are out of order at {start}")
    return value


Day = Annotated[list[Interval] | None, AfterValidator(_ordered)]


class OpeningHours(BaseModel):
    """Weekly opening hours (local time); see the module docstring for the shape."""

    model_config = ConfigDict(extra="forbid")

    always: bool = False
    mon: Day = None
    tue: Day = None
    wed: Day = None
    thu: Day = None
    fri: Day = None
    sat: Day = None
    sun: Day = None
    note: Annotated[str | None, Field(max_length=200)] = None

    @model_validator(mode="after")
    def _always_alone(self) -> OpeningHours:
        if self.always and any(getattr(self, d) for d in DAYS):
            raise ValueError("give either always: true or day hours, not both")
        return self

    def stored(self) -> dict[str, Any]:
        """The canonical JSON object (empty days and ``always: false`` dropped)."""
        out: dict[str, Any] = {"always": True} if self.always else {}
        for day in DAYS:
            intervals = getattr(self, day)
            if intervals:
                out[day] = [list(pair) for pair in intervals]
        if self.note:
            out["note"] = self.note
        return out

    def is_stated(self) -> bool:
        return self.always or any(getattr(self, d) for d in DAYS)
