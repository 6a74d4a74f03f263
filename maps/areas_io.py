"""Read areas from GeoJSON or GeoPackage files into import rows (geopandas, lazily).

Columns: ``code``, ``name``, ``level`` (required), ``parent_code``, ``urban_rural``
(optional) and the geometry (optional per row). Geometries come out in lon/lat
degrees (EPSG:4326): a file declaring another CRS is reprojected; a file without
one is taken as EPSG:4326 (as RFC 7946 says for GeoJSON).
"""

from __future__ import annotations

import asyncio
import math
import numbers
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.errors import FieldError, Invalid
from core.registry.areas import service
from core.registry.areas.schemas import AreaImportRow, ImportResult

REQUIRED = ("code", "name", "level")
OPTIONAL = ("parent_code", "urban_rural")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def sniff_format(head: bytes) -> str:
    """``"gpkg"`` or ``"geojson"`` from a file's first bytes; 422 naming ``file`` otherwise."""
    if head.startswith(_SQLITE_MAGIC):
        return "gpkg"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return "geojson"
    raise Invalid.field(("file",), "not a GeoJSON or GeoPackage file")


def import_file(path: str | Path, *, layer: str | None = None) -> list[AreaImportRow]:
    """Read ``path`` (GeoJSON or GeoPackage) into rows with lon/lat geometries (EPSG:4326).

    Raises :class:`~core.errors.Invalid` with loc ``("file",)`` for an unreadable or
    malformed file and ``("file", column)`` for each missing required column.
    """
    path = Path(path)
    with path.open("rb") as fh:
        fmt = sniff_format(fh.read(64))
    frame = _read(path, layer)
    geom_name = getattr(frame, "active_geometry_name", None)
    frame = frame.rename(
        columns={c: str(c).strip().lower() for c in frame.columns if c != geom_name}
    )
    if len(frame) == 0:
        raise Invalid.field(("file",), "the file has no features")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        errors = [FieldError(("file", c), f"missing column {c}") for c in missing]
        raise Invalid(f"the {fmt} file lacks column(s) {', '.join(missing)}", errors=errors)
    geoms: list[Any] = [None] * len(frame)
    if geom_name is not None:
        if frame.crs is not None and not frame.crs.equals("EPSG:4326", ignore_axis_order=True):
            frame = frame.to_crs(4326)
        geoms = list(frame[geom_name])
        frame = frame.drop(columns=[geom_name])
    records = frame.to_dict("records")
    return [_row(rec, geom) for rec, geom in zip(records, geoms, strict=True)]


def _read(path: Path, layer: str | None) -> Any:
    import geopandas
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
        return geopandas.read_file(path, engine="pyogrio", layer=layer)
    except failures as exc:
        raise Invalid.field(("file",), f"cannot read the file: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]


def _row(rec: dict[str, Any], geom: Any) -> AreaImportRow:
    return AreaImportRow(
        code=_code(rec.get("code")),
        name=_text(rec.get("name")),
        level=_level(rec.get("level")),
        parent_code=_code(rec.get("parent_code")),
        urban_rural=_text(rec.get("urban_rural")),
        geometry=None if _missing(geom) else geom,
    )


def _missing(value: Any) -> bool:
    """None, NaN, pandas' NA and NaT (what empty cells become)."""
    if value is None:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return math.isnan(float(value))
    return type(value).__name__ in {"NAType", "NaTType"}


def _text(value: Any) -> Any:
    """Strings stripped (blank → None); NaN/None → None; anything else as is."""
    if _missing(value):
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value


def _integral(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(value)
    return None


def _code(value: Any) -> Any:
    """A code as its digit string (ints and integral floats too); invalid ones pass on."""
    value = _text(value)
    number = _integral(value)
    return str(number) if number is not None else value


def _level(value: Any) -> Any:
    """A level as an int when it is one (``3``, ``3.0``, ``"3"``); else passed on."""
    value = _text(value)
    number = _integral(value)
    if number is not None:
        return number
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


async def import_areas_file(
    *, session: AsyncSession, principal_or_none: Principal | None, path: str | Path
) -> ImportResult:
    """Read ``path`` and import it all or nothing; ``None`` acts as the system (CLI)."""
    rows = await asyncio.to_thread(import_file, path)
    return await service.import_areas(session=session, principal=principal_or_none, rows=rows)
