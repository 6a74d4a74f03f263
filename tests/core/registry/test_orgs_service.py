"""Organization services on both engines: kind rules, credit codes, names, scope, batch."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal, Role
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events.models import OutboxEvent, OutboxStream
from core.ids import uuid7
from core.registry.areas.models import Area, AreaLevel
from core.registry.depots.models import Depot
from core.registry.orgs import funds, service
from core.registry.orgs.credit_code import check_char, credit_code_error
from core.registry.orgs.models import Organization
from core.registry.orgs.schemas import FundCreate, OrgCreate, OrgUpdate
from core.registry.volunteers.models import Volunteer
from tests.factories import TwoCounties, make_area, two_counties

CODE_OK = "91350100M000100Y43"  # a published example; its check character is valid


def principal(role: Role, scope: Area | None = None) -> Principal:
    path = scope.area_path if scope is not None else None
    return Principal(user_id=uuid7(), token_id=uuid7(), role=role, scope_path=path)


ADMIN = principal(Role.admin)


def org(name: str, area: Area, kind: str = "charity_organization", **kw: Any) -> OrgCreate:
    return OrgCreate(name=name, kind=kind, area_code=area.code, **kw)


async def count(session: AsyncSession, model: Any = Organization) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def tc(session: AsyncSession) -> TwoCounties:
    return await two_counties(session)


def test_credit_code_check_character() -> None:
    assert credit_code_error(CODE_OK) is None
    assert check_char(CODE_OK[:17]) == CODE_OK[17]
    assert "check character" in str(credit_code_error(CODE_OK[:17] + "0"))
    assert "not allowed" in str(credit_code_error("91350100M000100I43"))
    assert "18 characters" in str(credit_code_error("9135"))
    assert (
        OrgCreate(
            name="x", kind="enterprise", area_code="530000000000", credit_code=CODE_OK.lower()
        ).credit_code
        == CODE_OK
    )
    with pytest.raises(ValidationError) as info:
        OrgCreate(name="x", kind="enterprise", area_code="530000000000", credit_code="1" * 18)
    assert info.value.errors()[0]["loc"] == ("credit_code",)


async def test_create_each_kind_with_event(session: AsyncSession, tc: TwoCounties) -> None:
    rows = [
        org("漾濞县慈善会", tc.county_a, public_fundraising=True, credit_code=CODE_OK),
        org(
            "苍山西镇邻里互助会",
            tc.township_a,
            "community_social_organization",
            category="mutual_aid",
            registration="township_managed",
        ),
        org("漾濞县社工站", tc.county_a, "social_work_agency"),
        org("漾濞蓝天救援队", tc.county_a, "volunteer_team"),
        org("漾濞核桃公司", tc.county_a, "enterprise"),
    ]
    ids = await service.create_organizations(session=session, principal=None, rows=rows)
    assert len(ids) == 5 and await count(session) == 5
    charity = await service.get_organization(session=session, principal=ADMIN, org_id=ids[0])
    assert charity.public_fundraising and charity.credit_code == CODE_OK
    assert charity.area_path == tc.county_a.area_path
    events = (
        await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "organization.created"))
    ).all()
    assert len(events) == 5
    streams = set((await session.scalars(select(OutboxStream.stream))).all())
    assert f"area:{tc.township_a.area_path}" in streams


@pytest.mark.parametrize(
    ("kind", "extra", "field"),
    [
        ("community_social_organization", {}, "category"),
        ("enterprise", {"category": "life_services"}, "category"),
        ("volunteer_team", {"registration": "township_managed"}, "registration"),
        ("social_work_agency", {"public_fundraising": True}, "public_fundraising"),
        ("residents_committee", {}, "area_code"),  # the county is not a community
    ],
)
async def test_kind_rules_name_the_field(
    session: AsyncSession, tc: TwoCounties, kind: str, extra: dict, field: str
) -> None:
    with pytest.raises(Invalid) as info:
        await service.create_organization(
            session=session, principal=ADMIN, data=org("某组织", tc.county_a, kind, **extra)
        )
    assert [e.loc for e in info.value.errors] == [("body", field)]
    assert await count(session) == 0


async def test_township_managed_needs_township_or_below(
    session: AsyncSession, tc: TwoCounties
) -> None:
    data = org(
        "县级备案组织",
        tc.county_a,
        "community_social_organization",
        category="culture_sports",
        registration="township_managed",
    )
    with pytest.raises(Invalid) as info:
        await service.create_organization(session=session, principal=ADMIN, data=data)
    assert info.value.errors[0].loc == ("body", "area_code")


async def test_batch_reports_every_row_and_writes_nothing(
    session: AsyncSession, tc: TwoCounties
) -> None:
    rows = [
        org("好组织", tc.county_a),
        org("坏组织", tc.county_a, "enterprise", public_fundraising=True),
        org("好组织", tc.county_b),
        OrgCreate(name="无处", kind="enterprise", area_code="539999000000"),
    ]
    with pytest.raises(Invalid) as info:
        await service.create_organizations(session=session, principal=None, rows=rows)
    locs = {e.loc for e in info.value.errors}
    assert locs == {
        ("rows", 1, "public_fundraising"),
        ("rows", 2, "name"),
        ("rows", 3, "area_code"),
    }
    assert await count(session) == 0 and await count(session, OutboxEvent) == 0


async def test_names_and_credit_codes_are_unique(session: AsyncSession, tc: TwoCounties) -> None:
    await service.create_organization(
        session=session,
        principal=ADMIN,
        data=org("大理州慈善总会", tc.prefecture, credit_code=CODE_OK),
    )
    with pytest.raises(Conflict) as info:
        await service.create_organization(
            session=session, principal=ADMIN, data=org("大理州慈善总会", tc.county_a)
        )
    assert info.value.errors[0].loc == ("body", "name")
    with pytest.raises(Conflict) as info:
        await service.create_organizations(
            session=session, principal=None, rows=[org("新名字", tc.county_a, credit_code=CODE_OK)]
        )
    assert info.value.errors[0].loc == ("rows", 0, "credit_code")
    assert await count(session) == 1


async def test_scope_of_writers(session: AsyncSession, tc: TwoCounties) -> None:
    coord_a = principal(Role.coordinator, tc.county_a)
    own = await service.create_organization(
        session=session, principal=coord_a, data=org("漾濞县慈善会", tc.county_a)
    )
    assert own.area_id == tc.county_a.id  # their own root area is allowed
    with pytest.raises(Invalid) as info:
        await service.create_organization(
            session=session, principal=coord_a, data=org("祥云县慈善会", tc.county_b)
        )
    assert info.value.errors[0].msg == f"no area with code {tc.county_b.code}"
    with pytest.raises(Forbidden):
        await service.create_organization(
            session=session,
            principal=principal(Role.volunteer, tc.county_a),
            data=org("志愿者建的", tc.county_a),
        )
    theirs = await service.create_organization(
        session=session, principal=ADMIN, data=org("祥云县慈善会", tc.county_b)
    )
    for call in (service.get_organization, service.delete_organization):
        with pytest.raises(NotFound):
            await call(session=session, principal=coord_a, org_id=theirs.id)
    grid_worker = principal(Role.grid_worker, tc.county_a)
    listed = await service.list_organizations(session=session, principal=grid_worker, limit=50)
    assert [o.id for o in listed] == [own.id]


async def test_list_filters(session: AsyncSession, tc: TwoCounties) -> None:
    await service.create_organizations(
        session=session,
        principal=None,
        rows=[
            org("乙慈善会", tc.county_a),
            org(
                "甲文体队",
                tc.township_a,
                "community_social_organization",
                category="culture_sports",
            ),
            org("丙互助会", tc.township_a, "community_social_organization", category="mutual_aid"),
            org("丁公司", tc.county_b, "enterprise"),
        ],
    )

    async def names(**kw: Any) -> list[str]:
        kw.setdefault("limit", 50)
        rows = await service.list_organizations(session=session, principal=ADMIN, **kw)
        return [o.name for o in rows]

    assert len(await names()) == 4
    assert set(await names(area=tc.township_a)) == {"甲文体队", "丙互助会"}
    assert await names(kind="enterprise") == ["丁公司"]
    assert await names(category="mutual_aid") == ["丙互助会"]
    assert await names(q="慈善") == ["乙慈善会"]
    first = await names(limit=2)
    rest = await names(after=first[-1])
    assert first + rest == await names() and len(rest) == 2


async def test_update_checks_the_merged_rules(session: AsyncSession, tc: TwoCounties) -> None:
    cso = await service.create_organization(
        session=session,
        principal=ADMIN,
        data=org(
            "村文艺队", tc.township_a, "community_social_organization", category="culture_sports"
        ),
    )
    with pytest.raises(Invalid) as info:
        await service.update_organization(
            session=session, principal=ADMIN, org_id=cso.id, data=OrgUpdate(kind="enterprise")
        )
    assert info.value.errors[0].loc == ("body", "category")
    changed = await service.update_organization(
        session=session,
        principal=ADMIN,
        org_id=cso.id,
        data=OrgUpdate(kind="enterprise", category=None, phone="0872-7512345"),
    )
    assert changed.kind == "enterprise" and changed.category is None
    with pytest.raises(ValidationError):
        OrgUpdate(name=None)


async def test_renaming_a_host_renames_its_funds(session: AsyncSession, tc: TwoCounties) -> None:
    host = await service.create_organization(
        session=session, principal=ADMIN, data=org("漾濞县慈善会", tc.county_a)
    )
    fund = await funds.create_fund(
        session=session,
        principal=ADMIN,
        data=FundCreate(host_org_id=host.id, area_code=tc.township_a.code, zihao="连心"),
    )
    await service.update_organization(
        session=session,
        principal=ADMIN,
        org_id=host.id,
        data=OrgUpdate(name="漾濞彝族自治县慈善总会"),
    )
    await session.refresh(fund)
    assert fund.name == "漾濞彝族自治县慈善总会苍山西镇连心社区基金"
    with pytest.raises(Conflict) as info:
        await service.update_organization(
            session=session, principal=ADMIN, org_id=host.id, data=OrgUpdate(kind="enterprise")
        )
    assert info.value.errors[0].loc == ("body", "kind")
    with pytest.raises(Conflict):
        await service.update_organization(
            session=session,
            principal=ADMIN,
            org_id=host.id,
            data=OrgUpdate(area_code=tc.county_b.code),
        )


async def test_delete_refuses_while_referenced(session: AsyncSession, tc: TwoCounties) -> None:
    host = await service.create_organization(
        session=session, principal=ADMIN, data=org("漾濞县慈善会", tc.county_a)
    )
    community = await make_area(
        session,
        code="532922100001",
        name="城中社区",
        level=AreaLevel.community,
        parent=tc.township_a,
    )
    now = clock.now()
    depot = Depot(
        name="仓库",
        kind="warehouse",
        owner_org_id=host.id,
        area_id=community.id,
        area_path=community.area_path,
        opening_hours={},
        lon=99.95,
        lat=25.67,
        created_at=now,
        updated_at=now,
    )
    volunteer = Volunteer(
        name="李",
        org_id=host.id,
        area_id=community.id,
        area_path=community.area_path,
        availability={},
        max_travel_km=5,
        lon=99.95,
        lat=25.67,
        created_at=now,
        updated_at=now,
    )
    session.add_all([depot, volunteer])
    await session.flush()
    with pytest.raises(Conflict) as info:
        await service.delete_organization(session=session, principal=ADMIN, org_id=host.id)
    assert info.value.extra == {"depots": 1, "volunteers": 1}
    await session.delete(depot)
    await session.delete(volunteer)
    await session.flush()
    await service.delete_organization(session=session, principal=ADMIN, org_id=host.id)
    assert await count(session) == 0
