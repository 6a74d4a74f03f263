"""Read located rows (depots, households, volunteers …) from CSV, GeoJSON or GeoPackage.

geopandas/pyogrio, imported lazily. Every row comes out as a dict of its columns
(names stripped and lower-cased; empty cells and NaN as None) plus ``lon``/``lat`` in
WGS-84 degrees (EPSG:4326), taken from a Point geometry or, in a CSV, from
``lon``/``lat`` (or ``longitude``/``latitude``, ``x``/``y``) columns. A file in
another CRS is reprojected; ``crs=gcj02`` converts GCJ-02 coordinates. Domain
importers validate the rows and report errors as ``("rows", i, field)``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from core.errors import Invalid
from core.geo.crs import InputCrs, to_wgs84

_SQLITE_MAGIC = b"SQLite format 3\x00"
_LON_NAMES = ("lon", "lng", "longitude", "x")
_LAT_NAMES = ("lat", "latitude", "y")


def sniff_table_format(path: Path) -> str:
    """``gpkg``, ``geojson`` or ``csv`` from the first bytes; 422 naming ``file`` otherwise."""
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(_SQLITE_MAGIC):
        return "gpkg"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "geojson"
    try:
        first_line = text.decode("utf-8").splitlines()[0] if text else ""
    except UnicodeDecodeError:
        first_line = ""
    if "," in first_line:
        return "csv"
    raise Invalid.field(("file",), "not a CSV, GeoJSON or GeoPackage file")


def read_located_rows(
    path: str | Path, *, crs: InputCrs | str = InputCrs.wgs84, layer: str | None = None
) -> list[dict[str, Any]]:
    """The rows of ``path`` with ``lon``/``lat`` (WGS-84; None where a row has no point).

    Raises :class:`~core.errors.Invalid` (loc ``("file",)``) for an unreadable file or
    one without rows.
    """
    path = Path(path)
    fmt = sniff_table_format(path)
    frame = _read(path, fmt, layer)
    geom_name = getattr(frame, "active_geometry_name", None) if fmt != "csv" else None
    crs_of_file = frame.crs if geom_name is not None else None
    if crs_of_file is not None and not crs_of_file.equals("EPSG:4326", ignore_axis_order=True):
        frame = frame.to_crs(4326)
    if len(frame) == 0:
        raise Invalid.field(("file",), "the file has no rows")
    rows: list[dict[str, Any]] = []
    for record in frame.to_dict("records"):
        geom = record.pop(geom_name, None) if geom_name else None
        row = {str(k).strip().lower(): _clean(v) for k, v in record.items()}
        lon, lat = _point(row, geom)
        if lon is not None and lat is not None:
            lon, lat = to_wgs84(lon, lat, crs)
        row["lon"], row["lat"] = lon, lat
        rows.append(row)
    return rows


def _read(path: Path, fmt: str, layer: str | None) -> Any:
    import pyogrio
    import pyogrio.errors

    failures = (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.CRSError,
        ValueError,
    )
    try:
        if fmt == "csv":
            return pyogrio.read_dataframe(path, read_geometry=False, encoding="utf-8")
        import geopandas

        return geopandas.read_file(path, engine="pyogrio", layer=layer)
    except failures as exc:
        first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        raise Invalid.field(("file",), f"cannot read the file: {first}") from exc


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _point(row: dict[str, Any], geom: Any) -> tuple[float | None, float | None]:
    if geom is not None and not getattr(geom, "is_empty", True):
        if geom.geom_type == "Point":
            return float(geom.x), float(geom.y)
        return math.nan, math.nan  # not a point: the importer reports it
    lon = next((_number(row.pop(n)) for n in _LON_NAMES if n in row), None)
    lat = next((_number(row.pop(n)) for n in _LAT_NAMES if n in row), None)
    return lon, lat
