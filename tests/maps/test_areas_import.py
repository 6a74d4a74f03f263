"""Area import from GeoJSON / GeoPackage: reading, reprojection, all or nothing, demo data."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from shapely.geometry import box
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.app import create_app
from core.auth.roles import Role
from core.config import Settings
from core.db import Database
from core.errors import Invalid
from core.events.models import OutboxEvent
from core.http.deps import get_session
from core.registry.areas.demo import load_demo_areas
from core.registry.areas.models import Area, Grid
from maps.areas_io import import_areas_file, import_file
from tests.conftest import bearer_for
from tests.factories import TwoCounties, two_counties

API = "/api/v1"
BOW_TIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def feature(props: dict[str, Any], geometry: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def square(lon: float, lat: float, d: float = 0.02) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def geojson_bytes(features: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


# A township and two communities of 漾濞 (county A of tests.factories); a child comes first.
GOOD = [
    feature(
        {"code": "532922101001", "name": "漾江社区", "level": 5, "parent_code": "532922101000",
         "urban_rural": "urban"},
        square(99.90, 25.80),
    ),
    feature(
        {"code": 532922101000, "name": "漾江镇", "level": "4", "parent_code": "532922000000"},
        square(99.85, 25.75, 0.1),
    ),
    feature({"code": "532922101201", "name": "金牛村", "level": 5.0,
             "parent_code": "532922101000", "urban_rural": "rural"}),
]  # fmt: skip


async def count(session: AsyncSession, model: Any = Area) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
async def tc(session: AsyncSession) -> TwoCounties:
    return await two_counties(session)


@pytest.fixture
async def admin(session: AsyncSession, tc: TwoCounties) -> dict[str, str]:
    headers = await bearer_for(session, role=Role.admin, area_code=None, username="admin1")
    await session.commit()  # a failed request then rolls back only itself
    return headers


# -- reading files (no database) ----------------------------------------------------------


def test_geojson_rows_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "areas.geojson"
    path.write_bytes(geojson_bytes(GOOD))
    rows = import_file(path)
    assert [r.code for r in rows] == ["532922101001", "532922101000", "532922101201"]
    assert [r.level for r in rows] == [5, 4, 5]
    assert rows[1].parent_code == "532922000000" and rows[1].urban_rural is None
    assert rows[0].geometry.bounds == pytest.approx((99.90, 25.80, 99.92, 25.82))
    assert rows[2].geometry is None


def test_geopackage_in_web_mercator_is_reprojected(tmp_path: Path) -> None:
    import geopandas

    frame = geopandas.GeoDataFrame(
        {
            "code": ["532922101000", "532922101001"],
            "name": ["漾江镇", "漾江社区"],
            "level": [4, 5],
            "parent_code": ["532922000000", "532922101000"],
            "urban_rural": [None, "urban"],
        },
        geometry=[box(99.85, 25.75, 99.95, 25.85), box(99.90, 25.80, 99.92, 25.82)],
        crs="EPSG:4326",
    ).to_crs(3857)
    assert frame.total_bounds[0] > 1e6  # metres now
    frame.to_file(tmp_path / "areas.gpkg", driver="GPKG")
    frame.to_file(tmp_path / "areas_3857.geojson", driver="GeoJSON")
    for name in ("areas.gpkg", "areas_3857.geojson"):
        rows = import_file(tmp_path / name)
        assert rows[0].geometry.bounds == pytest.approx((99.85, 25.75, 99.95, 25.85), abs=1e-9)
        assert rows[1].urban_rural == "urban" and rows[0].urban_rural is None


@pytest.mark.parametrize(
    ("content", "loc"),
    [
        (b"code,name,level\n1,2,3\n", ("file",)),
        (b'{"type": "FeatureCollection", "features": [', ("file",)),
        (geojson_bytes([feature({"code": "532922101000", "name": "x"})]), ("file", "level")),
        (geojson_bytes([]), ("file",)),
        (b"SQLite format 3\x00" + b"\x00" * 200, ("file",)),
    ],
)
def test_malformed_files(tmp_path: Path, content: bytes, loc: tuple[str, ...]) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    with pytest.raises(Invalid) as info:
        import_file(path)
    assert info.value.errors[0].loc in {loc, ("file", "code")}
    assert info.value.errors[-1].loc == loc


# -- the import route --------------------------------------------------------------------


async def post_file(
    api: httpx.AsyncClient, content: bytes, headers: dict[str, str], name: str = "a.geojson"
) -> httpx.Response:
    files = {"file": (name, content, "application/octet-stream")}
    return await api.post(f"{API}/areas/import", files=files, headers=headers)


async def test_import_geojson_with_parents_in_file(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str]
) -> None:
    resp = await post_file(api, geojson_bytes(GOOD), admin)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {
        "created": 3,
        "codes": ["532922101000", "532922101001", "532922101201"],
    }
    village = await session.scalar(select(Area).where(Area.code == "532922101201"))
    assert village.area_path.endswith("532922000000/532922101000/532922101201/")
    assert village.urban_rural == "rural"
    kinds = await session.scalars(
        select(OutboxEvent.type).where(OutboxEvent.type == "area.created")
    )
    assert len(list(kinds)) == 3


async def test_import_geopackage(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str], tmp_path: Path
) -> None:
    import geopandas

    frame = geopandas.GeoDataFrame(
        {"code": [532922101000], "name": ["漾江镇"], "level": [4], "parent_code": ["532922000000"]},
        geometry=[box(99.85, 25.75, 99.95, 25.85)],
        crs="EPSG:4326",
    ).to_crs(3857)
    frame.to_file(tmp_path / "t.gpkg", driver="GPKG")
    resp = await post_file(api, (tmp_path / "t.gpkg").read_bytes(), admin, name="t.gpkg")
    assert resp.status_code == 201, resp.text
    town = await session.scalar(select(Area).where(Area.code == "532922101000"))
    assert (town.min_lon, town.max_lat) == pytest.approx((99.85, 25.85))


async def test_one_bad_row_writes_nothing(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str]
) -> None:
    before = (await count(session), await count(session, OutboxEvent))
    bad = [
        *GOOD,
        feature({"code": "532922101202", "name": "坏村", "level": 5,
                 "parent_code": "532922101000"}, BOW_TIE),
        feature({"code": "532922101203", "name": "远村", "level": 5,
                 "parent_code": "532922101000"}, square(99.9, 95.0)),
        feature({"code": "12345", "name": "短码", "level": 5, "parent_code": "532922101000"}),
        feature({"code": "532922101204", "name": "无父", "level": 5,
                 "parent_code": "532922999000"}),
    ]  # fmt: skip
    resp = await post_file(api, geojson_bytes(bad), admin)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    errors = resp.json()["errors"]
    assert errors[0] == {"loc": ["rows", 3, "geometry"], "msg": errors[0]["msg"]}
    assert "self-intersection" in errors[0]["msg"].lower()
    assert [e["loc"] for e in errors[1:]] == [
        ["rows", 4, "geometry"],
        ["rows", 5, "code"],
        ["rows", 6, "parent_code"],
    ]
    assert "latitude" in errors[1]["msg"]
    assert (await count(session), await count(session, OutboxEvent)) == before


async def test_malformed_upload_and_roles(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str], tc: TwoCounties
) -> None:
    resp = await post_file(api, b"not a map", admin)
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["file"]
    resp = await post_file(api, b'{"type": "FeatureCollection", "features": [}', admin)
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["file"]
    resp = await post_file(api, geojson_bytes([feature({"name": "x"})]), admin)
    assert [e["loc"] for e in resp.json()["errors"]] == [["file", "code"], ["file", "level"]]
    resp = await api.post(f"{API}/areas/import", headers=admin)
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "file"]
    volunteer = await bearer_for(
        session, role=Role.volunteer, area_code=tc.county_a.code, username="vol1"
    )
    await session.commit()
    assert (await post_file(api, geojson_bytes(GOOD), volunteer)).status_code == 403
    coord_b = await bearer_for(
        session, role=Role.coordinator, area_code=tc.county_b.code, username="coord-b"
    )
    await session.commit()
    resp = await post_file(api, geojson_bytes(GOOD), coord_b)  # parent in county A: unknown
    assert resp.status_code == 422
    assert resp.json()["errors"] == [
        {"loc": ["rows", 1, "parent_code"], "msg": resp.json()["errors"][0]["msg"]}
    ]


@pytest.fixture
async def small_api(database: Database, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        _env_file=None, database_url="sqlite+aiosqlite:///unused.db", max_request_bytes=2048
    )
    app = create_app(settings, database=database, background=False)

    async def shared_session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[get_session] = shared_session
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_oversized_upload_is_413(
    small_api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str]
) -> None:
    before = await count(session)
    big = geojson_bytes(GOOD * 20)
    assert len(big) > 2048
    resp = await post_file(small_api, big, admin)
    assert resp.status_code == 413
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert await count(session) == before


# -- CLI helper and demo data ------------------------------------------------------------


async def test_import_areas_file_as_system(
    session: AsyncSession, tc: TwoCounties, tmp_path: Path
) -> None:
    path = tmp_path / "areas.geojson"
    path.write_bytes(geojson_bytes(GOOD))
    result = await import_areas_file(session=session, principal_or_none=None, path=path)
    assert result.created == 3


async def test_demo_loader_is_idempotent(session: AsyncSession) -> None:
    assert await load_demo_areas(session=session) == 45 + 128
    assert await load_demo_areas(session=session) == 0
    assert await count(session) == 45 + 128
    levels = dict(
        (await session.execute(select(Area.level, func.count()).group_by(Area.level))).all()
    )
    assert levels == {1: 1, 2: 16, 3: 129, 4: 8, 5: 19}  # all 129 counties of Yunnan
    county = await session.scalar(select(Area).where(Area.code == "532922000000"))
    assert county.boundary.covers(box(99.95, 25.66, 99.96, 25.67))
    assert await count(session, Grid) == 2
