"""Demo areas: 云南省, its 16 prefectures, and 漾濞彝族自治县 down to villages and grids.

Loaded through the real import service. Township and village codes and names are
illustrative (national pattern, not an official list); boundaries are approximate
lon/lat rectangles (EPSG:4326), for demo only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import SYSTEM
from core.registry.areas import service
from core.registry.areas.models import Area
from core.registry.areas.schemas import AreaImportRow, GridCreate

DEMO_FILE = Path(__file__).with_name("demo_areas.geojson")
COUNTIES_FILE = Path(__file__).with_name("yunnan_counties.json")
PROVINCE_CODE = "530000000000"
SEAT_COMMUNITY = "532922100001"  # 城中社区, 苍山西镇 (county seat, ~99.955 E 25.67 N)


def _box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict[str, Any]:
    ring = [
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


DEMO_GRIDS = [
    GridCreate(code="01", name="第一网格", boundary=_box(99.945, 25.66, 99.955, 25.68)),
    GridCreate(code="02", name="第二网格", boundary=_box(99.955, 25.66, 99.965, 25.68)),
]


def demo_rows(path: Path = DEMO_FILE) -> list[AreaImportRow]:
    """The demo file's features, then every other county of Yunnan, as import rows."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for feature in collection["features"]:
        props = feature["properties"]
        rows.append(
            AreaImportRow(
                code=props["code"],
                name=props["name"],
                level=props["level"],
                parent_code=props.get("parent_code"),
                urban_rural=props.get("urban_rural"),
                geometry=feature.get("geometry"),
            )
        )
    known = {row.code for row in rows}
    counties = json.loads(COUNTIES_FILE.read_text(encoding="utf-8"))["counties"]
    rows += [
        AreaImportRow(
            code=c["code"],
            name=c["name"],
            level=3,
            parent_code=c["parent_code"],
            urban_rural=c.get("urban_rural"),
            geometry=None,
        )
        for c in counties
        if c["code"] not in known
    ]
    return rows


async def load_demo_areas(*, session: AsyncSession) -> int:
    """Import the demo areas and grids; returns the number of areas created.

    Idempotent: does nothing (returns 0) when the province already exists.
    """
    if await session.scalar(select(Area.id).where(Area.code == PROVINCE_CODE)) is not None:
        return 0
    result = await service.import_areas(session=session, principal=None, rows=demo_rows())
    seat = await session.scalar(select(Area.id).where(Area.code == SEAT_COMMUNITY))
    if seat is None:
        raise RuntimeError(f"demo file lacks community {SEAT_COMMUNITY}")
    for grid in DEMO_GRIDS:
        await service.create_grid(session=session, principal=SYSTEM, community_id=seat, data=grid)
    return result.created
