"""Household import (one row per person) from CSV, GeoJSON and GeoPackage: grouping,
contacts, per-row errors, all or nothing, the upload route."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Invalid
from core.geo.gcj02 import wgs84_to_gcj02
from core.registry.households.models import Household, Person, PersonTag
from maps.households_io import import_households_file
from tests.core.registry.households_world import (
    API,
    HouseholdWorld,
    add_headers,
    build_world,
    count,
)

HEADER = (
    "household_code,address,lon,lat,community_code,grid_code,household_phone,"
    "person_name,birth_year,sex,tags,languages,phone,is_contact"
)
GOOD_CSV = f"""{HEADER}
YB-001,城中路1号,99.91,25.61,,,0872-1,王奶奶,1938,女,aged_80_plus;living_alone,iii;cmn,,false
YB-001,,,,,,,王强,1975,男,,cmn,13800000001,true
YB-002,金牛村3号,100.15,25.85,532922100003,,,李四,1950,male,chronically_ill,,,
YB-001,城中路1号,99.91,25.61,,,,王小明,2015,,left_behind_child,,,0
"""


@pytest.fixture
async def world(session: AsyncSession) -> HouseholdWorld:
    w = await build_world(session)
    await add_headers(session, w)
    await session.commit()
    return w


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def run(session: AsyncSession, path: Path, **kw: Any) -> Any:
    return await import_households_file(session=session, principal_or_none=None, path=path, **kw)


async def counts(session: AsyncSession) -> list[int]:
    return [await count(session, m) for m in (Household, Person, PersonTag)]


async def test_csv_rows_are_grouped_into_households(session, world, tmp_path) -> None:
    summary = await run(session, write(tmp_path, "h.csv", GOOD_CSV))
    assert (summary.created, summary.persons, summary.codes) == (2, 4, ["YB-001", "YB-002"])
    yb1 = await session.scalar(select(Household).where(Household.code == "YB-001"))
    assert (yb1.community_id, yb1.grid_id, yb1.phone) == (world.c1.id, world.g1.id, "0872-1")
    people = (await session.scalars(select(Person).where(Person.household_id == yb1.id)
                                    .order_by(Person.id))).all()  # fmt: skip
    assert [p.name for p in people] == ["王奶奶", "王强", "王小明"]
    assert [p.sex for p in people] == ["female", "male", None]
    assert people[0].languages == ["iii", "cmn"] and people[0].birth_year == 1938
    assert yb1.contact_person_id == people[1].id
    tags = set(await session.scalars(select(PersonTag.tag).where(PersonTag.person_id ==
                                                                 people[0].id)))  # fmt: skip
    assert tags == {"aged_80_plus", "living_alone"}
    yb2 = await session.scalar(select(Household).where(Household.code == "YB-002"))
    assert (yb2.community_id, yb2.contact_person_id) == (world.c3.id, None)


async def test_geojson_and_geopackage_points(session, world, tmp_path) -> None:
    import geopandas
    from shapely.geometry import Point

    frame = geopandas.GeoDataFrame(
        {"household_code": ["G-1", "G-1", "G-2"], "address": ["甲", None, "乙"],
         "person_name": ["张", "赵", "钱"], "birth_year": [1940, 1990, None],
         "tags": ["disabled", None, "dibao;tekun"], "is_contact": [1, 0, 0]},
        geometry=[Point(99.97, 25.65), Point(99.97, 25.65), Point(99.93, 25.63)],
        crs="EPSG:4326",
    )  # fmt: skip
    frame.to_file(tmp_path / "h.gpkg", driver="GPKG")
    summary = await run(session, tmp_path / "h.gpkg")
    assert (summary.created, summary.persons) == (2, 3)
    g1 = await session.scalar(select(Household).where(Household.code == "G-1"))
    g2 = await session.scalar(select(Household).where(Household.code == "G-2"))
    assert (g1.grid_id, g2.community_id) == (world.g2.id, world.c2.id)
    lon, lat = wgs84_to_gcj02(99.91, 25.61)
    collection = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"household_code": 3001, "address": "丙", "person_name": "孙",
                       "tags": "pregnant", "languages": "hni"}}]}  # fmt: skip
    path = write(tmp_path, "h.geojson", json.dumps(collection, ensure_ascii=False))
    assert (await run(session, path, crs="gcj02")).codes == ["3001"]
    h = await session.scalar(select(Household).where(Household.code == "3001"))
    assert h.grid_id == world.g1.id and abs(h.lon - 99.91) < 1e-5 and abs(h.lat - 25.61) < 1e-5


BAD_CSV = f"""{HEADER}
A-1,一号,99.91,25.61,,,,甲,1950,,aged_80_plus;flying,,,
A-2,二号,99.91,25.61,,,,乙,,,,cmn;xx,,
A-3,三号,abc,25.61,,,,丙,,,,,,
A-1,别的地址,,,,,,丁,,,,,,
A-4,四号,99.91,25.61,,,,戊,19x0,unknown,,,,yes
A-4,,,,,,,己,,,,,,是
,五号,99.91,25.61,,,,庚,,,,,,
A-5,六号,99.91,25.61,,,,,,,,,,maybe
"""


async def test_malformed_rows_name_row_and_column_and_write_nothing(
    session, world, tmp_path
) -> None:
    before = await counts(session)
    with pytest.raises(Invalid) as info:
        await run(session, write(tmp_path, "bad.csv", BAD_CSV))
    locs = {e.loc for e in info.value.errors}
    assert locs == {
        ("rows", 0, "tags"), ("rows", 1, "languages"), ("rows", 2, "lon"),
        ("rows", 3, "address"), ("rows", 4, "birth_year"), ("rows", 4, "sex"),
        ("rows", 5, "is_contact"), ("rows", 6, "household_code"),
        ("rows", 7, "person_name"), ("rows", 7, "is_contact"),
    }  # fmt: skip
    msgs = {e.loc: e.msg for e in info.value.errors}
    assert "flying" in msgs[("rows", 0, "tags")] and "row 0" in msgs[("rows", 3, "address")]
    assert "row 4" in msgs[("rows", 5, "is_contact")]
    assert "8 row(s)" in info.value.detail
    assert await counts(session) == before


async def test_placement_and_existing_codes_are_row_errors(session, world, tmp_path) -> None:
    await run(session, write(tmp_path, "ok.csv", GOOD_CSV))
    before = await counts(session)
    text = f"""{HEADER}
