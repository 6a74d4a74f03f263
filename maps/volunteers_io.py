"""Import volunteers from CSV, GeoJSON or GeoPackage: one row (feature) per volunteer.

Columns (names case-insensitive; unknown columns are ignored):

==========================  ===============================================================
``name``                    required
``area_code``               required: the home area, 12 digits, county/township/community
``lon``, ``lat``            the home point (or ``longitude``/``latitude``, ``x``/``y``, or a
                            Point geometry); WGS-84 unless ``crs=gcj02``; inside the area's
                            boundary when it has one
``phone``                   optional
``skills``                  codes separated by ``;``: ``first_aid;driving`` (vocab.SKILLS)
``vehicle_class``           required exactly when ``skills`` has ``driving``: C1, B2 …
``languages``               codes separated by ``;``: ``cmn;iii`` (vocab.LANGUAGES)
``certifications``          ``kind:number:YYYY-MM-DD;…`` — number and date may be empty
                            (``first_aid_certificate::2027-06-30``); kinds in CERT_KINDS
``availability``            ``always`` (the default when empty) or JSON text of weekly
                            hours: ``{"mon": [["08:00", "18:00"]], "sat": [...]}``
``max_travel_km``           0 < km ≤ 200 (default 10)
``max_active_tasks``        ≥ 1 (default 1)
``insurance_valid_until``   ``YYYY-MM-DD``
``status``                  active (default), inactive, suspended
``hours_served``            ≥ 0 (default 0)
``person_id``, ``user_id``  optional links (UUIDs): see core/registry/volunteers/links.py
``org_id``                  optional organization (UUID)
==========================  ===============================================================

All or nothing: every bad row is reported as ``("rows", i, field, …)`` (``i`` counts
rows from 0 in file order) and nothing is written.
"""

from __future__ import annotations

import asyncio
import json
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM, Principal
from core.errors import ErrorList, FieldError, Invalid
from core.geo.crs import InputCrs
from core.registry.volunteers.batch import MAX_REPORTED_ERRORS, check_rows, create_volunteers
from core.registry.volunteers.reads import ImportSummary
from core.registry.volunteers.schemas import VolunteerCreate
from maps.tables import read_located_rows

LIST_COLUMNS = ("skills", "languages")
_NO_POINT = ("missing", "finite_number")
PLAIN = (
    "name", "phone", "person_id", "user_id", "org_id", "vehicle_class", "max_travel_km",
    "max_active_tasks", "insurance_valid_until", "status", "hours_served",
)  # fmt: skip


def _codes(value: Any) -> list[str]:
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _code(value: Any) -> Any:
    """An area code as its digit string (ints and integral floats from typed files too)."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if real and float(value).is_integer():
        return str(int(value))
    return value if value is None else str(value)


def _date(value: Any) -> Any:
    """Dates from typed files (datetime, pandas Timestamp) as ``date``; text passes on."""
    to_date = getattr(value, "date", None)
    return to_date() if callable(to_date) and not isinstance(value, str) else value


def _certifications(value: Any, loc: tuple, errors: ErrorList) -> list[dict[str, Any]]:
    out = []
    for j, item in enumerate(_codes(value)):
        parts = [p.strip() or None for p in item.split(":")]
        if len(parts) > 3:
            errors.add((*loc, j), f"expected kind:number:YYYY-MM-DD, got {item!r}")
            continue
        kind, number, expires = [*parts, None, None][:3]
        out.append({"kind": kind, "number": number, "expires_on": expires})
    return out


def _availability(value: Any, loc: tuple, errors: ErrorList) -> Any:
    if isinstance(value, dict) or value is None:
        return value
    text = str(value).strip()
    if text.lower() == "always":
        return {"always": True}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        errors.add(loc, f'"always" or JSON weekly hours expected: {exc.msg}')
        return None


def parse_row(i: int, row: dict[str, Any], errors: ErrorList) -> VolunteerCreate | None:
    """One file row as a :class:`VolunteerCreate`; problems go to ``errors`` as ("rows", i, …)."""
    loc = ("rows", i)
    before = len(errors.errors)
    data: dict[str, Any] = {k: row[k] for k in PLAIN if row.get(k) is not None}
    for key in ("insurance_valid_until",):
        if key in data:
            data[key] = _date(data[key])
    for key in ("person_id", "user_id", "org_id", "phone", "vehicle_class", "status"):
        if key in data:
            data[key] = _code(data[key])
    data["area_code"] = _code(row.get("area_code"))
    for key in ("lon", "lat"):
        if row.get(key) is not None:
            data[key] = row[key]
    for key in LIST_COLUMNS:
        if row.get(key) is not None:
            data[key] = _codes(row[key])
    if row.get("certifications") is not None:
        cert_loc = (*loc, "certifications")
        data["certifications"] = _certifications(row["certifications"], cert_loc, errors)
    if row.get("availability") is not None:
        data["availability"] = _availability(row["availability"], (*loc, "availability"), errors)
    if data.get("availability", {}) is None:
        del data["availability"]
    try:
        parsed = VolunteerCreate.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["loc"] in (("lon",), ("lat",)) and err["type"] in _NO_POINT:
                msg = "no home point: give lon/lat numbers or a Point geometry"
            errors.add((*loc, *err["loc"]), msg)
        return None
    return parsed if len(errors.errors) == before else None


async def import_volunteers(
    *, session: AsyncSession, principal: Principal | None, rows: Sequence[dict[str, Any]]
) -> ImportSummary:
    """Validate every row (file checks, then database checks), then create all or none."""
    principal = principal or SYSTEM
    errors = ErrorList()
    parsed = [parse_row(i, row, errors) for i, row in enumerate(rows)]
    good = [(i, p) for i, p in enumerate(parsed) if p is not None]
    if errors.errors:  # still check the good rows, so one report lists everything
        if good:
            _, more, conflicts = await check_rows(
                session=session,
                principal=principal,
                rows=[p for _, p in good],
                locs=[("rows", i) for i, _ in good],
            )
            errors.errors += more.errors + conflicts.errors
        every = sorted(errors.errors, key=_row_of)
        bad = len({_row_of(e) for e in every})
        detail = f"{bad} row(s) have errors; nothing was imported"
        raise Invalid(detail, errors=every[:MAX_REPORTED_ERRORS])
    ids = await create_volunteers(
        session=session, principal=principal, rows=[p for _, p in good], source="import"
    )
    return ImportSummary(created=len(ids), ids=ids)


def _row_of(error: FieldError) -> int:
    loc = error.loc
    return loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1


async def import_volunteers_file(
    *,
    session: AsyncSession,
    principal_or_none: Principal | None,
    path: str | Path,
    crs: InputCrs | str = InputCrs.wgs84,
) -> ImportSummary:
    """Read ``path`` (CSV, GeoJSON, GeoPackage) and import it all or nothing.

    ``None`` acts as the system (CLI). ``crs="gcj02"`` converts GCJ-02 lon/lat.
    """
    rows = await asyncio.to_thread(read_located_rows, path, crs=InputCrs(crs))
    return await import_volunteers(session=session, principal=principal_or_none, rows=rows)
