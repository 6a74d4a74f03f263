"""Community fund services on both engines: the 2024 naming rule, host, area, scope."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events.models import OutboxEvent
from core.ids import uuid7
from core.registry.areas.models import Area, AreaLevel
from core.registry.orgs import funds, service
from core.registry.orgs.models import CommunityFund, Organization
from core.registry.orgs.schemas import FundCreate, FundUpdate, OrgCreate
from tests.factories import TwoCounties, make_area, two_counties


def principal(role: Role, scope: Area | None = None) -> Principal:
    path = scope.area_path if scope is not None else None
    return Principal(user_id=uuid7(), token_id=uuid7(), role=role, scope_path=path)


ADMIN = principal(Role.admin)


class World:
    def __init__(self, tc: TwoCounties, community: Area, orgs: dict[str, Organization]):
        self.tc, self.community, self.orgs = tc, community, orgs


@pytest.fixture
async def w(session: AsyncSession) -> World:
    tc = await two_counties(session)
    community = await make_area(
        session,
        code="532922100001",
        name="城中社区",
        level=AreaLevel.community,
        parent=tc.township_a,
    )
    rows = [
        OrgCreate(name="云南省慈善总会", kind="charity_organization", area_code=tc.province.code),
        OrgCreate(name="漾濞县慈善会", kind="charity_organization", area_code=tc.county_a.code),
        OrgCreate(name="祥云县慈善会", kind="charity_organization", area_code=tc.county_b.code),
        OrgCreate(name="漾濞蓝天救援队", kind="volunteer_team", area_code=tc.county_a.code),
    ]
    await service.create_organizations(session=session, principal=None, rows=rows)
    orgs = {o.name: o for o in (await session.scalars(select(Organization))).all()}
    return World(tc, community, orgs)


def fund(w: World, host: str, area: Area, zihao: str = "连心", **kw: Any) -> FundCreate:
    return FundCreate(host_org_id=w.orgs[host].id, area_code=area.code, zihao=zihao, **kw)


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(CommunityFund)) or 0)


async def test_names_follow_the_2024_rule(session: AsyncSession, w: World) -> None:
    ids = await funds.create_funds(
        session=session,
        principal=None,
        rows=[
            fund(w, "漾濞县慈善会", w.tc.township_a),
            fund(w, "漾濞县慈善会", w.community, "暖心"),
            fund(w, "云南省慈善总会", w.community, "彩云"),  # a provincial host, a village fund
        ],
    )
    names = [(await session.get(CommunityFund, i)).name for i in ids]  # type: ignore[union-attr]
    assert names == [
        "漾濞县慈善会苍山西镇连心社区基金",
        "漾濞县慈善会城中社区暖心基金",
        "云南省慈善总会城中社区彩云基金",
    ]
    created = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.type == "community_fund.created")
    )
    assert len(created.all()) == 3


async def test_a_given_name_must_match(session: AsyncSession, w: World) -> None:
    good = fund(w, "漾濞县慈善会", w.tc.township_a, name="漾濞县慈善会苍山西镇连心社区基金")
    await funds.create_fund(session=session, principal=ADMIN, data=good)
    bad = fund(w, "漾濞县慈善会", w.community, name="漾濞县慈善会城中社区连心社区基金")
    with pytest.raises(Invalid) as info:
        await funds.create_fund(session=session, principal=ADMIN, data=bad)
    (error,) = info.value.errors
    assert error.loc == ("body", "name")
    assert "“漾濞县慈善会城中社区连心基金”" in error.msg and "community/village" in error.msg


@pytest.mark.parametrize(
    ("host", "where", "field", "words"),
    [
        ("漾濞蓝天救援队", "township_a", "host_org_id", "charity organization"),
        ("祥云县慈善会", "township_a", "area_code", "outside the home area"),
        ("漾濞县慈善会", "county_a", "area_code", "township (4) or a community (5)"),
    ],
)
async def test_host_and_area_rules(
    session: AsyncSession, w: World, host: str, where: str, field: str, words: str
) -> None:
    with pytest.raises(Invalid) as info:
        await funds.create_fund(
            session=session, principal=ADMIN, data=fund(w, host, getattr(w.tc, where))
        )
    (error,) = info.value.errors
    assert error.loc == ("body", field) and words in error.msg
    assert await count(session) == 0


def test_zihao_is_required_and_bare() -> None:
    for zihao, words in [("  ", "at least 1"), ("爱心基金", "字号 only"), ("爱 心", "spaces")]:
        with pytest.raises(ValidationError) as info:
            FundCreate(host_org_id=uuid7(), area_code="532922100000", zihao=zihao)
        assert info.value.errors()[0]["loc"] == ("zihao",)
        assert words in str(info.value)


async def test_batch_is_all_or_nothing_and_names_unique(session: AsyncSession, w: World) -> None:
    rows = [
        fund(w, "漾濞县慈善会", w.tc.township_a),
        fund(w, "漾濞县慈善会", w.tc.township_a),
        FundCreate(host_org_id=uuid7(), area_code=w.tc.township_a.code, zihao="无主"),
    ]
    with pytest.raises(Invalid) as info:
        await funds.create_funds(session=session, principal=None, rows=rows)
    assert {e.loc for e in info.value.errors} == {("rows", 1, "zihao"), ("rows", 2, "host_org_id")}
    assert await count(session) == 0
    await funds.create_funds(session=session, principal=None, rows=rows[:1])
    with pytest.raises(Conflict) as conflict:
        await funds.create_funds(session=session, principal=None, rows=rows[:1])
    assert conflict.value.errors[0].loc == ("rows", 0, "zihao")


async def test_coordinator_scope(session: AsyncSession, w: World) -> None:
    coord_a = principal(Role.coordinator, w.tc.county_a)
    # the provincial federation is outside their scope, yet may host a fund in it
    mine = await funds.create_fund(
        session=session, principal=coord_a, data=fund(w, "云南省慈善总会", w.community)
    )
    with pytest.raises(Invalid) as info:
        await funds.create_fund(
            session=session, principal=coord_a, data=fund(w, "祥云县慈善会", w.tc.township_b)
        )
    assert {e.loc for e in info.value.errors} == {("body", "area_code"), ("body", "host_org_id")}
    theirs = await funds.create_fund(
        session=session, principal=ADMIN, data=fund(w, "祥云县慈善会", w.tc.township_b)
    )
    with pytest.raises(NotFound):
        await funds.get_fund(session=session, principal=coord_a, fund_id=theirs.id)
    with pytest.raises(NotFound):
        await funds.update_fund(
            session=session, principal=coord_a, fund_id=theirs.id, data=FundUpdate(zihao="改")
        )
    with pytest.raises(Forbidden):
        await funds.delete_fund(
            session=session, principal=principal(Role.auditor, w.tc.county_a), fund_id=mine.id
        )
    listed = await funds.list_funds(session=session, principal=coord_a, limit=50)
    assert [f.id for f in listed] == [mine.id]


async def test_list_update_delete(session: AsyncSession, w: World) -> None:
    a, b = await funds.create_funds(
        session=session,
        principal=None,
        rows=[
            fund(w, "漾濞县慈善会", w.tc.township_a),
            fund(w, "祥云县慈善会", w.tc.township_b),
        ],
    )

    async def ids(**kw: Any) -> list[Any]:
        return [
            f.id for f in await funds.list_funds(session=session, principal=ADMIN, limit=9, **kw)
        ]

    assert set(await ids()) == {a, b}
    assert await ids(area=w.tc.county_b) == [b]
    assert await ids(host_org_id=w.orgs["漾濞县慈善会"].id) == [a]
    moved = await funds.update_fund(
        session=session,
        principal=ADMIN,
        fund_id=a,
        data=FundUpdate(area_code=w.community.code, zihao="同心"),
    )
    assert moved.name == "漾濞县慈善会城中社区同心基金"
    assert moved.area_path == w.community.area_path
    with pytest.raises(Invalid) as info:
        await funds.update_fund(
            session=session,
            principal=ADMIN,
            fund_id=a,
            data=FundUpdate(host_org_id=w.orgs["祥云县慈善会"].id),
        )
    assert info.value.errors[0].loc == ("body", "area_code")
    await funds.delete_fund(session=session, principal=ADMIN, fund_id=a)
    assert await ids() == [b]
    with pytest.raises(Conflict) as blocked:
        await service.delete_organization(
            session=session, principal=ADMIN, org_id=w.orgs["祥云县慈善会"].id
        )
    assert blocked.value.extra == {"community_funds": 1}
