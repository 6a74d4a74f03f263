"""Load the whole demo dataset into an empty database, in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Role
from core.db import Database
from core.demo import places, roster
from core.demo.accounts import DemoAccount, DemoLogin, ensure_user, fresh_logins
from core.demo.fund_ledger import load_demo_fund_ledger
from core.demo.population import UNBOUNDED_GRIDS, generate_households
from core.demo.stock import load_demo_stock
from core.demo.world import county_sites
from core.registry.areas.demo import SEAT_COMMUNITY, load_demo_areas
from core.registry.areas.models import Area
from core.registry.areas.schemas import GridCreate
from core.registry.areas.service import create_grid
from core.registry.depots.service import create_depots
from core.registry.households.create import create_households
from core.registry.households.schemas import HouseholdCreate, PersonCreate
from core.registry.items.catalogue import sync_catalogue
from core.registry.orgs.batch import create_organizations
from core.registry.orgs.funds import create_funds
from core.registry.orgs.models import Organization
from core.registry.orgs.schemas import FundCreate
from core.registry.volunteers.batch import create_volunteers

ACCOUNTS = [
    DemoAccount("admin", "系统管理员", Role.admin, None),
    DemoAccount("yunnan", "云南省民政厅 协调员", Role.coordinator, "530000000000"),
    DemoAccount("yangbi", "漾濞县 协调员", Role.coordinator, places.COUNTY),
    DemoAccount("grid01", "城中社区 第一网格员", Role.grid_worker, SEAT_COMMUNITY, ("01",)),
    DemoAccount("volunteer", "志愿者(演示)", Role.volunteer, SEAT_COMMUNITY),
    DemoAccount("family", "住户联系人(演示)", Role.household_contact, SEAT_COMMUNITY),
    DemoAccount("dali-audit", "大理州 审计员", Role.auditor, "532900000000"),
]


class ExtraLoader(Protocol):
    def __call__(self, *, session: AsyncSession) -> Awaitable[int]: ...


@dataclass(frozen=True)
class DemoReport:
    loaded: bool
    counts: dict[str, int]
    logins: list[DemoLogin]


async def load_demo(
    db: Database,
    *,
    seed: int = 1,
    households: int = 3000,
    volunteers: int = 300,
    token_ttl: timedelta,
    extra_loaders: Mapping[str, ExtraLoader] | None = None,
) -> DemoReport:
    """Load the demo when the database has none; always issue fresh demo tokens.

    ``extra_loaders`` (name → loader) add data of other folders (plans/ …) in the same
    transaction; the composition root passes them, so core imports nothing from them.
    """
    async with db.transaction() as session:
        areas = await load_demo_areas(session=session)
        counts = {"areas": areas}
        if areas:
            counts |= await _populate(
                session, seed=seed, households=households, volunteers=volunteers
            )
            for name, loader in (extra_loaders or {}).items():
                counts[name] = await loader(session=session)
        logins = await fresh_logins(session, ACCOUNTS, ttl=token_ttl)
    return DemoReport(loaded=bool(areas), counts=counts, logins=logins)


async def _populate(
    session: AsyncSession, *, seed: int, households: int, volunteers: int
) -> dict[str, int]:
    items = await sync_catalogue(session=session)
    townships, sites = await county_sites(session)
    seat = next(s for s in sites if s.code == SEAT_COMMUNITY)
    org_rows = places.organizations(townships, sites)
    org_ids = await create_organizations(session=session, principal=None, rows=org_rows)
    owners = {row.name: str(i) for row, i in zip(org_rows, org_ids, strict=True)}
    await create_funds(
        session=session,
        principal=None,
        rows=[
            FundCreate(
                host_org_id=owners[places.CHARITY_FEDERATION],
                area_code=seat.code[:9] + "000",
                zihao="同心",
            ),
        ],
    )
    depot_rows = places.depots(townships, sites, seed=seed, seat=seat, owners=owners)
    await create_depots(session=session, principal=None, rows=depot_rows)
    for site in sites:
        if site.urban and not site.has_boundary:
            community = await session.scalar(select(Area.id).where(Area.code == site.code))
            for code in UNBOUNDED_GRIDS:
                await create_grid(
                    session=session,
                    principal=SYSTEM,
                    community_id=community,
                    data=GridCreate(code=code, name=f"{site.name}第{int(code)}网格"),
                )
    specs = generate_households(sites, seed=seed, total=households)
    household_ids = await create_households(
        session=session,
        principal=None,
        rows=[
            HouseholdCreate(
                code=h.code,
                address=h.address,
                lon=h.lon,
                lat=h.lat,
                community_code=h.community_code,
                grid_code=h.grid_code,
                members=[PersonCreate(**vars(m)) for m in h.members],
                contact_index=h.contact_index,
            )
            for h in specs
        ],
    )
    for account in ACCOUNTS:
        if account.role is not Role.household_contact:
            await ensure_user(session, account, can_read_personal=account.role is Role.auditor)
    seat_first = next(
        i for h, i in zip(specs, household_ids, strict=True) if h.community_code == seat.code
    )
    await ensure_user(session, ACCOUNTS[5], household_id=seat_first)
    teams = [
        i for row, i in zip(org_rows, org_ids, strict=True) if row.kind == "volunteer_team"
    ] or list(
        await session.scalars(select(Organization.id).where(Organization.kind == "volunteer_team"))
    )
    today = clock.local_today()
    volunteer_rows = roster.volunteers(
        sites, seed=seed, count=volunteers, org_ids=teams, today=today
    )
    volunteer_user = await ensure_user(session, ACCOUNTS[4])
    first = volunteer_rows[0]
    # The account people log in with to try dispatch: sendable at any hour, insured a year.
    volunteer_rows[0] = first.model_copy(
        update={
            "user_id": volunteer_user.id,
            "area_code": seat.code,
            "lon": seat.area.representative_point().x,
            "lat": seat.area.representative_point().y,
            "availability": {"always": True},
            "insurance_valid_until": today + timedelta(days=365),
        }
    )
    await create_volunteers(session=session, principal=None, rows=volunteer_rows)
    lots = await load_demo_stock(session=session, county_code=places.COUNTY, seed=seed)
    fund_moves, bought = await load_demo_fund_ledger(session=session, seed=seed)
    return {
        "items": items,
        "organizations": len(org_ids),
        "community_funds": 1,
        "depots": len(depot_rows),
        "households": len(household_ids),
        "persons": sum(len(h.members) for h in specs),
        "volunteers": len(volunteer_rows),
        "lots": lots + bought,
        "fund_moves": fund_moves,
    }
