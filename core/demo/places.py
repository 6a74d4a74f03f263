"""Demo organizations, a community fund and depots for 漾濞彝族自治县 (deterministic)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from core.demo.names import phone
from core.demo.population import CommunitySite, community_centre
from core.registry.depots.schemas import DepotCreate
from core.registry.orgs.schemas import OrgCreate

COUNTY = "532922000000"
COUNTY_NAME = "漾濞彝族自治县"
CHARITY_FEDERATION = f"{COUNTY_NAME}慈善总会"


@dataclass(frozen=True)
class Township:
    code: str
    name: str
    area: BaseGeometry


def organizations(townships: list[Township], sites: list[CommunitySite]) -> list[OrgCreate]:
    """The county's charity federation and volunteer team, a community social organization
    of each 2018 category, township groups, and every community's residents'/villagers'
    committee."""
    county = [
        OrgCreate(
            name=CHARITY_FEDERATION,
            kind="charity_organization",
            area_code=COUNTY,
            public_fundraising=True,
        ),
        OrgCreate(name=f"{COUNTY_NAME}应急救援志愿服务队", kind="volunteer_team", area_code=COUNTY),
        OrgCreate(name=f"{COUNTY_NAME}惠民超市有限公司", kind="enterprise", area_code=COUNTY),
        OrgCreate(
            name="漾濞县社区生活服务协会",
            kind="community_social_organization",
            category="life_services",
            area_code=COUNTY,
        ),
        OrgCreate(
            name="漾濞县爱心公益协会",
            kind="community_social_organization",
            category="charity_welfare",
            area_code=COUNTY,
        ),
        OrgCreate(
            name="漾濞县彝族打歌文艺队",
            kind="community_social_organization",
            category="culture_sports",
            area_code=COUNTY,
        ),
        OrgCreate(
            name="漾濞县核桃种植技术协会",
            kind="community_social_organization",
            category="rural_production",
            area_code=COUNTY,
        ),
    ]
    for t in townships:
        county.append(
            OrgCreate(
                name=f"{t.name}邻里互助会",
                kind="community_social_organization",
                category="mutual_aid",
                registration="township_managed",
                area_code=t.code,
            )
        )
    for site in sites:
        kind = "residents_committee" if site.urban else "villagers_committee"
        suffix = "居民委员会" if site.urban else "村民委员会"
        township = next(t for t in townships if t.code[:9] == site.code[:9])
        county.append(
            OrgCreate(name=f"{township.name}{site.name}{suffix}", kind=kind, area_code=site.code)
        )
    return county


def _inside(rng: random.Random, area: BaseGeometry, near: Point, spread: float) -> Point:
    for _ in range(200):
        p = Point(
            round(near.x + rng.uniform(-spread, spread), 6),
            round(near.y + rng.uniform(-spread, spread), 6),
        )
        if area.covers(p):
            return p
    return area.representative_point()


def depots(
    townships: list[Township],
    sites: list[CommunitySite],
    *,
    seed: int,
    seat: CommunitySite,
    owners: dict[str, str],
) -> list[DepotCreate]:
    """Warehouses, charity sites, shelters and assembly points; ``owners`` maps an
    organization name to its id (as text)."""
    rng = random.Random(f"{seed}:depots")
    centre = community_centre(seat, seed=seed)
    federation = owners[CHARITY_FEDERATION]

    def at_seat(spread: float = 0.004) -> Point:
        return _inside(rng, seat.area, centre, spread)

    out: list[DepotCreate] = []

    def add(name: str, kind: str, area: str, p: Point, **extra: object) -> None:
        out.append(
            DepotCreate(
                name=name, kind=kind, area_code=area, lon=p.x, lat=p.y, phone=phone(rng), **extra
            )
        )

    seat_pt = at_seat()
    add(f"{COUNTY_NAME}应急物资储备库", "warehouse", COUNTY, seat_pt, address="县城苍山西路")
    add("漾濞县慈善超市", "charity_supermarket", seat.code, at_seat(), owner_org_id=federation)
    add("漾濞县城中社区慈善食堂", "charity_canteen", seat.code, at_seat(), owner_org_id=federation)
    add("漾濞县第一中学应急避难场所", "shelter", seat.code, at_seat(), capacity_people=1200)
    add("苍山广场应急避难场所", "shelter", seat.code, at_seat(), capacity_people=3000)
    add(
        "漾濞县慈善公园",
        "charity_site",
        seat.code,
        at_seat(),
        site_type="park",
        owner_org_id=federation,
    )
    for t in townships:
        hub = t.area.representative_point()
        add(f"{t.name}应急物资储备点", "warehouse", t.code, _inside(rng, t.area, hub, 0.01))
        add(
            f"{t.name}党群服务中心", "party_service_center", t.code, _inside(rng, t.area, hub, 0.01)
        )
        add(
            f"{t.name}中心学校避难场所",
            "shelter",
            t.code,
            _inside(rng, t.area, hub, 0.01),
            capacity_people=rng.choice((300, 400, 600, 800)),
        )
    for site in sites:
        c = community_centre(site, seed=seed)
        add(
            f"{site.name}应急集合点",
            "assembly_point",
            site.code,
            _inside(rng, site.area, c, 0.002),
            capacity_people=rng.choice((150, 200, 300)),
        )
        if rng.random() < 0.4:
            add(
                f"{site.name}新时代文明实践站",
                "civilization_station",
                site.code,
                _inside(rng, site.area, c, 0.002),
            )
    return out
