"""Stock-count import route (mounted under /api/v1 by core/app.py)."""

from __future__ import annotations

from fastapi import APIRouter, UploadFile

from core.http.deps import Coordinator, SessionDep
from core.stock import alerts_schemas as s
from core.stock.counts import import_counts, read_count_csv

router = APIRouter(tags=["stock"])


@router.post("/stock/counts", response_model=s.CountSummaryRead)
async def import_stock_count(
    file: UploadFile, principal: Coordinator, session: SessionDep
) -> s.CountSummaryRead:
    """Apply a stock count CSV (depot_id, item_code, counted; optional lot_id, expires_on,
    reason) all or nothing; 422 lists every bad row as ``["rows", i, column]``.

    A row with ``lot_id`` sets that lot's on-hand to ``counted`` (an adjust move); a row
    without one receives a new lot (source ``count``). Every depot must be in your scope.
    """
    rows = read_count_csv(await file.read())
    done = await import_counts(session=session, principal=principal, rows=rows)
    return s.CountSummaryRead(adjusted=done.adjusted, unchanged=done.unchanged,
                              created=done.created)  # fmt: skip
