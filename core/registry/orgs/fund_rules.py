"""Community fund rules: host, area and the 2024 naming rule; what a host change does.

The 2024 text (二(四)一): 社区基金应名称统一为"XX组织+XX乡镇(街道)+XX(字号)社区基金"或
"XX组织+XX社区+XX(字号)基金"，依托慈善组织设立. So a fund is hosted by a charity
organization, belongs to a township (level 4: "…社区基金") or a community (level 5:
"…基金"), and its name is derived, never free text. "The host and area matching the
fund's": the fund's area must lie in the host's home-area subtree (a provincial charity
federation may host funds anywhere in the province; a county 慈善会 only in its county).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.auth.scope import in_scope
from core.errors import Conflict, ErrorList, FieldError
from core.events.outbox import emit_many
from core.ids import uuid7
from core.registry.areas.models import Area, AreaLevel
from core.registry.orgs.models import CommunityFund, Organization, OrgKind
from core.registry.orgs.rules import Loc, fund_name, org_event
from core.registry.orgs.schemas import FundCreate

FUND_LEVELS = (AreaLevel.township, AreaLevel.community)
MAX_NAME = 300


def _code(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def check_fund(
    *,
    principal: Principal,
    area_code: str,
    area: Area | None,
    host_id: uuid.UUID,
    host: Organization | None,
    zihao: str,
    name: str | None,
    loc: Loc,
    errors: ErrorList,
) -> str | None:
    """The fund's required name, or None with the reasons added to ``errors``.

    A host outside the principal's scope is visible here only when its home area
    contains the fund's area (the 慈善会 above a coordinator's county may host funds in it).
    """
    if area is None or not in_scope(principal, area.area_path):
        errors.add(loc("area_code"), f"no area with code {area_code}")
        area = None
    elif area.level not in FUND_LEVELS:
        level = AreaLevel(area.level).name
        msg = f"a fund belongs to a township (4) or a community (5); {area_code} is a {level}"
        errors.add(loc("area_code"), msg)
        area = None
    contains = area is not None and host is not None and area.area_path.startswith(host.area_path)
    if host is None or not (in_scope(principal, host.area_path) or contains):
        errors.add(loc("host_org_id"), f"no organization with id {host_id}")
        host = None
    elif host.kind != OrgKind.charity_organization:
        msg = f"{host.name} is a {host.kind}; a fund's host is a charity organization (慈善组织)"
        errors.add(loc("host_org_id"), msg)
        host = None
    if host is None or area is None:
        return None
    if not contains:
        msg = (
            f"{area.name} ({area.code}) is outside the home area of {host.name} "
            f"({_code(host.area_path)}); a fund's area must lie within its host's area"
        )
        errors.add(loc("area_code"), msg)
        return None
    expected = fund_name(host.name, area.name, area.level, zihao)
    if len(expected) > MAX_NAME:
        errors.add(loc("zihao"), f"the fund name would be longer than {MAX_NAME} characters")
    if name is not None and name != expected:
        if area.level == AreaLevel.township:
            rule = "host full name + township/street name + 字号 + 社区基金"
        else:
            rule = "host full name + community/village name + 字号 + 基金"
        errors.add(loc("name"), f"must be “{expected}” ({rule}), not “{name}”")
    return expected


async def names_taken(
    session: AsyncSession, names: list[str], *, exclude: uuid.UUID | None = None
) -> set[str]:
    """Which of ``names`` other funds already hold."""
    if not names:
        return set()
    stmt = select(CommunityFund.name).where(CommunityFund.name.in_(sorted(set(names))))
    if exclude is not None:
        stmt = stmt.where(CommunityFund.id != exclude)
    return set((await session.scalars(stmt)).all())


def taken_error(name: str, loc: tuple[str | int, ...]) -> FieldError:
    return FieldError(loc, f"a community fund named {name} already exists; choose another 字号")


async def check_host_change(
    session: AsyncSession, org: Organization, *, kind: str, area: Area
) -> None:
    """409 if the host of funds would stop being a charity or no longer contain them."""
    funds = (
        await session.scalars(select(CommunityFund).where(CommunityFund.host_org_id == org.id))
    ).all()
    if not funds:
        return
    if kind != OrgKind.charity_organization:
        msg = (
            f"{org.name} hosts {len(funds)} community fund(s) and must stay a charity organization"
        )
        raise Conflict(msg, errors=[FieldError(("body", "kind"), msg)], community_funds=len(funds))
    outside = [f.name for f in funds if not f.area_path.startswith(area.area_path)]
    if outside:
        msg = f"{len(outside)} hosted fund(s) would lie outside area {area.code}: {outside[0]} …"
        raise Conflict(msg, errors=[FieldError(("body", "area_code"), msg)])


async def rename_hosted(session: AsyncSession, host: Organization) -> None:
    """Give the host's funds the names the rule now requires; ``community_fund.updated``."""
    rows = (
        await session.execute(
            select(CommunityFund, Area)
            .join(Area, Area.id == CommunityFund.area_id)
            .where(CommunityFund.host_org_id == host.id)
        )
    ).all()
    events = []
    for fund, area in rows:
        name = fund_name(host.name, area.name, area.level, fund.zihao)
        if name == fund.name:
            continue
        fund.name, fund.updated_at = name, host.updated_at
        events.append(
            org_event(
                "community_fund.updated",
                id=fund.id,
                name=name,
                area_path=fund.area_path,
                fields=["name"],
                cause="host renamed",
            )
        )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        msg = "a hosted fund's new name is already taken by another fund"
        raise Conflict(msg, errors=[FieldError(("body", "name"), msg)]) from exc
    await emit_many(session, events)


async def hosts_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Organization]:
    """Organizations by id (the hosts a batch names)."""
    stmt = select(Organization).where(Organization.id.in_(sorted(ids)))
    return {org.id: org for org in (await session.scalars(stmt)).all()}


def fund_values(row: FundCreate, area: Area, name: str, now: Any) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "name": name,
        "zihao": row.zihao,
        "host_org_id": row.host_org_id,
        "area_id": area.id,
        "area_path": area.area_path,
        "created_at": now,
        "updated_at": now,
    }


def fund_event(type_: str, v: dict[str, Any], **extra: Any) -> Any:
    return org_event(
        type_,
        id=v["id"],
        name=v["name"],
        area_path=v["area_path"],
        host_org_id=v["host_org_id"],
        **extra,
    )
