"""Read depots from CSV, GeoJSON or GeoPackage files and import them all or nothing.

Columns are those of :mod:`core.registry.depots.importer`; the point comes from a
Point geometry or, in a CSV, from ``lon``/``lat`` (``longitude``/``latitude``,
``x``/``y``) columns. Points end up in WGS-84 degrees (EPSG:4326): files in another
CRS are reprojected, and ``crs=gcj02`` converts GCJ-02 coordinates.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.errors import FieldError, Invalid
from core.geo.crs import InputCrs
from core.registry.depots.importer import import_depots
from core.registry.depots.schemas import ImportSummary
from maps.tables import read_located_rows, sniff_table_format

REQUIRED = ("name", "kind", "area_code")


def read_depot_rows(
    path: str | Path, *, crs: InputCrs | str = InputCrs.wgs84, layer: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """The rows of ``path`` (lon/lat WGS-84) and the field that names their points in
    errors: ``lon`` for a CSV, ``geometry`` otherwise.

    Raises :class:`~core.errors.Invalid` naming ``("file",)`` for an unreadable file
    and ``("file", column)`` for each missing required column.
    """
    path = Path(path)
    fmt = sniff_table_format(path)
    rows = read_located_rows(path, crs=crs, layer=layer)
    missing = [c for c in REQUIRED if c not in rows[0]]
    errors = [FieldError(("file", c), f"missing column {c}") for c in missing]
    if fmt == "csv" and all(r["lon"] is None and r["lat"] is None for r in rows):
        errors.append(FieldError(("file", "lon"), "no point in any row: give lon and lat columns"))
    if errors:
        names = ", ".join(str(e.loc[-1]) for e in errors)
        raise Invalid(f"the {fmt} file lacks column(s) {names}", errors=errors)
    return rows, "lon" if fmt == "csv" else "geometry"


async def import_depots_file(
    *,
    session: AsyncSession,
    principal_or_none: Principal | None,
    path: str | Path,
    crs: InputCrs | str = InputCrs.wgs84,
) -> ImportSummary:
    """Read ``path`` and import every depot in it or none; ``None`` acts as the system."""
    rows, point_field = await asyncio.to_thread(read_depot_rows, path, crs=crs)
    return await import_depots(
        session=session, principal=principal_or_none, rows=rows, point_field=point_field
    )
