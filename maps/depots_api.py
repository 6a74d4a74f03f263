"""Bulk import of depots from CSV, GeoJSON or GeoPackage (mounted under /api/v1)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, UploadFile

from core.geo.crs import CrsParam, InputCrs
from core.http.deps import Coordinator, SessionDep
from core.registry.depots.schemas import ImportSummary
from maps.depots_io import import_depots_file
from maps.tables import sniff_table_format

router = APIRouter(tags=["depots"])


@router.post("/depots/import", status_code=201, response_model=ImportSummary)
async def import_depots(
    file: UploadFile,
    principal: Coordinator,
    session: SessionDep,
    crs: CrsParam = InputCrs.wgs84,
) -> ImportSummary:
    """Import depots all or nothing; 422 lists every bad row as ``["rows", i, field]``.

    ``i`` counts rows from 0 in file order; ``crs=gcj02`` converts GCJ-02 lon/lat.
    """
    content = await file.read()
    with tempfile.TemporaryDirectory(prefix="huzhu-depots-") as tmp:
        path = Path(tmp) / "upload"
        path.write_bytes(content)
        path = path.rename(path.with_suffix("." + sniff_table_format(path)))
        return await import_depots_file(
            session=session, principal_or_none=principal, path=path, crs=crs
        )