B-1,一号,99.91,25.61,,,,甲,,,,,,
B-2,二号,100.15,25.85,532922100001,,,乙,,,,,,
B-2,,,,,,,丙,,,,,,
YB-002,三号,99.91,25.61,,,,丁,,,,,,
B-3,四号,99.91,25.61,,02,,戊,,,,,,
B-4,五号,100.15,25.85,,,,己,,,,,,
"""
    with pytest.raises(Invalid) as info:
        await run(session, write(tmp_path, "bad.csv", text))
    assert [e.loc for e in info.value.errors] == [
        ("rows", 1, "lon"), ("rows", 3, "household_code"), ("rows", 4, "lon"),
        ("rows", 5, "community_code"),
    ]  # fmt: skip
    assert await counts(session) == before


@pytest.mark.parametrize(
    ("text", "loc"),
    [
        ("household_code,address,lon,lat\nX,一,99.91,25.61\n", ("file", "person_name")),
        (f"{HEADER}\n", ("file",)),
        ("just words\n", ("file",)),
    ],
)
async def test_malformed_files(session, world, tmp_path, text: str, loc: tuple) -> None:
    with pytest.raises(Invalid) as info:
        await run(session, write(tmp_path, "f.csv", text))
    assert info.value.errors[0].loc == loc


async def post_file(
    api: httpx.AsyncClient, content: str, headers: dict[str, str], **params: Any
) -> httpx.Response:
    files = {"file": ("h.csv", content.encode(), "text/csv")}
    return await api.post(f"{API}/households/import", files=files, headers=headers, params=params)


async def test_upload_route(api, session, world) -> None:
    before = await counts(session)
    resp = await post_file(api, BAD_CSV, world.h["coord_a"])
    assert resp.status_code == 422 and resp.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert ["rows", 0, "tags"] in [e["loc"] for e in resp.json()["errors"]]
    assert await counts(session) == before
    resp = await post_file(api, GOOD_CSV, world.h["coord_b"])
    assert resp.status_code == 422
    assert {tuple(e["loc"]) for e in resp.json()["errors"]} == {
        ("rows", 0, "community_code"),
        ("rows", 2, "community_code"),
    }
    assert (await post_file(api, GOOD_CSV, world.h["vol_a"])).status_code == 403
    resp = await post_file(api, GOOD_CSV, world.h["coord_a"])
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"created": 2, "persons": 4, "codes": ["YB-001", "YB-002"]}
    assert await counts(session) == [before[0] + 2, before[1] + 4, before[2] + 4]
