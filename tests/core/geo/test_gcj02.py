"""GCJ-02 ↔ WGS-84 against published reference values.

Reference: googollee/eviltransform, test suite `TESTS` (wgsLat, wgsLng, gcjLat, gcjLng)
for Shanghai, Shenzhen and Beijing.
"""

from __future__ import annotations

import pytest

from core.geo.crs import to_wgs84
from core.geo.distance import haversine_m
from core.geo.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02

REFERENCE = [
    # wgs lat, wgs lon, gcj lat, gcj lon
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), REFERENCE)
def test_forward_matches_reference(wlat, wlon, glat, glon) -> None:
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert haversine_m(lon, lat, glon, glat) < 0.01


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), REFERENCE)
def test_gcj02_input_is_stored_within_1_m_of_wgs84(wlat, wlon, glat, glon) -> None:
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert haversine_m(lon, lat, wlon, wlat) < 1.0
    assert to_wgs84(glon, glat, "gcj02") == (lon, lat)


def test_offset_is_hundreds_of_metres_in_yunnan() -> None:
    lon, lat = wgs84_to_gcj02(99.955, 25.670)  # 漾濞 county seat
    assert 100 < haversine_m(99.955, 25.670, lon, lat) < 1000
    assert haversine_m(*gcj02_to_wgs84(lon, lat), 99.955, 25.670) < 0.01


def test_outside_china_is_not_shifted() -> None:
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(2.35, 48.85) == (2.35, 48.85)
    assert to_wgs84(99.9, 25.6) == (99.9, 25.6)
