"""`near=` answers the same spherical question on both engines."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from core import clock
from core.errors import Invalid
from core.geo.distance import EARTH_RADIUS_M, degree_box, haversine_m
from core.geo.near import near_clause, parse_near
from core.registry.depots.models import Depot
from tests.factories import two_counties

CENTRE = (99.955, 25.670)  # 漾濞 county seat


def _east(metres: float) -> tuple[float, float]:
    lon, lat = CENTRE
    d_lon = math.degrees(metres / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lon + d_lon, lat


async def test_near_is_spherical_and_the_same_on_both_engines(database, session) -> None:
    world = await two_counties(session)
    now = clock.now()
    spots = {"inside": _east(1995.0), "outside": _east(2005.0), "centre": CENTRE}
    for name, (lon, lat) in spots.items():
        session.add(
            Depot(
                name=name,
                kind="warehouse",
                area_id=world.county_a.id,
                area_path=world.county_a.area_path,
                lon=lon,
                lat=lat,
                address="",
                opening_hours={},
                created_at=now,
                updated_at=now,
            )
        )
    await session.flush()
    for name, (lon, lat) in spots.items():
        assert (haversine_m(*CENTRE, lon, lat) < 2000) == (name != "outside")
    clause = near_clause(Depot, lon=CENTRE[0], lat=CENTRE[1], km=2.0, dialect=database.dialect)
    names = set((await session.scalars(select(Depot.name).where(clause))).all())
    assert names == {"inside", "centre"}


def test_degree_box_contains_the_circle() -> None:
    min_lon, min_lat, max_lon, max_lat = degree_box(*CENTRE, 5000)
    for bearing in range(0, 360, 15):
        b = math.radians(bearing)
        d = 5000 / EARTH_RADIUS_M
        lat1, lon1 = math.radians(CENTRE[1]), math.radians(CENTRE[0])
        lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(b))
        lon2 = lon1 + math.atan2(
            math.sin(b) * math.sin(d) * math.cos(lat1),
            math.cos(d) - math.sin(lat1) * math.sin(lat2),
        )
        assert min_lon <= math.degrees(lon2) <= max_lon
        assert min_lat <= math.degrees(lat2) <= max_lat


@pytest.mark.parametrize(
    ("near", "km", "loc"),
    [
        ("99.9", 2.0, "near"),
        ("abc,25", 2.0, "near"),
        ("99.9,95", 2.0, "near"),
        ("99.9,25.6", None, "km"),
        ("99.9,25.6", 5000.0, "km"),
        (None, 3.0, "near"),
    ],
)
def test_bad_near_names_the_parameter(near, km, loc) -> None:
    with pytest.raises(Invalid) as err:
        parse_near(near, km)
    assert err.value.errors[0].loc == ("query", loc)


def test_good_near() -> None:
    assert parse_near("99.9,25.6", 3) == (99.9, 25.6, 3)
    assert parse_near(None, None) is None
