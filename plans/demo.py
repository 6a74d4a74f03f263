"""Demo plans: approved plans for the demo county 漾濞彝族自治县 and its communities.

The county gets earthquake, flood and landslide/debris-flow plans (the 2021 漾濞 M6.4
earthquake and the county's mountain torrents make them its first three); every demo
community (level 5 under the county) gets an earthquake plan. Each starts from its
handbook, is named after its area, lists the shelters and assembly points of its area
(communities also their township's shelters) and, in a community, its grids; then it is
approved. Plans that already exist are left alone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.registry.areas.models import Area, AreaLevel, Grid
from core.registry.depots.models import Depot, DepotKind
from plans import service
from plans.models import Plan
from plans.templates import load_template

DEMO_COUNTY = "532922000000"
COUNTY_HAZARDS = ("earthquake", "flood", "landslide_debris_flow")
COMMUNITY_HAZARDS = ("earthquake",)
TEMPLATE_PREFIX = "村(社区)"


async def load_demo_plans(*, session: AsyncSession) -> int:
    """Create and approve the demo plans; returns how many were created (0 without the
    demo county or when they exist)."""
    county = await session.scalar(select(Area).where(Area.code == DEMO_COUNTY))
    if county is None:
        return 0
    subtree = Area.area_path.startswith(county.area_path, autoescape=True)
    communities = list(
        await session.scalars(
            select(Area).where(subtree, Area.level == AreaLevel.community).order_by(Area.code)
        )
    )
    places = await _places(session, county.area_path)
    grids: dict[str, list[str]] = defaultdict(list)
    for community_id, code in await session.execute(
        select(Grid.community_id, Grid.code).where(Grid.area_path.startswith(county.area_path))
    ):
        grids[str(community_id)].append(code)
    existing = set(
        (await session.execute(select(Plan.area_id, Plan.hazard).where(
            Plan.area_path.startswith(county.area_path, autoescape=True)
        ))).all()
    )  # fmt: skip
    jobs = [(county, h, _county_doc(county, places)) for h in COUNTY_HAZARDS]
    for c in communities:
        doc = _community_doc(c, places, sorted(grids[str(c.id)]))
        jobs += [(c, h, doc) for h in COMMUNITY_HAZARDS]
    created = 0
    for area, hazard, doc in jobs:
        if (area.id, hazard) in existing:
            continue
        _, version = await service.create_plan(
            session=session, principal=None, area_code=area.code, hazard=hazard,
            document=doc | {"title": _title(area, hazard)},
        )  # fmt: skip
        await service.approve(session=session, principal=None, version_id=version.id)
        created += 1
    return created


async def _places(session: AsyncSession, path: str) -> dict[str, list[tuple[str, str, str]]]:
    """(area_path, depot id, kind) of shelters and assembly points, by depot area path."""
    kinds = (DepotKind.shelter.value, DepotKind.assembly_point.value)
    rows = await session.execute(
        select(Depot.area_path, Depot.id, Depot.kind)
        .where(Depot.area_path.startswith(path, autoescape=True), Depot.kind.in_(kinds))
        .order_by(Depot.area_path, Depot.name)
    )
    out: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for area_path, depot_id, kind in rows:
        out[area_path].append((area_path, str(depot_id), kind))
    return out


def _refs(entries: list[tuple[str, str, str]], kind: str) -> list[dict[str, str]]:
    return [{"depot_id": d} for _, d, k in entries if k == kind]


def _county_doc(county: Area, places: dict[str, list[tuple[str, str, str]]]) -> dict[str, Any]:
    depth = county.area_path.count("/")
    mine = [e for p, es in places.items() if p.count("/") <= depth + 1 for e in es]
    return {"shelters": _refs(mine, DepotKind.shelter.value)}


def _community_doc(
    community: Area, places: dict[str, list[tuple[str, str, str]]], grids: list[str]
) -> dict[str, Any]:
    township_path = community.area_path.rsplit("/", 2)[0] + "/"
    own = places.get(community.area_path, [])
    shelters = _refs(own, DepotKind.shelter.value)
    shelters += _refs(places.get(township_path, []), DepotKind.shelter.value)
    return {
        "shelters": shelters,
        "assembly_points": _refs(own, DepotKind.assembly_point.value),
        "contact_tree": {"grid_workers": [{"grid_code": code} for code in grids]},
    }


def _title(area: Area, hazard: str) -> str:
    return str(load_template(hazard)["title"]).replace(TEMPLATE_PREFIX, area.name, 1)
