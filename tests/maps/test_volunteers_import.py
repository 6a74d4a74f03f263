"""Volunteer import from CSV / GeoJSON / GeoPackage: formats, all or nothing, per-row errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Role
from core.errors import Invalid
from core.events.models import OutboxEvent
from core.geo.gcj02 import gcj02_to_wgs84
from core.registry.volunteers.models import (
    Volunteer,
    VolunteerCertification,
    VolunteerLanguage,
    VolunteerSkill,
)
from maps.volunteers_io import import_volunteers_file
from tests.access.routes_volunteers import principal_for
from tests.conftest import bearer_for
from tests.factories import TwoCounties, two_counties

API = "/api/v1/volunteers/import"
COLUMNS = [
    "name", "phone", "area_code", "lon", "lat", "skills", "vehicle_class", "languages",
    "certifications", "availability", "max_travel_km", "insurance_valid_until", "status",
]  # fmt: skip
GOOD = [
    ["李娜", "13800000001", "532922000000", "99.9", "25.6", "first_aid;driving", "C1", "cmn;iii",
     "first_aid_certificate:RC-9:2027-06-30;driving_license::", '{"mon": [["08:00", "18:00"]]}',
     "30", "2026-12-31", "active"],
    ["杨强", "", "532922100000", "99.7", "25.5", "search_rescue", "", "hni", "", "always", "",
     "", "inactive"],
    ["段梅", "", "532922000000", "99.8", "25.7", "", "", "", "", "", "5", "", ""],
]  # fmt: skip


def csv_bytes(rows: list[list[str]], columns: list[str] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


async def count(session: AsyncSession, model: Any = Volunteer) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def all_counts(session: AsyncSession) -> list[int]:
    models = (Volunteer, VolunteerSkill, VolunteerLanguage, VolunteerCertification, OutboxEvent)
    return [await count(session, m) for m in models]


@pytest.fixture
async def tc(session: AsyncSession) -> TwoCounties:
    return await two_counties(session)


async def test_csv_file_as_the_system(session, tc, tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    path.write_bytes(csv_bytes(GOOD))
    summary = await import_volunteers_file(session=session, principal_or_none=None, path=path)
    assert summary.created == 3 and len(summary.ids) == 3
    first = await session.get(Volunteer, summary.ids[0])
    assert (first.name, first.vehicle_class, first.max_travel_km) == ("李娜", "C1", 30)
    assert first.availability == {"mon": [["08:00", "18:00"]]}
    assert str(first.insurance_valid_until) == "2026-12-31"
    certs = (await session.scalars(select(VolunteerCertification))).all()
    assert {(c.kind, c.number, str(c.expires_on)) for c in certs} == {
        ("first_aid_certificate", "RC-9", "2027-06-30"),
        ("driving_license", None, "None"),
    }
    second = await session.get(Volunteer, summary.ids[1])
    assert second.status == "inactive" and second.availability == {"always": True}
    assert second.area_path.endswith("532922100000/")
    third = await session.get(Volunteer, summary.ids[2])
    assert third.availability == {"always": True} and third.max_travel_km == 5
    assert (
        await count(session, VolunteerSkill) == 3 and await count(session, VolunteerLanguage) == 3
    )
    ev = await session.scalar(select(OutboxEvent).where(OutboxEvent.type == "volunteer.created"))
    assert ev.payload["source"] == "import"


async def test_geojson_points_in_gcj02(session, tc, tmp_path: Path) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"name": "和丽", "area_code": 532922000000, "languages": "bca;cmn",
                           "phone": 13900000002, "hours_served": 12.5},
            "geometry": {"type": "Point", "coordinates": [99.9, 25.6]},
        }
    ]  # fmt: skip
    path = tmp_path / "v.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    summary = await import_volunteers_file(
        session=session, principal_or_none=None, path=path, crs="gcj02"
    )
    v = await session.get(Volunteer, summary.ids[0])
    lon, lat = gcj02_to_wgs84(99.9, 25.6)
    assert (v.lon, v.lat) == (pytest.approx(lon), pytest.approx(lat))
    assert v.phone == "13900000002" and v.hours_served == 12.5


async def test_geopackage(session, tc, tmp_path: Path) -> None:
    import geopandas
    from shapely.geometry import Point

    frame = geopandas.GeoDataFrame(
        {"name": ["普米"], "area_code": ["532922000000"], "skills": ["elder_care;child_care"]},
        geometry=[Point(99.95, 25.65)],
        crs="EPSG:4326",
    )
    path = tmp_path / "v.gpkg"
    frame.to_file(path, driver="GPKG")
    summary = await import_volunteers_file(session=session, principal_or_none=None, path=path)
    assert summary.created == 1 and await count(session, VolunteerSkill) == 2


async def test_bad_rows_are_all_reported_and_nothing_written(session, tc, tmp_path) -> None:
    coord = await principal_for(session, role=Role.coordinator, area=tc.county_a, username="co-a")
    blank = ["x", "", "532922000000", "99.9", "25.6", "", "", "", "", "", "", "", ""]

    def row(**kw: str) -> list[str]:
        out = list(blank)
        for key, value in kw.items():
            out[COLUMNS.index(key)] = value
        return out

    rows = [
        row(),  # good
        row(skills="first_aid;flying"),
        row(languages="xx"),
        row(certifications="wizard:1:2027-01-01"),
        row(availability="{not json"),
        row(lon="", lat=""),
        row(area_code="532923000000", lon="100.7", lat="25.5"),  # out of scope (database check)
        row(skills="driving"),
        row(certifications="nurse_license:N:2027-01-01:extra"),
        row(insurance_valid_until="tomorrow"),
        row(lon="100.7", lat="25.5"),  # outside county A's boundary
    ]
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows))
    before = await all_counts(session)
    with pytest.raises(Invalid) as err:
        await import_volunteers_file(session=session, principal_or_none=coord, path=path)
    locs = [e.loc for e in err.value.errors]
    for loc in [
        ("rows", 1, "skills", 1),
        ("rows", 2, "languages", 0),
        ("rows", 3, "certifications", 0, "kind"),
        ("rows", 4, "availability"),
        ("rows", 5, "lon"),
        ("rows", 6, "area_code"),
        ("rows", 7, "vehicle_class"),
        ("rows", 8, "certifications", 0),
        ("rows", 9, "insurance_valid_until"),
        ("rows", 10, "lon"),
    ]:
        assert loc in locs, (loc, locs)
    assert not any(loc[1] == 0 for loc in locs)
    assert "10 row(s)" in err.value.detail
    assert await all_counts(session) == before


async def test_upload_route(api, session, tc) -> None:
    coord = await bearer_for(
        session, role=Role.coordinator, area_code=tc.county_a.code, username="coord-a"
    )
    auditor = await bearer_for(
        session, role=Role.auditor, area_code=tc.county_a.code, username="auditor-a"
    )
    await session.commit()
    files = {"file": ("v.csv", csv_bytes(GOOD), "text/csv")}
    r = await api.post(API, files=files, headers=auditor)
    assert r.status_code == 403, r.text
    r = await api.post(API, files=files, headers=coord)
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 3
    bad = [GOOD[0], [*GOOD[1][:5], "first_aid", "", "zz", *GOOD[1][8:]]]
    r = await api.post(API, files={"file": ("b.csv", csv_bytes(bad), "text/csv")}, headers=coord)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["loc"] for e in r.json()["errors"]] == [["rows", 1, "languages", 0]]
    r = await api.post(API, files={"file": ("x.bin", b"\x00\x01binary", "x/y")}, headers=coord)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["file"]
    r = await api.post(API, params={"crs": "bd09"}, files=files, headers=coord)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "crs"]
    assert await count(session) == 3
