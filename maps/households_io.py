"""Read households (one row per person) from CSV, GeoJSON or GeoPackage and import them.

The format is documented in :mod:`core.registry.households.importer`: one row per
PERSON with ``household_code``, ``address``, ``lon``/``lat`` (or a Point geometry),
``community_code``, ``grid_code``, ``household_phone``, ``person_name``,
``birth_year``, ``sex``, ``tags`` (``aged_80_plus;living_alone``), ``languages``
(``cmn;iii``), ``phone`` and ``is_contact``; rows are grouped by ``household_code``.
Points are WGS-84 (EPSG:4326) after reading: files in another CRS are reprojected
and ``crs="gcj02"`` converts GCJ-02 coordinates. All or nothing, with errors named
``("rows", i, column)``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.geo.crs import InputCrs
from core.registry.households.importer import import_households
from core.registry.households.schemas import ImportSummary
from maps.tables import read_located_rows, sniff_table_format


def read_rows(path: str | Path, *, crs: InputCrs | str = InputCrs.wgs84) -> list[dict[str, Any]]:
    """The person rows of ``path`` with ``lon``/``lat`` in WGS-84 degrees."""
    return read_located_rows(path, crs=crs)


def read_upload(content: bytes, *, crs: InputCrs | str = InputCrs.wgs84) -> list[dict[str, Any]]:
    """Rows from uploaded bytes, through a temporary file named by its sniffed format."""
    with tempfile.TemporaryDirectory(prefix="huzhu-households-") as tmp:
        raw = Path(tmp) / "upload"
        raw.write_bytes(content)
        path = raw.rename(raw.with_suffix("." + sniff_table_format(raw)))
        return read_located_rows(path, crs=crs)


async def import_households_file(
    *,
    session: AsyncSession,
    principal_or_none: Principal | None,
    path: str | Path,
    crs: InputCrs | str = InputCrs.wgs84,
) -> ImportSummary:
    """Read ``path`` and import it all or nothing; ``None`` acts as the system (CLI)."""
    rows = await asyncio.to_thread(read_rows, path, crs=crs)
    return await import_households(session=session, principal=principal_or_none, rows=rows)
