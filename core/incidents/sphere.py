"""Great-circle distance from a point to polygons, on the one sphere of :mod:`core.geo.distance`.

The polygons are densified in lon/lat (edges at most :data:`SEGMENT_DEG`, ≈ 55 m at
25° N) and projected to the spherical azimuthal equidistant plane centred on the
point. In that plane the distance from the origin to every vertex is exactly its
great-circle distance (computed with the haversine formula of
:func:`~core.geo.distance.haversine_m`, same Earth radius), and 0 inside the polygon;
between vertices the planar chord stands in for the edge. Within 300 km of the
centre the chord departs from the edge's true image by well under a millimetre
(the test suite checks 1 cm against a brute-force sampling), so a polygon is
"within r" exactly when some point of it is within r, up to that tolerance.
Edges are straight in lon/lat, as the stored geometry (PostGIS ``geometry``, shapely)
treats them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from core.geo.distance import EARTH_RADIUS_M

SEGMENT_DEG = 0.0005
"""Longest edge, in degrees, after densifying (≈ 55 m north–south)."""


def azimuthal_equidistant(coords: np.ndarray, centre_lon: float, centre_lat: float) -> np.ndarray:
    """Project (N, 2) lon/lat degrees (EPSG:4326) to metres around the centre.

    Returns (N, 2) x (east), y (north) in metres on the sphere of radius
    :data:`~core.geo.distance.EARTH_RADIUS_M`; ``hypot(x, y)`` is the great-circle
    distance to the centre. Undefined only at the antipode.
    """
    lon = np.radians(coords[:, 0])
    lat = np.radians(coords[:, 1])
    lon0, lat0 = np.radians(centre_lon), np.radians(centre_lat)
    d_lon = lon - lon0
    h = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat) * np.sin(d_lon / 2) ** 2
    rho = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    theta = np.arctan2(
        np.sin(d_lon) * np.cos(lat),
        np.cos(lat0) * np.sin(lat) - np.sin(lat0) * np.cos(lat) * np.cos(d_lon),
    )
    return np.column_stack((rho * np.sin(theta), rho * np.cos(theta)))


def distances_m(geoms: Sequence[BaseGeometry], centre_lon: float, centre_lat: float) -> np.ndarray:
    """Great-circle metres from the centre to each geometry (0 if it contains the centre).

    ``geoms`` are lon/lat degrees (EPSG:4326); see the module note for the tolerance.
    """
    if not geoms:
        return np.zeros(0)
    dense = shapely.segmentize(np.asarray(geoms, dtype=object), max_segment_length=SEGMENT_DEG)
    projected = shapely.transform(
        dense, lambda xy: azimuthal_equidistant(xy, centre_lon, centre_lat)
    )
    return shapely.distance(projected, shapely.Point(0.0, 0.0))
