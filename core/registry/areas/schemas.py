"""Wire shapes for areas and grids (boundaries are GeoJSON, lon/lat, EPSG:4326)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from shapely.geometry.base import BaseGeometry

from core.geo.shapes import to_geojson
from core.registry.areas.models import Area, AreaLevel, Grid
from core.registry.validators import not_null, strip_not_blank

AreaCode = Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit division code.")]
GridCode = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$", description="Unique within its community.")
]
Name = Annotated[str, Field(min_length=1, max_length=120)]
UrbanRural = Literal["urban", "rural"]
Geometry = Annotated[
    dict[str, Any],
    Field(description="GeoJSON Polygon or MultiPolygon, lon/lat degrees (EPSG:4326)."),
]
BBox = tuple[float, float, float, float]


class AreaCreate(BaseModel):
    """A new area; its parent is named by code and must be exactly one level up."""

    model_config = ConfigDict(extra="forbid")

    code: AreaCode
    name: Name
    level: AreaLevel
    parent_code: AreaCode | None = Field(None, validate_default=True)
    urban_rural: UrbanRural | None = None
    boundary: Geometry | None = None

    _name = field_validator("name")(strip_not_blank)

    @field_validator("parent_code")
    @classmethod
    def _parent_rule(cls, value: str | None, info: ValidationInfo) -> str | None:
        level = info.data.get("level")
        if level is None:
            return value
        if level == AreaLevel.province and value is not None:
            raise ValueError("a province has no parent")
        if level != AreaLevel.province and value is None:
            raise ValueError("required for every level below the province")
        return value


class AreaUpdate(BaseModel):
    """Changes to an area; code, level and parent never change. ``boundary: null`` clears."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    urban_rural: UrbanRural | None = None
    boundary: Geometry | None = None

    _name = field_validator("name")(strip_not_blank)
    _name_set = field_validator("name", mode="before")(not_null)


def _bbox(row: Area | Grid) -> BBox | None:
    if row.min_lon is None:
        return None
    return (row.min_lon, row.min_lat, row.max_lon, row.max_lat)  # type: ignore[return-value]


def _parent_of(path: str) -> str | None:
    parts = path.rstrip("/").split("/")
    return parts[-2] if len(parts) > 1 else None


class AreaRead(BaseModel):
    """An area as the API returns it; ``bbox`` is [min_lon, min_lat, max_lon, max_lat]."""

    id: uuid.UUID
    code: str
    name: str
    level: AreaLevel
    parent_id: uuid.UUID | None
    parent_code: str | None
    area_path: str
    urban_rural: UrbanRural | None
    bbox: BBox | None
    boundary: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, area: Area) -> AreaRead:
        return cls(
            id=area.id,
            code=area.code,
            name=area.name,
            level=AreaLevel(area.level),
            parent_id=area.parent_id,
            parent_code=_parent_of(area.area_path),
            area_path=area.area_path,
            urban_rural=area.urban_rural,  # type: ignore[arg-type]
            bbox=_bbox(area),
            boundary=to_geojson(area.boundary),
            created_at=area.created_at,
            updated_at=area.updated_at,
        )


class GridCreate(BaseModel):
    """A new grid (网格); its community is given by the route."""

    model_config = ConfigDict(extra="forbid")

    code: GridCode
    name: Name
    boundary: Geometry | None = None

    _name = field_validator("name")(strip_not_blank)


class GridUpdate(BaseModel):
    """Changes to a grid; the code and community never change. ``boundary: null`` clears."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    boundary: Geometry | None = None

    _name = field_validator("name")(strip_not_blank)
    _name_set = field_validator("name", mode="before")(not_null)


class GridRead(BaseModel):
    id: uuid.UUID
    community_id: uuid.UUID
    community_code: str
    code: str
    name: str
    area_path: str
    bbox: BBox | None
    boundary: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, grid: Grid) -> GridRead:
        return cls(
            id=grid.id,
            community_id=grid.community_id,
            community_code=grid.area_path.rstrip("/").rsplit("/", 1)[-1],
            code=grid.code,
            name=grid.name,
            area_path=grid.area_path,
            bbox=_bbox(grid),
            boundary=to_geojson(grid.boundary),
            created_at=grid.created_at,
            updated_at=grid.updated_at,
        )


@dataclass(frozen=True, slots=True)
class AreaImportRow:
    """One row of an import file, loosely typed: the import service validates every field.

    ``geometry`` is a shapely geometry or a GeoJSON dict in lon/lat degrees (EPSG:4326),
    or ``None`` for no boundary.
    """

    code: Any
    name: Any
    level: Any
    parent_code: Any = None
    urban_rural: Any = None
    geometry: BaseGeometry | dict[str, Any] | None = None


class ImportResult(BaseModel):
    """What an import wrote: the number of areas and their codes (in insert order)."""

    created: int
    codes: list[str]
