"""Public disclosure routes (信息公开), no token needed and no personal data.

``router`` is mounted under /api/v1 (JSON, or CSV with ``?format=csv``); ``pages`` at the
root serves the HTML pages under /disclosure. Reads live in :mod:`core.stock.disclosure`.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from core.http.deps import SessionDep
from core.http.listing import Cursor, Limit, Page, after_uuid, page_of
from core.registry.areas.models import Area
from core.stock import disclosure as svc
from core.stock import disclosure_views as views
from core.stock.disclosure_schemas import DepotDisclosure, DepotRef, FundDisclosure, FundRef

router = APIRouter(tags=["disclosure"])
pages = APIRouter(tags=["disclosure"], include_in_schema=False)

AreaQuery = Annotated[str | None, Query(pattern=r"^\d{12}$", description="That area and below.")]
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")]


async def _area_path(session: AsyncSession, code: str | None) -> str | None:
    if code is None:
        return None
    path = await session.scalar(select(Area.area_path).where(Area.code == code))
    if path is None:
        raise Invalid.field(("query", "area"), f"unknown area {code}")
    return path


def _csv(text: str, name: str) -> Response:
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _page(rows: list, limit: int) -> tuple[list, str | None]:
    """``limit + 1`` rows → a page and the cursor of the next one."""
    return page_of(rows, limit, lambda r: [str(r.id)])


@router.get("/disclosure/funds", response_model=Page[FundRef])
async def list_funds(
    session: SessionDep, area: AreaQuery = None, limit: Limit = 50, next: Cursor = None
) -> Page[FundRef]:
    """Every community fund (public), by id."""
    path = await _area_path(session, area)
    rows = await svc.list_funds(session=session, area_path=path, after=after_uuid(next),
                                limit=limit + 1)  # fmt: skip
    items, cursor = _page(rows, limit)
    return Page[FundRef](items=items, next=cursor)


@router.get("/disclosure/depots", response_model=Page[DepotRef])
async def list_depots(
    session: SessionDep, area: AreaQuery = None, limit: Limit = 50, next: Cursor = None
) -> Page[DepotRef]:
    """Every depot (public), by id."""
    path = await _area_path(session, area)
    rows = await svc.list_depots(session=session, area_path=path, after=after_uuid(next),
                                 limit=limit + 1)  # fmt: skip
    items, cursor = _page(rows, limit)
    return Page[DepotRef](items=items, next=cursor)


@router.get("/disclosure/funds/{fund_id}", response_model=FundDisclosure)
async def fund_disclosure(
    fund_id: uuid.UUID, session: SessionDep, format: Format = "json"
) -> FundDisclosure | Response:
    """Money in and out by month (Asia/Shanghai) and kind, goods bought, donations."""
    data = await svc.fund_disclosure(session=session, fund_id=fund_id)
    return _csv(views.fund_csv(data), f"fund-{fund_id}.csv") if format == "csv" else data


@router.get("/disclosure/depots/{depot_id}", response_model=DepotDisclosure)
async def depot_disclosure(
    depot_id: uuid.UUID, session: SessionDep, format: Format = "json"
) -> DepotDisclosure | Response:
    """Goods received, distributed, written off by month and item; on hand now."""
    data = await svc.depot_disclosure(session=session, depot_id=depot_id)
    return _csv(views.depot_csv(data), f"depot-{depot_id}.csv") if format == "csv" else data


@pages.get("/disclosure", response_class=HTMLResponse)
async def index_page(
    session: SessionDep, area: AreaQuery = None, funds: Cursor = None, depots: Cursor = None
) -> HTMLResponse:
    """Links to every fund's and depot's page, 200 of each per page."""
    path, limit = await _area_path(session, area), 200
    fund_list, more_f = _page(
        await svc.list_funds(
            session=session, area_path=path, after=after_uuid(funds), limit=limit + 1
        ),
        limit,
    )
    depot_list, more_d = _page(
        await svc.list_depots(
            session=session, area_path=path, after=after_uuid(depots), limit=limit + 1
        ),
        limit,
    )
    base = f"/disclosure?area={area}&" if area else "/disclosure?"
    return HTMLResponse(views.index_page(
        fund_list, depot_list, more_f and f"{base}funds={more_f}",
        more_d and f"{base}depots={more_d}"))  # fmt: skip


@pages.get("/disclosure/funds/{fund_id}", response_class=HTMLResponse)
async def fund_page(fund_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    data = await svc.fund_disclosure(session=session, fund_id=fund_id)
    return HTMLResponse(views.fund_page(data))


@pages.get("/disclosure/depots/{depot_id}", response_class=HTMLResponse)
async def depot_page(depot_id: uuid.UUID, session: SessionDep) -> HTMLResponse:
    data = await svc.depot_disclosure(session=session, depot_id=depot_id)
    return HTMLResponse(views.depot_page(data))
