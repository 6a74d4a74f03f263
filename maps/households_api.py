"""Bulk import of households from CSV, GeoJSON or GeoPackage (mounted under /api/v1)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, UploadFile

from core.geo.crs import CrsParam, InputCrs
from core.http.deps import CurrentUser, SessionDep
from core.registry.households.access import ensure_creator
from core.registry.households.importer import import_households
from core.registry.households.schemas import ImportSummary
from maps.households_io import read_upload

router = APIRouter(tags=["households"])


@router.post("/households/import", status_code=201, response_model=ImportSummary)
async def import_households_upload(
    file: UploadFile, principal: CurrentUser, session: SessionDep, crs: CrsParam = InputCrs.wgs84
) -> ImportSummary:
    """Import households, one row per person, all or nothing.

    The format is in :mod:`maps.households_io`; 422 lists every bad row as
    ``["rows", i, column]`` (``i`` counts data rows from 0 in file order).
    """
    ensure_creator(principal)
    content = await file.read()
    rows = await asyncio.to_thread(read_upload, content, crs=crs)
    return await import_households(session=session, principal=principal, rows=rows)
