"""Bulk import of volunteers from CSV, GeoJSON or GeoPackage (mounted under /api/v1)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, UploadFile

from core.geo.crs import CrsParam, InputCrs
from core.http.deps import Coordinator, SessionDep
from core.registry.volunteers.reads import ImportSummary
from maps import volunteers_io
from maps.tables import read_located_rows, sniff_table_format

router = APIRouter(tags=["volunteers"])


def _read_upload(content: bytes, crs: InputCrs) -> list[dict[str, Any]]:
    """Rows from uploaded bytes, through a temporary file named by its sniffed format."""
    with tempfile.TemporaryDirectory(prefix="huzhu-import-") as tmp:
        raw = Path(tmp) / "upload"
        raw.write_bytes(content)
        path = raw.rename(raw.with_suffix("." + sniff_table_format(raw)))
        return read_located_rows(path, crs=crs)


@router.post("/volunteers/import", status_code=201, response_model=ImportSummary)
async def import_volunteers(
    file: UploadFile, principal: Coordinator, session: SessionDep, crs: CrsParam = InputCrs.wgs84
) -> ImportSummary:
    """Import volunteers all or nothing; 422 lists every bad row as ``["rows", i, field]``.

    One row per volunteer (columns: maps/volunteers_io.py); ``i`` counts rows from 0
    in file order; ``crs=gcj02`` converts GCJ-02 coordinates; each row's area must be
    in your scope.
    """
    content = await file.read()
    rows = await asyncio.to_thread(_read_upload, content, crs)
    return await volunteers_io.import_volunteers(session=session, principal=principal, rows=rows)
