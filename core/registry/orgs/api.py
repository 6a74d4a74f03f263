"""Organization and community-fund routes: thin (parse, call the service, return a schema).

Neither is located (no point of its own), so lists answer JSON only; ``area=<code>``
filters by home area (that area and below).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.http.deps import CurrentUser, SessionDep
from core.http.listing import Cursor, Limit, Page, after_text, page_of
from core.registry.areas.models import Area
from core.registry.areas.rules import area_in_scope_or_invalid
from core.registry.orgs import funds, service
from core.registry.orgs.models import OrgCategory, OrgKind, OrgRegistration
from core.registry.orgs.schemas import (
    FundCreate,
    FundRead,
    FundUpdate,
    OrgCreate,
    OrgRead,
    OrgUpdate,
)

router = APIRouter(tags=["orgs"])

CodeQuery = Annotated[str | None, Query(pattern=r"^\d{12}$", description="That area and below.")]
TextQuery = Annotated[str | None, Query(min_length=1, max_length=100)]


async def _area(session: AsyncSession, principal: Principal, code: str | None) -> Area | None:
    if code is None:
        return None
    return await area_in_scope_or_invalid(
        session=session, principal=principal, code=code, loc=("query", "area")
    )


# -- organizations ---------------------------------------------------------------------


@router.post("/organizations", status_code=201, response_model=OrgRead)
async def create_organization(
    body: OrgCreate, principal: CurrentUser, session: SessionDep
) -> OrgRead:
    org = await service.create_organization(session=session, principal=principal, data=body)
    return OrgRead.of(org)


@router.get("/organizations", response_model=Page[OrgRead])
async def list_organizations(
    principal: CurrentUser,
    session: SessionDep,
    area: CodeQuery = None,
    kind: Annotated[OrgKind | None, Query()] = None,
    category: Annotated[OrgCategory | None, Query()] = None,
    registration: Annotated[OrgRegistration | None, Query()] = None,
    public_fundraising: Annotated[bool | None, Query()] = None,
    q: TextQuery = None,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[OrgRead]:
    """Organizations in your scope by name; filters combine (AND)."""
    rows = await service.list_organizations(
        session=session,
        principal=principal,
        area=await _area(session, principal, area),
        kind=kind,
        category=category,
        registration=registration,
        public_fundraising=public_fundraising,
        q=q,
        after=after_text(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda o: [o.name])
    return Page[OrgRead](items=[OrgRead.of(o) for o in rows], next=cursor)


@router.get("/organizations/{org_id}", response_model=OrgRead)
async def get_organization(
    org_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> OrgRead:
    org = await service.get_organization(session=session, principal=principal, org_id=org_id)
    return OrgRead.of(org)


@router.patch("/organizations/{org_id}", response_model=OrgRead)
async def update_organization(
    org_id: uuid.UUID, body: OrgUpdate, principal: CurrentUser, session: SessionDep
) -> OrgRead:
    org = await service.update_organization(
        session=session, principal=principal, org_id=org_id, data=body
    )
    return OrgRead.of(org)


@router.delete("/organizations/{org_id}", status_code=204)
async def delete_organization(
    org_id: uuid.UUID, principal: CurrentUser, session: SessionDep
) -> Response:
    await service.delete_organization(session=session, principal=principal, org_id=org_id)
    return Response(status_code=204)


# -- community funds -------------------------------------------------------------------


@router.post("/community-funds", status_code=201, response_model=FundRead)
async def create_fund(body: FundCreate, principal: CurrentUser, session: SessionDep) -> FundRead:
    """The name is derived from host, area and 字号; a ``name`` sent must equal it."""
    fund = await funds.create_fund(session=session, principal=principal, data=body)
    return FundRead.of(fund)


@router.get("/community-funds", response_model=Page[FundRead])
async def list_funds(
    principal: CurrentUser,
    session: SessionDep,
    area: CodeQuery = None,
    host: Annotated[uuid.UUID | None, Query(description="The host organization's id.")] = None,
    q: TextQuery = None,
    limit: Limit = 50,
    next: Cursor = None,
) -> Page[FundRead]:
    """Community funds in your scope by name."""
    rows = await funds.list_funds(
        session=session,
        principal=principal,
        area=await _area(session, principal, area),
        host_org_id=host,
        q=q,
        after=after_text(next),
        limit=limit + 1,
    )
    rows, cursor = page_of(rows, limit, lambda f: [f.name])
    return Page[FundRead](items=[FundRead.of(f) for f in rows], next=cursor)


@router.get("/community-funds/{fund_id}", response_model=FundRead)
async def get_fund(fund_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> FundRead:
    fund = await funds.get_fund(session=session, principal=principal, fund_id=fund_id)
    return FundRead.of(fund)


@router.patch("/community-funds/{fund_id}", response_model=FundRead)
async def update_fund(
    fund_id: uuid.UUID, body: FundUpdate, principal: CurrentUser, session: SessionDep
) -> FundRead:
    fund = await funds.update_fund(session=session, principal=principal, fund_id=fund_id, data=body)
    return FundRead.of(fund)


@router.delete("/community-funds/{fund_id}", status_code=204)
async def delete_fund(fund_id: uuid.UUID, principal: CurrentUser, session: SessionDep) -> Response:
    await funds.delete_fund(session=session, principal=principal, fund_id=fund_id)
    return Response(status_code=204)
