"""Wire shapes for depots (points are lon/lat degrees, WGS-84 / EPSG:4326)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core.geo.crs import InputCrs, to_wgs84
from core.registry.depots.hours import ALWAYS_OPEN, OpeningHours
from core.registry.depots.kinds import OWN_KINDS, PEOPLE_KINDS, SITE_TYPES
from core.registry.depots.models import Depot, DepotKind
from core.registry.validators import not_null, strip_not_blank

Name = Annotated[str, Field(min_length=1, max_length=200)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="WGS-84 degrees")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="WGS-84 degrees")]
AreaCode = Annotated[str, Field(pattern=r"^\d{12}$", description="County, township or community.")]
Address = Annotated[str, Field(max_length=300)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{2,38}$", max_length=40)]
Capacity = Annotated[int, Field(gt=0, description="People (shelters, assembly points).")]
SiteType = Annotated[str | None, Field(json_schema_extra={"enum": [*SITE_TYPES, None]})]


def _site_type_rule(value: str | None, info: ValidationInfo) -> str | None:
    kind = info.data.get("kind")
    if value is not None and value not in SITE_TYPES:
        if value in OWN_KINDS:
            raise ValueError(f"{value} is a kind of its own: use kind {OWN_KINDS[value]}")
        raise ValueError(f"unknown site type {value!r}; one of {', '.join(SITE_TYPES)}")
    if kind is DepotKind.charity_site and value is None:
        raise ValueError("required for kind charity_site")
    if kind is not None and kind is not DepotKind.charity_site and value is not None:
        raise ValueError("only kind charity_site has a site type")
    return value


class DepotCreate(BaseModel):
    """A new depot; ``opening_hours`` defaults to always open for shelters and assembly
    points and to "not stated" otherwise (shape: :mod:`core.registry.depots.hours`)."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: DepotKind
    site_type: SiteType = Field(None, validate_default=True)
    area_code: AreaCode
    lon: Lon
    lat: Lat
    address: Address = ""
    owner_org_id: uuid.UUID | None = None
    capacity_people: Capacity | None = Field(None, validate_default=True)
    phone: Phone | None = None
    opening_hours: OpeningHours | None = Field(None, validate_default=True)

    _name = field_validator("name", mode="before")(strip_not_blank)
    _site = field_validator("site_type")(_site_type_rule)

    @field_validator("capacity_people")
    @classmethod
    def _capacity_rule(cls, value: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if value is None and kind in PEOPLE_KINDS:
            raise ValueError(f"required for kind {kind}: how many people it takes")
        return value

    @field_validator("opening_hours")
    @classmethod
    def _default_hours(cls, value: OpeningHours | None, info: ValidationInfo) -> OpeningHours:
        if (value is None or not value.is_stated()) and info.data.get("kind") in PEOPLE_KINDS:
            note = value.note if value is not None else None
            return OpeningHours(**ALWAYS_OPEN, note=note)
        return value if value is not None else OpeningHours()

    def in_wgs84(self, crs: InputCrs | str) -> DepotCreate:
        """This depot with lon/lat converted from ``crs`` to WGS-84 (EPSG:4326)."""
        lon, lat = to_wgs84(self.lon, self.lat, crs)
        return self.model_copy(update={"lon": lon, "lat": lat})


class DepotUpdate(BaseModel):
    """Changes to a depot; the result must pass every rule of :class:`DepotCreate`.

    ``null`` clears ``site_type``, ``owner_org_id``, ``capacity_people`` and ``phone``,
    and resets ``opening_hours`` to the default of the kind. ``lon`` and ``lat`` go
    together.
    """

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: DepotKind | None = None
    site_type: SiteType = None
    area_code: AreaCode | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    address: Address | None = None
    owner_org_id: uuid.UUID | None = None
    capacity_people: Capacity | None = None
    phone: Phone | None = None
    opening_hours: OpeningHours | None = None

    _name = field_validator("name", mode="before")(strip_not_blank)
    _set = field_validator("name", "kind", "area_code", "lon", "lat", "address", mode="before")(
        not_null
    )

    def in_wgs84(self, crs: InputCrs | str) -> DepotUpdate:
        """These changes with lon/lat converted from ``crs`` to WGS-84 (both or none given)."""
        if self.lon is None or self.lat is None:
            return self
        lon, lat = to_wgs84(self.lon, self.lat, crs)
        return self.model_copy(update={"lon": lon, "lat": lat})


def area_code_of(area_path: str) -> str:
    return area_path.rstrip("/").rsplit("/", 1)[-1]


class DepotRead(BaseModel):
    """A depot as the API returns it (lon/lat WGS-84 degrees)."""

    id: uuid.UUID
    name: str
    kind: DepotKind
    site_type: str | None
    area_id: uuid.UUID
    area_code: str
    area_path: str
    owner_org_id: uuid.UUID | None
    address: str
    lon: float
    lat: float
    capacity_people: int | None
    phone: str | None
    opening_hours: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, depot: Depot) -> DepotRead:
        return cls(
            id=depot.id,
            name=depot.name,
            kind=DepotKind(depot.kind),
            site_type=depot.site_type,
            area_id=depot.area_id,
            area_code=area_code_of(depot.area_path),
            area_path=depot.area_path,
            owner_org_id=depot.owner_org_id,
            address=depot.address,
            lon=depot.lon,
            lat=depot.lat,
            capacity_people=depot.capacity_people,
            phone=depot.phone,
            opening_hours=depot.opening_hours,
            created_at=depot.created_at,
            updated_at=depot.updated_at,
        )


class ImportSummary(BaseModel):
    """What an import wrote: the number of depots and their ids (in file order)."""

    created: int
    ids: list[uuid.UUID]
