"""Read the demo county's townships and communities back from the database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.demo.places import COUNTY, Township
from core.demo.population import CommunitySite
from core.registry.areas.models import Area, AreaLevel


async def county_sites(session: AsyncSession) -> tuple[list[Township], list[CommunitySite]]:
    """The demo county's townships (with boundaries) and its communities; a community
    without a boundary is placed inside its township's."""
    prefix = f"{COUNTY[:6]}"
    rows = (
        await session.scalars(
            select(Area)
            .where(Area.code.startswith(prefix), Area.level >= AreaLevel.township)
            .order_by(Area.code)
        )
    ).all()
    townships = [
        Township(a.code, a.name, a.boundary)
        for a in rows
        if a.level == AreaLevel.township and a.boundary is not None
    ]
    by_code = {t.code: t for t in townships}
    sites = []
    for a in rows:
        if a.level != AreaLevel.community:
            continue
        township = by_code.get(a.code[:9] + "000")
        if a.boundary is None and township is None:
            continue
        sites.append(
            CommunitySite(
                code=a.code,
                name=a.name,
                urban=a.urban_rural == "urban",
                area=a.boundary if a.boundary is not None else township.area,
                has_boundary=a.boundary is not None,
            )
        )
    return townships, sites
