"""Which communities an area touches: the same spherical answer on both engines."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import MultiPolygon, Polygon

from core.geo.distance import haversine_m
from core.incidents.sphere import azimuthal_equidistant, distances_m
from core.incidents.touch import touched_communities
from tests.core.incidents.world import HOUSEHOLDS, build_world, east, shape_of


def codes(areas) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.code[-4:] if a.code.startswith("532922") else "b" + a.code[-3:] for a in areas]


async def test_polygon_touches_by_interior_not_by_a_shared_edge(session) -> None:
    await build_world(session)
    one = await touched_communities(session=session, polygon=shape_of(99.90, 25.60, 99.92, 25.62))
    assert codes(one) == ["0001"]  # 二村 shares the edge lon 99.92 only
    both = await touched_communities(session=session, polygon=shape_of(99.91, 25.55, 99.93, 25.61))
    assert codes(both) == ["0001", "0002"]
    far = await touched_communities(session=session, polygon=shape_of(101.5, 24.0, 101.6, 24.1))
    assert far == []


async def test_community_without_boundary_is_touched_by_its_households(session) -> None:
    await build_world(session)
    (lon, lat) = HOUSEHOLDS[0]
    around = await touched_communities(
        session=session, polygon=shape_of(lon - 0.001, lat - 0.001, lon + 0.001, lat + 0.001)
    )
    assert codes(around) == ["0004"]
    on_edge = await touched_communities(
        session=session, polygon=shape_of(lon, lat, lon + 1e-3, lat + 1e-3)
    )
    assert codes(on_edge) == ["0004"]  # a household on the edge is inside
    beside = await touched_communities(
        session=session, polygon=shape_of(lon + 0.001, lat, lon + 0.002, lat + 0.001)
    )
    assert beside == []
    (lon, lat) = HOUSEHOLDS[0]
    near = await touched_communities(
        session=session, centre=east(lon, lat, -1000.0), radius_m=1001.0
    )
    assert codes(near) == ["0004"]
    short = await touched_communities(
        session=session, centre=east(lon, lat, -1000.0), radius_m=999.0
    )
    assert short == []


def _edge_minimum(
    centre: tuple[float, float], a: tuple[float, float], b: tuple[float, float]
) -> float:
    """Brute force: the least haversine distance from ``centre`` to the lon/lat segment a–b."""
    t = np.linspace(0.0, 1.0, 200_001)
    return float(np.min(_haversine_np(centre, a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)))


def _haversine_np(centre: tuple[float, float], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    p1, p2 = math.radians(centre[1]), np.radians(lat)
    dl = np.radians(lon - centre[0])
    h = np.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * np.arcsin(np.sqrt(h))


@pytest.mark.parametrize(("margin", "touched"), [(1.0, True), (-1.0, False)])
async def test_circle_reaches_a_boundary_by_great_circle_distance(session, margin, touched) -> None:
    await build_world(session)
    centre = east(99.94, 25.61, 1500.0)  # east of 二村's east edge (lon 99.94)
    edge = _edge_minimum(centre, (99.94, 25.60), (99.94, 25.62))
    found = await touched_communities(session=session, centre=centre, radius_m=edge + margin)
    assert codes(found) == (["0002"] if touched else [])
    corner = (99.945, 25.625)  # north-east of the corner (99.94, 25.62): the corner is nearest
    d = haversine_m(*corner, 99.94, 25.62)
    found = await touched_communities(session=session, centre=corner, radius_m=d + margin / 2)
    assert codes(found) == (["0002"] if touched else [])


async def test_circle_inside_a_community_touches_it(session) -> None:
    await build_world(session)
    found = await touched_communities(session=session, centre=(100.01, 25.71), radius_m=1.0)
    assert codes(found) == ["0003"]


async def test_circle_and_polygon_mix_boundaries_and_households(session) -> None:
    await build_world(session)
    found = await touched_communities(session=session, centre=(99.95, 25.64), radius_m=6_000.0)
    assert codes(found) == ["0001", "0002", "0004"]


def test_projection_keeps_great_circle_distance_from_the_centre() -> None:
    centre = (99.9, 25.6)
    pts = np.array([[100.0, 25.7], [99.0, 24.0], [101.5, 27.2], [99.9, 25.6]])
    xy = azimuthal_equidistant(pts, *centre)
    for (lon, lat), (x, y) in zip(pts, xy, strict=True):
        assert math.hypot(x, y) == pytest.approx(haversine_m(*centre, lon, lat), abs=1e-6)


@pytest.mark.parametrize("offset_km", [0.5, 20.0, 250.0])
def test_polygon_distance_is_within_a_centimetre_of_brute_force(offset_km: float) -> None:
    centre = (99.9, 25.6)
    lon0, lat0 = east(*centre, offset_km * 1000.0)
    ring = [
        (lon0, lat0 - 0.03),
        (lon0 + 0.05, lat0 - 0.05),
        (lon0 + 0.07, lat0 + 0.04),
        (lon0, lat0 + 0.06),
    ]
    poly = MultiPolygon([Polygon(ring)])
    got = float(distances_m([poly], *centre)[0])
    want = min(_edge_minimum(centre, a, b) for a, b in zip(ring, ring[1:] + ring[:1], strict=True))
    assert got == pytest.approx(want, abs=0.01)
