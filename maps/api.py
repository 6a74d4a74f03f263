"""Map routes: area import from GeoJSON / GeoPackage uploads."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from fastapi import APIRouter, UploadFile

from core.http.deps import Coordinator, SessionDep
from core.registry.areas import service
from core.registry.areas.schemas import AreaImportRow, ImportResult
from maps.areas_io import import_file, sniff_format

router = APIRouter(tags=["maps"])


def _read_upload(content: bytes) -> list[AreaImportRow]:
    """Rows from uploaded bytes, through a temporary file (pyogrio reads paths)."""
    suffix = ".gpkg" if sniff_format(content[:64]) == "gpkg" else ".geojson"
    with tempfile.TemporaryDirectory(prefix="huzhu-import-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        return import_file(path)


@router.post("/areas/import", status_code=201, response_model=ImportResult)
async def import_areas(
    file: UploadFile, principal: Coordinator, session: SessionDep
) -> ImportResult:
    """Import areas all or nothing; 422 lists every bad row as ``["rows", i, field]``.

    ``i`` counts features from 0 in file order. Geometries in another CRS are
    reprojected to EPSG:4326; parents may be other rows of the same file.
    """
    content = await file.read()
    rows = await asyncio.to_thread(_read_upload, content)
    return await service.import_areas(session=session, principal=principal, rows=rows)
