"""Weekly availability: validation and the moment test in Asia/Shanghai time (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.registry.volunteers.availability import is_available, parse_availability

SHANGHAI = timezone(timedelta(hours=8))
OFFICE = {"mon": [["08:00", "18:00"]]}
NIGHT = {"sun": [["22:00", "24:00"]], "mon": [["00:00", "06:00"]]}


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    """2026-03-``day`` (1 = Sunday, 2 = Monday) at hour:minute UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(1, 23, 30), False),  # Mon 07:30 local
        (utc(2, 0, 0), True),  # Mon 08:00 local: open is inclusive
        (utc(2, 9, 59), True),  # Mon 17:59 local
        (utc(2, 10, 0), False),  # Mon 18:00 local: close is exclusive
        (datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI), True),  # an offset other than UTC
        (datetime(2026, 3, 2, 0, 30), True),  # naive = UTC: Mon 08:30 local
        (utc(9, 2), True),  # a week later
        (utc(3, 2), False),  # Tuesday
    ],
)
def test_office_hours(moment: datetime, expected: bool) -> None:
    assert is_available(OFFICE, moment) is expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(1, 13, 59), False),  # Sun 21:59 local
        (utc(1, 14, 0), True),  # Sun 22:00 local
        (utc(1, 15, 59), True),  # Sun 23:59 local
        (utc(1, 16, 0), True),  # Mon 00:00 local (still Sunday in UTC)
        (utc(1, 21, 59), True),  # Mon 05:59 local
        (utc(1, 22, 0), False),  # Mon 06:00 local
    ],
)
def test_night_shift_across_midnight(moment: datetime, expected: bool) -> None:
    assert is_available(NIGHT, moment) is expected


def test_the_local_day_decides_not_the_utc_day() -> None:
    sunday_utc_monday_local = utc(1, 17)  # Sunday 17:00 UTC = Monday 01:00 in Shanghai
    assert is_available({"mon": [["00:00", "06:00"]]}, sunday_utc_monday_local)
    assert not is_available({"sun": [["00:00", "24:00"]]}, sunday_utc_monday_local)
    monday_utc_evening = utc(2, 20)  # Monday 20:00 UTC = Tuesday 04:00 local
    assert is_available({"tue": [["04:00", "05:00"]]}, monday_utc_evening)
    assert not is_available({"mon": [["00:00", "24:00"]]}, monday_utc_evening)


def test_always_and_never() -> None:
    assert is_available({"always": True}, utc(4, 3))
    assert not is_available({}, utc(4, 3))


def test_parse_normalises() -> None:
    value = {"sat": [["14:00", "17:30"], ["09:00", "12:00"]], "mon": [["08:00", "24:00"]]}
    assert parse_availability(value) == {
        "mon": [["08:00", "24:00"]],
        "sat": [["09:00", "12:00"], ["14:00", "17:30"]],
    }
    assert list(parse_availability({"sun": [], "mon": []})) == ["mon", "sun"]
    assert parse_availability({"always": True}) == {"always": True}


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ({"always": False}, "always"),
        ({"always": True, "mon": []}, "always"),
        ({"monday": [["08:00", "09:00"]]}, "unknown day"),
        ({"mon": [["8:00", "09:00"]]}, "HH:MM"),
        ({"mon": [["24:00", "24:00"]]}, "HH:MM"),
        ({"mon": [["08:00", "24:01"]]}, "HH:MM"),
        ({"mon": [["18:00", "08:00"]]}, "not before"),
        ({"mon": [["08:00", "08:00"]]}, "not before"),
        ({"mon": [["08:00"]]}, "[open, close]"),
        ({"mon": "08:00-18:00"}, "pairs"),
        ([["08:00", "18:00"]], "expected"),
        ("always", "expected"),
    ],
)
def test_parse_rejects(value: object, needle: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_availability(value)
    assert needle in str(err.value)
