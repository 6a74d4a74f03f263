"""Travel metres and times: the terrain factor, the vectorised haversine, ETAs."""

from __future__ import annotations

import numpy as np
import pytest

from core.geo.distance import haversine_m, haversine_m_array
from core.geo.routing import SPEED_MPS, TERRAIN_FACTOR, GreatCircleRouter, Router, eta_s

CENTRE = (99.955, 25.670)  # 漾濞 county seat
XIAGUAN = (100.225, 25.606)  # 大理 下关, ~28 km east-south-east


def test_haversine_array_equals_haversine_element_wise() -> None:
    rng = np.random.default_rng(7)
    lon1, lon2 = rng.uniform(-180, 180, (2, 2000))
    lat1, lat2 = rng.uniform(-90, 90, (2, 2000))
    lon1[:5], lat1[:5], lon2[:5], lat2[:5] = lon2[:5], lat2[:5], lon2[:5], lat2[:5]  # zero
    lon2[5:10], lat2[5:10] = lon1[5:10] + 180.0, -lat1[5:10]  # antipodes
    got = haversine_m_array(lon1, lat1, lon2, lat2)
    want = np.array([haversine_m(*p) for p in zip(lon1, lat1, lon2, lat2, strict=True)])
    assert got.shape == (2000,)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-6)
    assert (got[:5] == 0).all()


def test_haversine_array_broadcasts() -> None:
    lon = np.array([[CENTRE[0]], [XIAGUAN[0]]])
    lat = np.array([[CENTRE[1]], [XIAGUAN[1]]])
    got = haversine_m_array(
        lon, lat, np.array([CENTRE[0], XIAGUAN[0]]), np.array([CENTRE[1], XIAGUAN[1]])
    )
    d = haversine_m(*CENTRE, *XIAGUAN)
    np.testing.assert_allclose(got, [[0.0, d], [d, 0.0]], atol=1e-6)
    assert 27_000 < d < 29_000


def test_great_circle_router_applies_the_terrain_factor() -> None:
    router: Router = GreatCircleRouter()
    lon1, lat1 = np.array([CENTRE[0], CENTRE[0]]), np.array([CENTRE[1], CENTRE[1]])
    lon2, lat2 = np.array([XIAGUAN[0], CENTRE[0]]), np.array([XIAGUAN[1], CENTRE[1]])
    metres = router.travel_m(lon1, lat1, lon2, lat2)
    assert TERRAIN_FACTOR == 1.4
    np.testing.assert_allclose(metres, [1.4 * haversine_m(*CENTRE, *XIAGUAN), 0.0], atol=1e-6)
    flat = GreatCircleRouter(terrain_factor=1.0).travel_m(lon1, lat1, lon2, lat2)
    np.testing.assert_allclose(flat, metres / 1.4)


def test_eta_by_mode() -> None:
    router = GreatCircleRouter()
    np.testing.assert_allclose(router.eta_s(np.array([8300.0, 0.0])), [1000.0, 0.0])
    np.testing.assert_allclose(router.eta_s(np.array([1200.0]), "walk"), [1000.0])
    assert SPEED_MPS == {"walk": 1.2, "vehicle": 8.3}
    assert eta_s(830.0) == pytest.approx(100.0)
    with pytest.raises(ValueError, match="unknown travel mode 'horse'"):
        eta_s(1.0, "horse")


def test_terrain_factor_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GreatCircleRouter(terrain_factor=0.9)
