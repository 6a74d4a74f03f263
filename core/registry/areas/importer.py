"""Batch import of areas: validate every row first, then insert all in one statement.

All or nothing: any bad row raises :class:`~core.errors.Invalid` whose errors name
``("rows", i, field)`` (``i`` counts rows from 0 in file order) and nothing is
written. Parents may be other rows of the same batch (before or after) or
existing areas the principal may write under.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from shapely.geometry import MultiPolygon
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal
from core.auth.scope import in_scope
from core.errors import Conflict, ErrorList, FieldError, Invalid
from core.events.outbox import emit_many
from core.ids import uuid7
from core.registry.areas.models import Area, AreaLevel
from core.registry.areas.rules import area_event, ensure_writer, parse_boundary, wrong_level
from core.registry.areas.schemas import AreaCreate, AreaImportRow, ImportResult

MAX_REPORTED_ERRORS = 500
_CHUNK = 5000


@dataclass(slots=True)
class _Row:
    index: int
    data: AreaCreate
    boundary: MultiPolygon | None
    id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    path: str | None = None


@dataclass(frozen=True, slots=True)
class _Known:
    id: uuid.UUID
    level: int
    path: str


async def import_areas(
    *, session: AsyncSession, principal: Principal | None, rows: Sequence[AreaImportRow]
) -> ImportResult:
    """Validate all ``rows``, then insert them parents-first; emits ``area.created`` each.

    ``principal=None`` means the system (CLI, demo loader). Boundaries are lon/lat
    degrees (EPSG:4326). Raises :class:`Invalid` with every row error, writing nothing.
    """
    principal = principal or SYSTEM
    ensure_writer(principal)
    errors = ErrorList()
    if not rows:
        errors.add(("rows",), "no rows to import")
    checked = [_check_row(i, row, errors) for i, row in enumerate(rows)]
    valid = [r for r in checked if r is not None]
    by_code = _unique_codes(valid, errors)
    existing = await _known(session, by_code)
    for code, row in by_code.items():
        if code in existing:
            errors.add(("rows", row.index, "code"), f"area code {code} already exists")
    in_file = {row.code for row in rows if isinstance(row.code, str)}
    wanted = {r.data.parent_code for r in valid if r.data.parent_code} - in_file
    parents = await _known(session, wanted)
    for row in sorted(valid, key=lambda r: r.data.level):
        if row.data.parent_code in in_file and row.data.parent_code not in by_code:
            continue  # the parent row has errors of its own; report only those
        _place(row, principal, by_code, parents, errors)
    _raise(errors)
    ordered = sorted((r for r in by_code.values()), key=lambda r: (r.data.level, r.index))
    await _insert(session, ordered)
    return ImportResult(created=len(ordered), codes=[r.data.code for r in ordered])


def _check_row(i: int, row: AreaImportRow, errors: ErrorList) -> _Row | None:
    fields = {
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "parent_code": row.parent_code,
        "urban_rural": row.urban_rural,
    }
    ok = True
    try:
        data = AreaCreate.model_validate(fields)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            errors.add(("rows", i, *err["loc"]), msg)
        ok = False
    try:
        boundary = parse_boundary(row.geometry, ("rows", i, "geometry"))
    except Invalid as exc:
        errors.errors.extend(exc.errors)
        ok = False
    return _Row(i, data, boundary) if ok else None


def _unique_codes(rows: Iterable[_Row], errors: ErrorList) -> dict[str, _Row]:
    by_code: dict[str, _Row] = {}
    for row in rows:
        first = by_code.setdefault(row.data.code, row)
        if first is not row:
            errors.add(("rows", row.index, "code"), f"duplicate of row {first.index}")
    return by_code


async def _known(session: AsyncSession, codes: Iterable[str]) -> dict[str, _Known]:
    """Existing areas by code (chunked, to stay under the engines' parameter limits)."""
    codes = sorted(codes)
    found: dict[str, _Known] = {}
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        result = await session.execute(
            select(Area.code, Area.id, Area.level, Area.area_path).where(Area.code.in_(chunk))
        )
        for code, id_, level, path in result:
            found[code] = _Known(id_, level, path)
    return found


def _place(
    row: _Row,
    principal: Principal,
    batch: dict[str, _Row],
    known: dict[str, _Known],
    errors: ErrorList,
) -> None:
    """Give ``row`` its id, parent and path (rows go parents-first); record errors."""
    data, loc = row.data, ("rows", row.index, "parent_code")
    level = AreaLevel(data.level)
    if data.parent_code is None:  # a province: AreaCreate checked the level
        if not principal.is_admin:
            errors.add(("rows", row.index, "level"), "only an admin may create a province")
            return
        row.id, row.path = uuid7(), data.code + "/"
        return
    in_batch = batch.get(data.parent_code)
    if in_batch is not None:
        if in_batch.data.level != level - 1:
            errors.add(loc, wrong_level(data.parent_code, in_batch.data.level, level))
            return
        if in_batch.path is None:  # the parent row has errors of its own
            return
        parent = _Known(in_batch.id, in_batch.data.level, in_batch.path)  # type: ignore[arg-type]
    else:
        found = known.get(data.parent_code)
        if found is None or not in_scope(principal, found.path):
            errors.add(loc, f"no area with code {data.parent_code} (in the file or stored)")
            return
        if found.level != level - 1:
            errors.add(loc, wrong_level(data.parent_code, found.level, level))
            return
        parent = found
    row.id, row.parent_id, row.path = uuid7(), parent.id, parent.path + data.code + "/"


def _raise(errors: ErrorList) -> None:
    if not errors.errors:
        return
    bad = sorted(errors.errors, key=_row_of)
    rows = {_row_of(e) for e in bad} - {-1}
    detail = f"{len(rows)} row(s) have errors; nothing was imported" if rows else bad[0].msg
    if len(bad) > MAX_REPORTED_ERRORS:
        detail += f" (first {MAX_REPORTED_ERRORS} of {len(bad)} errors shown)"
    raise Invalid(detail, errors=bad[:MAX_REPORTED_ERRORS])


def _row_of(error: FieldError) -> int:
    loc = error.loc
    return loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1


async def _insert(session: AsyncSession, rows: Sequence[_Row]) -> None:
    """One multi-row INSERT (parents first), then one ``area.created`` event per row."""
    now = clock.now()
    values = [_values(r, now) for r in rows]
    try:
        async with session.begin_nested():
            await session.execute(insert(Area), values)
    except IntegrityError as exc:
        raise Conflict("an area code in the file was stored concurrently; retry") from exc
    events = [
        area_event(
            "area.created",
            id=v["id"],
            code=v["code"],
            area_path=v["area_path"],
            level=v["level"],
            parent_code=r.data.parent_code,
            source="import",
        )
        for r, v in zip(rows, values, strict=True)
    ]
    await emit_many(session, events)


def _values(row: _Row, now: Any) -> dict[str, Any]:
    bounds = row.boundary.bounds if row.boundary is not None else (None,) * 4
    return {
        "id": row.id,
        "code": row.data.code,
        "name": row.data.name,
        "level": int(row.data.level),
        "parent_id": row.parent_id,
        "area_path": row.path,
        "urban_rural": row.data.urban_rural,
        "boundary": row.boundary,
        "min_lon": bounds[0],
        "min_lat": bounds[1],
        "max_lon": bounds[2],
        "max_lat": bounds[3],
        "created_at": now,
        "updated_at": now,
    }
