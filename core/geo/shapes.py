"""Polygon validation and the boundary + bounding-box mixin (WGS-84, degrees)."""

from __future__ import annotations

from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity
from sqlalchemy import CheckConstraint, Float
from sqlalchemy.orm import Mapped, mapped_column

from core.db import GeoMultiPolygon


class ShapeError(ValueError):
    """A geometry that cannot be stored; the message says why."""


def check_lon_lat(lon: float, lat: float) -> None:
    """Raise :class:`ShapeError` unless ``lon``/``lat`` are WGS-84 degrees in range."""
    if not (-180.0 <= lon <= 180.0):
        raise ShapeError(f"longitude {lon} is outside -180..180")
    if not (-90.0 <= lat <= 90.0):
        raise ShapeError(f"latitude {lat} is outside -90..90")


def to_multipolygon(geojson: dict[str, Any] | BaseGeometry) -> MultiPolygon:
    """Parse and validate a Polygon/MultiPolygon (GeoJSON dict or shapely; lon/lat, EPSG:4326).

    Returns a valid MultiPolygon with RFC 7946 ring orientation. Raises
    :class:`ShapeError` naming the reason for empty, invalid (self-intersecting,
    unclosed …) or out-of-range shapes.
    """
    try:
        geom = geojson if isinstance(geojson, BaseGeometry) else shape(geojson)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ShapeError(f"not a GeoJSON geometry: {exc}") from exc
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if not isinstance(geom, MultiPolygon):
        raise ShapeError(f"expected a Polygon or MultiPolygon, got {geom.geom_type}")
    if geom.is_empty:
        raise ShapeError("the shape is empty")
    if shapely.has_z(geom):
        geom = shapely.force_2d(geom)
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    check_lon_lat(min_lon, min_lat)
    check_lon_lat(max_lon, max_lat)
    if not geom.is_valid:
        raise ShapeError(f"invalid shape: {explain_validity(geom)}")
    return MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])


def to_geojson(geom: BaseGeometry | None) -> dict[str, Any] | None:
    """A shapely geometry as a GeoJSON geometry dict (RFC 7946 orientation)."""
    if geom is None:
        return None
    if isinstance(geom, MultiPolygon):
        geom = MultiPolygon([orient(p, sign=1.0) for p in geom.geoms])
    return mapping(geom)


class BoundaryMixin:
    """An optional ``boundary`` MultiPolygon with its bounding box in degrees."""

    boundary: Mapped[BaseGeometry | None] = mapped_column(GeoMultiPolygon(), nullable=True)
    min_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lat: Mapped[float | None] = mapped_column(Float, nullable=True)

    def set_boundary(self, geom: MultiPolygon | None) -> None:
        """Store ``geom`` (already validated) and its bounding box."""
        self.boundary = geom
        if geom is None:
            self.min_lon = self.min_lat = self.max_lon = self.max_lat = None
        else:
            self.min_lon, self.min_lat, self.max_lon, self.max_lat = geom.bounds


class PointMixin:
    """A WGS-84 point as real ``lon``/``lat`` columns (degrees), range-checked by the database.

    On PostgreSQL a migration adds the generated ``geog geography(Point, 4326)``
    column and its GiST index with :func:`core.db.postgis_point_ddl`. Models add
    ``*point_checks()`` to their ``__table_args__``.
    """

    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


def point_checks() -> tuple[CheckConstraint, ...]:
    """CHECK constraints keeping ``lon``/``lat`` in range (for models and migrations)."""
    return (
        CheckConstraint("lon >= -180 AND lon <= 180", name="lon_range"),
        CheckConstraint("lat >= -90 AND lat <= 90", name="lat_range"),
    )
