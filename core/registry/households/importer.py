"""Households from a table with one row per PERSON, grouped by ``household_code``.

Columns (names case-insensitive; ``lon``/``lat`` or a Point geometry, WGS-84 after
:func:`maps.tables.read_located_rows`):

* household: ``household_code`` (required, groups the rows, stored as the code),
  ``address`` (required), ``lon``, ``lat``, ``community_code``, ``grid_code``,
  ``household_phone`` — taken from the household's first row; later rows of the
  same household leave them blank or repeat them exactly.
* person: ``person_name`` (required), ``birth_year``, ``sex`` (female/male/other,
  also 女/男), ``tags`` (``aged_80_plus;living_alone``), ``languages`` (``cmn;iii``),
  ``phone``, ``is_contact`` (true/false, 1/0, yes/no, 是/否; one per household).

All or nothing: any error raises :class:`~core.errors.Invalid` naming
``("rows", i, column)`` (``i`` counts data rows from 0 in file order).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM, Principal
from core.errors import Conflict, ErrorList, FieldError, Invalid
from core.registry.households.access import ensure_creator
from core.registry.households.create import Loc, create_households
from core.registry.households.schemas import HouseholdCreate, ImportSummary

REQUIRED = ("household_code", "address", "person_name")
HOUSEHOLD_COLUMNS = {
    "code": "household_code",
    "address": "address",
    "lon": "lon",
    "lat": "lat",
    "community_code": "community_code",
    "grid_code": "grid_code",
    "phone": "household_phone",
    "contact_index": "is_contact",
}
PERSON_COLUMNS = {
    "name": "person_name",
    "birth_year": "birth_year",
    "sex": "sex",
    "tags": "tags",
    "languages": "languages",
    "phone": "phone",
}
MAX_REPORTED_ERRORS = 500
_SPLIT = re.compile(r"[;,；，、|]")
_TRUE = {"true", "t", "1", "yes", "y", "是"}
_FALSE = {"false", "f", "0", "no", "n", "否"}
_SEXES = {"女": "female", "男": "male", "f": "female", "m": "male"}


async def import_households(
    *, session: AsyncSession, principal: Principal | None, rows: Sequence[dict[str, Any]]
) -> ImportSummary:
    """Validate every row, then create all households and persons in one batch."""
    principal = principal or SYSTEM
    ensure_creator(principal)
    errors = ErrorList()
    _check_columns(rows)
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        code = _text(row.get("household_code"))
        if code is None:
            errors.add(("rows", i, "household_code"), "required: rows are grouped by it")
        else:
            groups.setdefault(str(code), []).append(i)
    creates: list[HouseholdCreate] = []
    members: list[list[int]] = []
    for code, idxs in groups.items():
        built = _household(code, idxs, rows, errors)
        if built is not None:
            creates.append(built)
            members.append(idxs)
    _raise(errors.errors)

    def locate(h: int, path: Loc) -> Loc:
        return _file_loc(members[h], path)

    try:
        await create_households(session=session, principal=principal, rows=creates, locate=locate)
    except (Invalid, Conflict) as exc:
        _raise(exc.errors)
        raise
    persons = sum(len(c.members) for c in creates)
    return ImportSummary(
        created=len(creates), persons=persons, codes=[str(c.code) for c in creates]
    )


def _check_columns(rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        raise Invalid.field(("file",), "the file has no rows")
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        errors = [FieldError(("file", c), f"missing column {c}") for c in missing]
        raise Invalid(f"the file lacks column(s) {', '.join(missing)}", errors=errors)


def _household(
    code: str, idxs: list[int], rows: Sequence[dict[str, Any]], errors: ErrorList
) -> HouseholdCreate | None:
    first = rows[idxs[0]]
    for i in idxs[1:]:
        for column in ("address", "lon", "lat", "community_code", "grid_code", "household_phone"):
            value = _text(rows[i].get(column))
            if value is not None and not _same(value, _text(first.get(column))):
                msg = f"differs from row {idxs[0]}, the first row of household {code}"
                errors.add(("rows", i, column), msg)
    contacts: list[int] = []
    for m, i in enumerate(idxs):
        flag = _flag(rows[i].get("is_contact"))
        if flag is None:
            errors.add(("rows", i, "is_contact"), "expected true or false")
        elif flag:
            if contacts:
                msg = f"household {code} already has its contact on row {idxs[contacts[0]]}"
                errors.add(("rows", i, "is_contact"), msg)
            contacts.append(m)
    fields = {
        "code": code,
        "address": _text(first.get("address")),
        "lon": first.get("lon"),
        "lat": first.get("lat"),
        "community_code": _text(first.get("community_code")),
        "grid_code": _text(first.get("grid_code")),
        "phone": _text(first.get("household_phone")),
        "members": [_person(rows[i]) for i in idxs],
        "contact_index": contacts[0] if contacts else None,
    }
    try:
        return HouseholdCreate.model_validate(fields)
    except ValidationError as exc:
        for err in exc.errors():
            errors.add(_file_loc(idxs, err["loc"]), err["msg"].removeprefix("Value error, "))
        return None


def _person(row: dict[str, Any]) -> dict[str, Any]:
    sex = _text(row.get("sex"))
    if isinstance(sex, str):
        sex = _SEXES.get(sex.lower(), sex.lower())
    return {
        "name": _text(row.get("person_name")),
        "birth_year": _text(row.get("birth_year")),
        "sex": sex,
        "tags": _codes(row.get("tags")),
        "languages": _codes(row.get("languages")),
        "phone": _text(row.get("phone")),
    }


def _file_loc(idxs: list[int], path: Sequence[str | int]) -> Loc:
    """A household-relative loc (``("members", m, field, …)`` or ``(field,)``) as a row's."""
    if len(path) >= 3 and path[0] == "members" and isinstance(path[1], int):
        return ("rows", idxs[path[1]], PERSON_COLUMNS.get(str(path[2]), str(path[2])))
    field = str(path[0]) if path else "code"
    return ("rows", idxs[0], HOUSEHOLD_COLUMNS.get(field, field))


def _raise(errors: Sequence[FieldError]) -> None:
    if not errors:
        return
    bad = sorted(errors, key=lambda e: e.loc[1] if isinstance(e.loc[1], int) else -1)
    rows = {e.loc[1] for e in bad if len(e.loc) > 1 and isinstance(e.loc[1], int)}
    detail = f"{len(rows)} row(s) have errors; nothing was imported"
    if len(bad) > MAX_REPORTED_ERRORS:
        detail += f" (first {MAX_REPORTED_ERRORS} of {len(bad)} errors shown)"
    raise Invalid(detail, errors=bad[:MAX_REPORTED_ERRORS])


def _text(value: Any) -> Any:
    """Strings stripped (blank → None), integral numbers as digit strings for codes."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return str(int(value))  # codes and years read as floats
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as numbers when both are numbers (NaN equals NaN), else as text."""
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)
    return x == y or (math.isnan(x) and math.isnan(y))


def _codes(value: Any) -> list[str]:
    text = _text(value)
    if text is None:
        return []
    return [part.strip() for part in _SPLIT.split(str(text)) if part.strip()]


def _flag(value: Any) -> bool | None:
    if isinstance(value, numbers.Real) and value in (0, 1):
        return bool(value)
    text = _text(value)
    if text is None:
        return False
    word = str(text).lower()
    return True if word in _TRUE else False if word in _FALSE else None
