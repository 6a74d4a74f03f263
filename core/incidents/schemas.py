"""Wire shapes for incidents (shapes are lon/lat degrees, WGS-84 / EPSG:4326; radii metres)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.geo.crs import InputCrs, to_wgs84
from core.geo.shapes import to_geojson
from core.incidents.hazards import HAZARDS
from core.incidents.models import (
    Incident,
    IncidentCategory,
    IncidentMode,
    IncidentStatus,
    ResponseLevel,
)
from core.registry.validators import strip_not_blank

MAX_RADIUS_M = 300_000.0
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}

Hazard = Literal[tuple(HAZARDS)]  # type: ignore[valid-type]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="degrees")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="degrees")]
Geometry = Annotated[
    dict[str, Any],
    Field(description="GeoJSON Polygon or MultiPolygon, lon/lat degrees."),
]
Radius = Annotated[
    float, Field(gt=0, le=MAX_RADIUS_M, allow_inf_nan=False, description="Metres, ≤ 300 km.")
]
Speedup = Annotated[float, Field(ge=1, le=1000, allow_inf_nan=False)]
AreaCode = Annotated[str, Field(pattern=r"^\d{12}$")]
BBox = tuple[float, float, float, float]


def _level(value: Any) -> Any:
    """Accept 1–4 or the Roman numerals I–IV (I is the most severe)."""
    return ROMAN.get(value.strip().upper(), value) if isinstance(value, str) else value


class Centre(BaseModel):
    """An epicentre in lon/lat degrees."""

    model_config = ConfigDict(extra="forbid")

    lon: Lon
    lat: Lat


class IncidentCreate(BaseModel):
    """A declaration: ``area`` (a polygon) or ``centre`` + ``radius_m`` (a circle).

    ``category`` follows from ``hazard`` (give it only for ``other``); ``speedup``
    only for a ``live_drill``.
    """

    model_config = ConfigDict(extra="forbid")

    title: Title
    hazard: Hazard
    category: IncidentCategory | None = None
    level: ResponseLevel
    mode: IncidentMode = IncidentMode.real
    speedup: Speedup | None = None
    area: Geometry | None = None
    centre: Centre | None = None
    radius_m: Radius | None = None

    _title = field_validator("title", mode="before")(strip_not_blank)
    _lvl = field_validator("level", mode="before")(_level)

    def in_wgs84(self, crs: InputCrs | str) -> IncidentCreate:
        """This declaration with its coordinates converted from ``crs`` to WGS-84."""
        if InputCrs(crs) is InputCrs.wgs84:
            return self
        centre = self.centre
        if centre is not None:
            lon, lat = to_wgs84(centre.lon, centre.lat, crs)
            centre = Centre(lon=lon, lat=lat)
        area = self.area
        if area is not None:
            area = {**area, "coordinates": _map_pairs(area.get("coordinates"), crs)}
        return self.model_copy(update={"centre": centre, "area": area})


def _map_pairs(value: Any, crs: InputCrs | str) -> Any:
    """Convert every [lon, lat] pair in nested GeoJSON coordinates; leave malformed parts."""
    if not isinstance(value, list):
        return value
    if len(value) >= 2 and all(isinstance(v, int | float) for v in value[:2]):
        return [*to_wgs84(float(value[0]), float(value[1]), crs), *value[2:]]
    return [_map_pairs(v, crs) for v in value]


class LevelChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: ResponseLevel
    _lvl = field_validator("level", mode="before")(_level)


class MutualAidOpen(BaseModel):
    """Areas (any level) to open for mutual aid, by code."""

    model_config = ConfigDict(extra="forbid")

    area_codes: Annotated[list[AreaCode], Field(min_length=1, max_length=100)]


def _code(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


class IncidentRead(BaseModel):
    """An incident. ``area`` is its polygon, or null for a circle (``centre`` + ``radius_m``);
    ``bbox`` covers either; ``area_code`` is the declaring scope (the deepest area holding
    every affected community)."""

    id: uuid.UUID
    title: str
    hazard: str
    category: IncidentCategory
    level: int
    mode: IncidentMode
    speedup: float
    is_drill: bool
    status: IncidentStatus
    area_code: str
    area_path: str
    area: dict[str, Any] | None
    centre: Centre | None
    radius_m: float | None
    bbox: BBox | None
    declared_by: uuid.UUID | None
    declared_at: datetime
    stood_down_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, row: Incident, **extra: Any) -> Any:
        centre = None
        if row.centre_lon is not None and row.centre_lat is not None:
            centre = Centre(lon=row.centre_lon, lat=row.centre_lat)
        bbox = None
        if row.min_lon is not None:
            bbox = (row.min_lon, row.min_lat, row.max_lon, row.max_lat)
        return cls(
            id=row.id,
            title=row.title,
            hazard=row.hazard,
            category=IncidentCategory(row.category),
            level=row.level,
            mode=IncidentMode(row.mode),
            speedup=row.speedup,
            is_drill=row.is_drill,
            status=IncidentStatus(row.status),
            area_code=_code(row.area_path),
            area_path=row.area_path,
            area=to_geojson(row.boundary),
            centre=centre,
            radius_m=row.radius_m,
            bbox=bbox,  # type: ignore[arg-type]
            declared_by=row.declared_by,
            declared_at=row.declared_at,
            stood_down_at=row.stood_down_at,
            updated_at=row.updated_at,
            **extra,
        )


class CoveredAreaRead(BaseModel):
    """An area an incident covers: an ``affected`` community or a ``mutual_aid`` area."""

    area_id: uuid.UUID
    code: str
    name: str
    level: int
    area_path: str
    role: Literal["affected", "mutual_aid"]
    opened_by: uuid.UUID | None
    opened_at: datetime


class IncidentDetail(IncidentRead):
    """One incident with how many communities it affects and the areas opened for mutual aid."""

    affected_communities: int
    mutual_aid: list[CoveredAreaRead]


class TimelineEvent(BaseModel):
    """One event of an incident's timeline (the socket shape of DESIGN.md Conventions)."""

    seq: int
    epoch: str
    type: str
    at: datetime
    data: dict[str, Any]
