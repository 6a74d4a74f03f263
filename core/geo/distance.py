"""Great-circle distance on one sphere, the same everywhere (DESIGN.md Decisions: Geometry).

PostGIS' ``use_spheroid => false`` uses the WGS-84 mean radius (2a + b) / 3, which
is the radius here, so both backends return the same candidates.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two WGS-84 points (degrees) on the sphere of :data:`EARTH_RADIUS_M`."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def degree_box(lon: float, lat: float, metres: float) -> tuple[float, float, float, float]:
    """A lon/lat box certain to contain every point within ``metres`` of (lon, lat)."""
    d_lat = math.degrees(metres / EARTH_RADIUS_M)
    cos_lat = math.cos(math.radians(min(89.9, abs(lat) + d_lat)))
    d_lon = 180.0 if cos_lat <= 0 else min(180.0, d_lat / cos_lat)
    return lon - d_lon, lat - d_lat, lon + d_lon, lat + d_lat


def haversine_m_array(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Any:
    """:func:`haversine_m` over numpy arrays (degrees in, metres out, broadcasting).

    The same formula and radius, so it agrees with :func:`haversine_m` element-wise to
    the last few units in the last place (numpy's and libm's ``sin`` may round apart).
    numpy is imported here, not at module level (DESIGN.md: heavy imports are lazy).
    """
    import numpy as np

    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
