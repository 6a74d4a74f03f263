"""Access matrix entries for organizations and community funds (issue "Organizations").

The item catalogue is national, not area-scoped, so its routes are not here: a
coordinator of county A reading an item "of county B" has no meaning (items have no
area). They are listed for NOT_SCOPED in tests/access/test_access_matrix.py instead.
"""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.registry.areas.models import Area, AreaLevel
from core.registry.orgs import funds, service
from core.registry.orgs.schemas import FundCreate, OrgCreate
from tests.access.matrix import ItemRoute, ListRoute, factory
from tests.factories import make_area

_serial = itertools.count()


async def _charity(session: AsyncSession, county: Area) -> uuid.UUID:
    name = f"矩阵慈善会{county.code}-{next(_serial)}"
    data = OrgCreate(name=name, kind="charity_organization", area_code=county.code)
    (org_id,) = await service.create_organizations(session=session, principal=None, rows=[data])
    return org_id


@factory("organization")
async def _organization(session: AsyncSession, county: Area) -> uuid.UUID:
    return await _charity(session, county)


@factory("community_fund")
async def _community_fund(session: AsyncSession, county: Area) -> uuid.UUID:
    host = await _charity(session, county)
    n = next(_serial)
    township = await make_area(
        session,
        code=f"{county.code[:6]}{200 + n % 100:03d}000",  # 200-299: clear of other factories
        name=f"矩阵镇{n}",
        level=AreaLevel.township,
        parent=county,
    )
    data = FundCreate(host_org_id=host, area_code=township.code, zihao="矩阵")
    (fund_id,) = await funds.create_funds(session=session, principal=None, rows=[data])
    return fund_id


ITEM_ROUTES = [
    ItemRoute("GET", "/api/v1/organizations/{id}", "organization"),
    ItemRoute(
        "PATCH", "/api/v1/organizations/{id}", "organization", body={"phone": "0872-1234567"}
    ),
    ItemRoute("DELETE", "/api/v1/organizations/{id}", "organization"),
    ItemRoute("GET", "/api/v1/community-funds/{id}", "community_fund"),
    ItemRoute("PATCH", "/api/v1/community-funds/{id}", "community_fund", body={"zihao": "改名"}),
    ItemRoute("DELETE", "/api/v1/community-funds/{id}", "community_fund"),
]

LIST_ROUTES = [
    ListRoute("/api/v1/organizations", "organization"),
    ListRoute("/api/v1/community-funds", "community_fund"),
]
