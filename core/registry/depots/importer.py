"""Import of depots from loosely typed rows (file columns): all or nothing.

Columns: ``name``, ``kind``, ``area_code``, the point (``lon``/``lat``, WGS-84) and
optionally ``site_type``, ``owner_org``, ``address``, ``capacity_people``, ``phone``,
``opening_hours``; other columns are ignored. ``kind`` and ``site_type`` take the
code or the Chinese name (``慈善超市``, ``公园`` or ``慈善公园``). ``owner_org`` is an
organization's id or its exact name (names are unique), in the importer's scope.
``opening_hours`` is a JSON object (:mod:`core.registry.depots.hours`) or ``always``.
Errors name ``("rows", i, column)`` with ``i`` counting rows from 0 in file order.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM, Principal
from core.auth.scope import in_scope
from core.errors import ErrorList, FieldError, Invalid
from core.registry.depots.batch import create_batch
from core.registry.depots.hours import ALWAYS_OPEN
from core.registry.depots.kinds import KIND_LABELS, SITE_TYPES
from core.registry.depots.rules import ensure_writer
from core.registry.depots.schemas import DepotCreate, ImportSummary
from core.registry.orgs.models import Organization

_KINDS = {label: code for code, label in KIND_LABELS.items()}
_SITES = {label: code for code, label in SITE_TYPES.items()}
_SITES |= {label.removeprefix("慈善"): code for label, code in _SITES.items()}
_SITES |= {
    "慈善超市": "supermarket",
    "超市": "supermarket",
    "慈善食堂": "canteen",
    "食堂": "canteen",
}
_KINDS |= {"新时代文明实践站": "civilization_station", "新时代文明实践所": "civilization_station"}
_ALWAYS = {"always", "24h", "24/7", "全天", "全天开放", "24小时"}
_CHUNK = 5000


async def import_depots(
    *,
    session: AsyncSession,
    principal: Principal | None,
    rows: Sequence[dict[str, Any]],
    point_field: str = "lon",
) -> ImportSummary:
    """Validate every row, then create them all in one statement (or raise 422, writing
    nothing). ``None`` acts as the system. Errors about the point name ``point_field``
    (``"geometry"`` for files whose points are geometries)."""
    principal = principal or SYSTEM
    ensure_writer(principal)
    errors = ErrorList()
    if not rows:
        errors.add(("rows",), "no rows to import")
    owners = await _owner_ids(session, principal, rows, errors)
    valid: list[DepotCreate] = []
    prefixes: list[tuple[str | int, ...]] = []
    for i, row in enumerate(rows):
        data = _row(i, row, owners.get(i), point_field, errors)
        if data is not None:
            valid.append(data)
            prefixes.append(("rows", i))
    try:
        ids = await create_batch(
            session=session,
            principal=principal,
            rows=valid,
            prefixes=prefixes,
            errors=errors,
            source="import",
        )
    except Invalid as exc:
        exc.errors = [_renamed(e, point_field) for e in exc.errors]
        raise
    return ImportSummary(created=len(ids), ids=ids)


def _renamed(error: FieldError, point_field: str) -> FieldError:
    names = {"owner_org_id": "owner_org", "lon": point_field, "lat": point_field}
    loc = error.loc
    if len(loc) == 3 and loc[0] == "rows" and isinstance(loc[2], str) and loc[2] in names:
        return FieldError((*loc[:2], names[loc[2]]), error.msg)
    return error


def _row(
    i: int, row: dict[str, Any], owner: uuid.UUID | None, point_field: str, errors: ErrorList
) -> DepotCreate | None:
    """The row as a :class:`DepotCreate`, or None after recording all its errors."""
    found = ErrorList()
    lon, lat = row.get("lon"), row.get("lat")
    if lon is None or lat is None:
        found.add(("rows", i, point_field), "no point: give lon/lat or a Point geometry")
    elif _nan(lon) or _nan(lat):
        found.add(("rows", i, point_field), "not a point: lon/lat not numbers or not a Point")
    point_ok = not found.errors
    hours, ok = _hours(row.get("opening_hours"))
    if not ok:
        found.add(("rows", i, "opening_hours"), "expected a JSON object or 'always'")
    fields = {
        "name": row.get("name"),
        "kind": _lookup(row.get("kind"), _KINDS),
        "site_type": _lookup(row.get("site_type"), _SITES),
        "area_code": _digits(row.get("area_code")),
        "lon": lon if point_ok else 0.0,  # a bad point is reported once, above
        "lat": lat if point_ok else 0.0,
        "address": _text(row.get("address")) or "",
        "owner_org_id": owner,
        "capacity_people": row.get("capacity_people"),
        "phone": _digits(row.get("phone")),
        "opening_hours": hours if ok else None,
    }
    try:
        data = DepotCreate.model_validate(fields)
    except ValidationError as exc:
        for err in exc.errors():
            found.add(("rows", i, *err["loc"]), err["msg"].removeprefix("Value error, "))
        data = None
    errors.errors.extend(found.errors)
    return None if found.errors else data


def _nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _text(value: Any) -> Any:
    return value.strip() or None if isinstance(value, str) else value


def _lookup(value: Any, labels: dict[str, str]) -> Any:
    value = _text(value)
    return labels.get(value, value.lower()) if isinstance(value, str) else value


def _digits(value: Any) -> Any:
    """Codes and phones read as numbers back to digit strings (``5.329e11`` too)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def _hours(value: Any) -> tuple[Any, bool]:
    value = _text(value)
    if value is None or isinstance(value, dict):
        return value, True
    if not isinstance(value, str):
        return None, False
    if value.lower() in _ALWAYS:
        return dict(ALWAYS_OPEN), True
    try:
        parsed = json.loads(value)
    except ValueError:
        return None, False
    return parsed, isinstance(parsed, dict)


async def _owner_ids(
    session: AsyncSession, principal: Principal, rows: Sequence[dict[str, Any]], errors: ErrorList
) -> dict[int, uuid.UUID]:
    """Row index → organization id for rows naming an owner (by id or exact name)."""
    wanted: dict[int, str] = {}
    for i, row in enumerate(rows):
        value = _text(row.get("owner_org", row.get("owner_org_id")))
        if value is not None:
            wanted[i] = str(value)
    keys = sorted(set(wanted.values()))
    ids = {k: _uuid(k) for k in keys}
    found: dict[str, Organization] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        chunk_ids = [u for k in chunk if (u := ids[k]) is not None]
        stmt = select(Organization).where(
            Organization.name.in_(chunk) | Organization.id.in_(chunk_ids)
        )
        for org in await session.scalars(stmt):
            found[org.name] = found[str(org.id)] = org
    out: dict[int, uuid.UUID] = {}
    for i, key in wanted.items():
        org = found.get(str(ids[key]) if ids[key] else key)
        if org is None or not in_scope(principal, org.area_path):
            errors.add(("rows", i, "owner_org"), f"no organization with id or name {key}")
        else:
            out[i] = org.id
    return out


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
