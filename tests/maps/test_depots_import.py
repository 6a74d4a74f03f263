"""Depot import from CSV / GeoJSON / GeoPackage: all or nothing, per-row errors, CRS."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Role
from core.errors import Invalid
from core.events.models import OutboxEvent
from core.geo.gcj02 import wgs84_to_gcj02
from core.registry.depots.models import Depot
from maps.depots_io import import_depots_file, read_depot_rows
from tests.conftest import bearer_for
from tests.core.registry.test_depots_service import count, make_org
from tests.factories import TwoCounties, two_counties

API = "/api/v1"
HEADER = ["name", "kind", "site_type", "area_code", "owner_org", "address", "capacity_people",
          "phone", "opening_hours", "lon", "lat"]  # fmt: skip
HOURS = json.dumps({"mon": [["08:00", "12:00"]], "sat": [["09:00", "17:00"]]})
GOOD = [
    ["县应急仓库", "warehouse", "", "532922000000", "漾濞慈善会", "县城", "", "0872-7512345",
     "", "99.95", "25.67"],
    ["爱心超市", "慈善超市", "", "532922100000", "", "", "", "", HOURS, "99.90", "25.60"],
    ["小学避难点", "shelter", "", "532922100000", "", "", "350", "", "", "99.91", "25.61"],
    ["慈善公园", "慈善阵地", "公园", "532922100000", "", "", "", "", "always", "99.92", "25.62"],
]  # fmt: skip


def csv_bytes(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def feature(props: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def geojson_bytes(features: list[dict[str, Any]]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


@pytest.fixture
async def tc(session: AsyncSession) -> TwoCounties:
    tc = await two_counties(session)
    await make_org(session, tc.county_a)
    return tc


@pytest.fixture
async def admin(session: AsyncSession, tc: TwoCounties) -> dict[str, str]:
    headers = await bearer_for(session, role=Role.admin, area_code=None, username="admin1")
    await session.commit()  # a failed request then rolls back only itself
    return headers


async def post_file(
    api: httpx.AsyncClient, content: bytes, headers: dict[str, str], query: str = ""
) -> httpx.Response:
    files = {"file": ("depots.bin", content, "application/octet-stream")}
    return await api.post(f"{API}/depots/import{query}", files=files, headers=headers)


def test_csv_rows_are_read(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(csv_bytes(GOOD))
    rows, point_field = read_depot_rows(path)
    assert point_field == "lon" and len(rows) == 4
    assert (rows[0]["lon"], rows[0]["lat"], rows[0]["owner_org"]) == (99.95, 25.67, "漾濞慈善会")


@pytest.mark.parametrize(
    ("content", "locs"),
    [
        (b"just some text", [("file",)]),
        (b'{"type": "FeatureCollection", "features": [', [("file",)]),
        (csv_bytes([["x", "99.9", "25.6"]], ["name", "lon", "lat"]),
         [("file", "kind"), ("file", "area_code")]),
        (csv_bytes([["x", "warehouse", "532922000000"]], ["name", "kind", "area_code"]),
         [("file", "lon")]),
        (geojson_bytes([]), [("file",)]),
    ],
)  # fmt: skip
def test_malformed_files(tmp_path: Path, content: bytes, locs: list[tuple[str, ...]]) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(Invalid) as info:
        read_depot_rows(path)
    assert [e.loc for e in info.value.errors] == locs


async def test_import_csv(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str]
) -> None:
    resp = await post_file(api, csv_bytes(GOOD), admin)
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["created"] == 4 and len(got["ids"]) == 4
    depots = list(await session.scalars(select(Depot).order_by(Depot.id)))
    assert [d.kind for d in depots] == ["warehouse", "charity_supermarket", "shelter",
                                        "charity_site"]  # fmt: skip
    assert depots[0].owner_org_id is not None and depots[0].phone == "0872-7512345"
    assert depots[1].opening_hours == json.loads(HOURS)
    assert depots[2].capacity_people == 350 and depots[2].opening_hours == {"always": True}
    assert depots[3].site_type == "park" and depots[3].opening_hours == {"always": True}
    events = await session.scalars(select(OutboxEvent).where(OutboxEvent.type == "depot.created"))
    assert [e.payload["source"] for e in events] == ["import"] * 4


async def test_import_geojson_and_gcj02(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str]
) -> None:
    gcj = wgs84_to_gcj02(99.95, 25.67)
    features = [
        feature({"name": "仓库", "kind": "warehouse", "area_code": 532922000000,
                 "phone": 13800000000, "opening_hours": {"always": True}},
                {"type": "Point", "coordinates": list(gcj)}),
    ]  # fmt: skip
    resp = await post_file(api, geojson_bytes(features), admin, "?crs=gcj02")
    assert resp.status_code == 201, resp.text
    depot = await session.scalar(select(Depot))
    assert depot is not None and depot.phone == "13800000000"
    assert (depot.lon, depot.lat) == pytest.approx((99.95, 25.67), abs=1e-8)
    assert depot.area_path.endswith("532922000000/")


async def test_import_geopackage_in_web_mercator(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str], tmp_path: Path
) -> None:
    import geopandas

    frame = geopandas.GeoDataFrame(
        {"name": ["集合点"], "kind": ["应急集合点"], "area_code": ["532922100000"],
         "capacity_people": [500]},
        geometry=[Point(99.93, 25.63)],
        crs="EPSG:4326",
    ).to_crs(3857)  # fmt: skip
    frame.to_file(tmp_path / "d.gpkg", driver="GPKG")
    resp = await post_file(api, (tmp_path / "d.gpkg").read_bytes(), admin)
    assert resp.status_code == 201, resp.text
    depot = await session.scalar(select(Depot))
    assert depot is not None and depot.kind == "assembly_point"
    assert (depot.lon, depot.lat) == pytest.approx((99.93, 25.63), abs=1e-9)


async def test_bad_rows_are_all_reported_and_nothing_written(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str]
) -> None:
    before = (await count(session), await count(session, OutboxEvent))
    bad = [
        *GOOD,
        ["a", "castle", "", "532922100000", "", "", "", "", "", "99.9", "25.6"],
        ["b", "慈善阵地", "", "532922100000", "", "", "", "", "", "99.9", "25.6"],
        ["c", "shelter", "", "532922100000", "", "", "", "", "", "99.9", "25.6"],
        ["d", "warehouse", "", "532922100000", "", "", "", "", "{mon", "99.9", "25.6"],
        ["e", "warehouse", "", "532922100000", "无名会", "", "", "", "", "99.9", "25.6"],
        ["f", "warehouse", "", "532922000000", "", "", "", "", "", "100.5", "25.6"],
        ["g", "warehouse", "", "532922100000", "", "", "", "", "", "", ""],
        ["h", "warehouse", "", "532922100000", "", "", "-3", "", "", "abc", "25.6"],
        ["i", "warehouse", "", "532923100000", "", "", "", "", "", "100.6", "25.3"],
    ]
    resp = await post_file(api, csv_bytes(bad), admin)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    errors = resp.json()["errors"]
    assert [e["loc"] for e in errors] == [
        ["rows", 4, "kind"],
        ["rows", 5, "site_type"],
        ["rows", 6, "capacity_people"],
        ["rows", 7, "opening_hours"],
        ["rows", 8, "owner_org"],
        ["rows", 9, "lon"],
        ["rows", 10, "lon"],
        ["rows", 11, "lon"],
        ["rows", 11, "capacity_people"],
    ]
    assert "9 row(s)" not in resp.json()["detail"] and "8 row(s)" in resp.json()["detail"]
    assert (await count(session), await count(session, OutboxEvent)) == before


async def test_geometry_errors_name_the_geometry(
    api: httpx.AsyncClient, session: AsyncSession, admin: dict[str, str]
) -> None:
    square = {"type": "Polygon", "coordinates": [[[99.9, 25.6], [99.91, 25.6], [99.91, 25.61],
                                                 [99.9, 25.6]]]}  # fmt: skip
    props = {"name": "x", "kind": "warehouse", "area_code": "532922000000"}
    features = [
        feature(props, {"type": "Point", "coordinates": [99.9, 25.6]}),
        feature(props, square),
        feature(props, None),
        feature(props, {"type": "Point", "coordinates": [100.7, 25.6]}),  # outside county A
    ]
    resp = await post_file(api, geojson_bytes(features), admin)
    assert resp.status_code == 422, resp.text
    assert [e["loc"] for e in resp.json()["errors"]] == [["rows", i, "geometry"] for i in (1, 2, 3)]
    assert await count(session) == 0


async def test_roles_and_scope(
    api: httpx.AsyncClient, session: AsyncSession, tc: TwoCounties
) -> None:
    volunteer = await bearer_for(
        session, role=Role.volunteer, area_code=tc.county_a.code, username="vol1"
    )
    coord_b = await bearer_for(
        session, role=Role.coordinator, area_code=tc.county_b.code, username="coord-b"
    )
    await session.commit()
    assert (await post_file(api, csv_bytes(GOOD), volunteer)).status_code == 403
    resp = await post_file(api, csv_bytes(GOOD), coord_b)
    assert resp.status_code == 422
    locs = [e["loc"] for e in resp.json()["errors"]]
    assert locs == [["rows", 0, "owner_org"]] + [["rows", i, "area_code"] for i in range(4)]
    assert await count(session) == 0
    resp = await api.post(f"{API}/depots/import", headers=coord_b)
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "file"]


async def test_import_depots_file_as_system(
    session: AsyncSession, tc: TwoCounties, tmp_path: Path
) -> None:
    path = tmp_path / "depots.csv"
    path.write_bytes(csv_bytes(GOOD))
    summary = await import_depots_file(session=session, principal_or_none=None, path=path)
    assert summary.created == 4 and await count(session) == 4
