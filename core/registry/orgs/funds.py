"""Community funds (社区基金): the service. No FastAPI here; flush, never commit.

Scope is the fund's area: an admin writes anywhere, a coordinator inside their subtree;
other roles read funds in their scope (funds are not personal data); others are 404.
The name is derived by :func:`~core.registry.orgs.fund_rules.check_fund`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal
from core.auth.scope import ensure_in_scope, scope_clause
from core.errors import Conflict, ErrorList, NotFound
from core.events.outbox import emit_many
from core.registry.areas.models import Area
from core.registry.orgs.fund_rules import (
    check_fund,
    fund_event,
    fund_values,
    hosts_by_id,
    names_taken,
    taken_error,
)
from core.registry.orgs.models import CommunityFund, Organization
from core.registry.orgs.rules import (
    Loc,
    areas_by_code,
    body_loc,
    detail,
    duplicates,
    ensure_writer,
    row_loc,
)
from core.registry.orgs.schemas import FundCreate, FundUpdate

WHAT = "community funds"


async def create_funds(
    *, session: AsyncSession, principal: Principal | None, rows: Sequence[FundCreate]
) -> list[uuid.UUID]:
    """Insert many funds in one statement; ``community_fund.created`` for each.

    ``principal=None`` is the system. All or nothing: 422 naming ``("rows", i, field)``,
    409 for names already taken.
    """
    return await _create(session, principal or SYSTEM, rows, row_loc)


async def create_fund(
    *, session: AsyncSession, principal: Principal, data: FundCreate
) -> CommunityFund:
    """One fund (errors name ``("body", field)``); the batch code with one row."""
    (fund_id,) = await _create(session, principal, [data], lambda _: body_loc)
    fund = await session.get(CommunityFund, fund_id)
    assert fund is not None
    return fund


async def _create(
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[FundCreate],
    locs: Callable[[int], Loc],
) -> list[uuid.UUID]:
    ensure_writer(principal, WHAT)
    errors = ErrorList()
    if not rows:
        errors.add(("rows",), "no rows to create")
    areas = await areas_by_code(session, {r.area_code for r in rows})
    hosts = await hosts_by_id(session, {r.host_org_id for r in rows})
    names = [
        check_fund(
            principal=principal,
            area_code=r.area_code,
            area=areas.get(r.area_code),
            host_id=r.host_org_id,
            host=hosts.get(r.host_org_id),
            zihao=r.zihao,
            name=r.name,
            loc=locs(i),
            errors=errors,
        )
        for i, r in enumerate(rows)
    ]
    for i, j in duplicates(names).items():
        errors.add(locs(i)("zihao"), f"gives the same fund name as row {j}")
    errors.raise_if_any(detail(errors))
    taken = await names_taken(session, [n for n in names if n])
    conflicts = [taken_error(n, locs(i)("zihao")) for i, n in enumerate(names) if n in taken]
    if conflicts:
        raise Conflict(conflicts[0].msg, errors=conflicts)
    now = clock.now()
    values = [
        fund_values(r, areas[r.area_code], str(n), now) for r, n in zip(rows, names, strict=True)
    ]
    try:
        async with session.begin_nested():
            await session.execute(insert(CommunityFund), values)
    except IntegrityError as exc:
        raise Conflict("a community fund name was taken concurrently; retry") from exc
    await emit_many(session, [fund_event("community_fund.created", v) for v in values])
    return [v["id"] for v in values]


async def get_fund(
    *, session: AsyncSession, principal: Principal, fund_id: uuid.UUID
) -> CommunityFund:
    """A fund in the principal's scope; 404 otherwise."""
    fund = await session.get(CommunityFund, fund_id)
    if fund is None:
        raise NotFound("community fund not found")
    ensure_in_scope(principal, fund.area_path, what="community fund")
    return fund


async def list_funds(
    *,
    session: AsyncSession,
    principal: Principal,
    area: Area | None = None,
    host_org_id: uuid.UUID | None = None,
    q: str | None = None,
    after: str | None = None,
    limit: int,
) -> list[CommunityFund]:
    """Funds in scope ordered by name (``after``: the last name seen); ``area`` and below."""
    stmt = select(CommunityFund).where(scope_clause(principal, CommunityFund.area_path))
    if area is not None:
        stmt = stmt.where(CommunityFund.area_path.startswith(area.area_path, autoescape=True))
    if host_org_id is not None:
        stmt = stmt.where(CommunityFund.host_org_id == host_org_id)
    if q:
        stmt = stmt.where(CommunityFund.name.contains(q, autoescape=True))
    if after is not None:
        stmt = stmt.where(CommunityFund.name > after)
    return list((await session.scalars(stmt.order_by(CommunityFund.name).limit(limit))).all())


async def update_fund(
    *, session: AsyncSession, principal: Principal, fund_id: uuid.UUID, data: FundUpdate
) -> CommunityFund:
    """Change host, area or 字号; the name is derived again. ``community_fund.updated``."""
    ensure_writer(principal, WHAT)
    fund = await get_fund(session=session, principal=principal, fund_id=fund_id)
    fields = data.model_fields_set
    if not fields:
        return fund
    area = await session.get(Area, fund.area_id)
    assert area is not None
    area_code = data.area_code if data.area_code is not None else area.code
    if area_code != area.code:
        area = (await areas_by_code(session, {area_code})).get(area_code)
    host_id = data.host_org_id or fund.host_org_id
    host = await session.get(Organization, host_id)
    zihao = data.zihao or fund.zihao
    errors = ErrorList()
    name = check_fund(
        principal=principal,
        area_code=area_code,
        area=area,
        host_id=host_id,
        host=host,
        zihao=zihao,
        name=data.name,
        loc=body_loc,
        errors=errors,
    )
    errors.raise_if_any(detail(errors))
    assert name is not None and area is not None
    if await names_taken(session, [name], exclude=fund.id):
        error = taken_error(name, ("body", "zihao"))
        raise Conflict(error.msg, errors=[error])
    fund.name, fund.zihao, fund.host_org_id = name, zihao, host_id
    fund.area_id, fund.area_path, fund.updated_at = area.id, area.area_path, clock.now()
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("a community fund name was taken concurrently; retry") from exc
    values = {"id": fund.id, "name": name, "area_path": fund.area_path, "host_org_id": host_id}
    await emit_many(session, [fund_event("community_fund.updated", values, fields=sorted(fields))])
    return fund


async def delete_fund(*, session: AsyncSession, principal: Principal, fund_id: uuid.UUID) -> None:
    """Delete a fund; 409 if other records (e.g. its ledger) still refer to it."""
    ensure_writer(principal, WHAT)
    fund = await get_fund(session=session, principal=principal, fund_id=fund_id)
    values = {
        "id": fund.id,
        "name": fund.name,
        "area_path": fund.area_path,
        "host_org_id": fund.host_org_id,
    }
    await emit_many(session, [fund_event("community_fund.deleted", values)])
    try:
        async with session.begin_nested():
            await session.delete(fund)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"community fund {fund.name} is still referred to by other records") from exc
