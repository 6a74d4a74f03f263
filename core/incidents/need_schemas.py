"""Wire shapes for needs (points are lon/lat degrees, WGS-84 / EPSG:4326).

Skills and languages are codes of :mod:`core.registry.vocab`; items are catalogue
codes with integer quantities in the item's base unit. ``description`` is treated
as personal data: :class:`NeedRead` carries it only for callers allowed by
:func:`core.auth.personal.may_read_personal` (see :mod:`core.incidents.need_access`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core.incidents.need_models import NeedKind, NeedSource, NeedStatus
from core.registry.items.schemas import ItemCode
from core.registry.validators import strip
from core.registry.vocab import LANGUAGES, SKILLS
from core.registry.volunteers.schemas import LanguageCode, SkillCode

MAX_ITEMS = 100
MAX_QUANTITY = 1_000_000
SOS_SEVERITY = 4

AreaCode = Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit division code.")]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="Degrees.")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="Degrees.")]
Severity = Annotated[int, Field(ge=1, le=5, description="1 (minor) … 5 (life-threatening).")]
Description = Annotated[str, Field(max_length=2000)]
Quantity = Annotated[int, Field(gt=0, le=MAX_QUANTITY, description="In the item's base unit.")]


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _pair(value: float | None, info: ValidationInfo) -> float | None:
    """``lat`` is validated after ``lon``: both or neither."""
    if "lon" not in info.data:
        return value  # lon failed; its own error is reported
    if (value is None) != (info.data["lon"] is None):
        raise ValueError("give lon and lat together")
    return value


class NeedItemIn(BaseModel):
    """A catalogue item and how many base units of it."""

    model_config = ConfigDict(extra="forbid")

    item_code: ItemCode
    quantity: Quantity


class NeedCreate(BaseModel):
    """A need. Where it is: ``household_id`` (or ``person_id``, whose household is
    used), else ``community_code`` and/or ``lon``/``lat`` inside one of the incident's
    affected communities. A point given with a household overrides the household's
    point (an SOS away from home) but not its community.

    ``neighbours_first`` defaults to true for ``visit`` needs (自救互救).
    """

    model_config = ConfigDict(extra="forbid")

    kind: NeedKind
    household_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    community_code: AreaCode | None = None
    lon: Lon | None = None
    lat: Lat | None = Field(None, validate_default=True)
    description: Description = ""
    items: list[NeedItemIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    skills: list[SkillCode] = Field(default_factory=list, max_length=len(SKILLS))
    languages: list[LanguageCode] = Field(default_factory=list, max_length=len(LANGUAGES))
    severity: Severity = 3
    neighbours_first: bool | None = None

    _lat = field_validator("lat")(_pair)
    _text = field_validator("description", mode="before")(strip)
    _codes = field_validator("skills", "languages")(_dedupe)


class SosCreate(BaseModel):
    """An SOS: where the caller is now (``crs=gcj02`` accepted), how bad, for whom."""

    model_config = ConfigDict(extra="forbid")

    lon: Lon
    lat: Lat
    severity: Severity = SOS_SEVERITY
    description: Description = ""
    household_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    languages: list[LanguageCode] = Field(default_factory=list, max_length=len(LANGUAGES))

    _text = field_validator("description", mode="before")(strip)
    _codes = field_validator("languages")(_dedupe)

    def as_need(self) -> NeedCreate:
        """The need this SOS raises: a ``rescue`` at the caller's point."""
        return NeedCreate(kind=NeedKind.rescue, **self.model_dump())


class NeedTransition(BaseModel):
    """A status change; ``reason`` shows on the incident timeline (no personal data)."""

    model_config = ConfigDict(extra="forbid")

    to: NeedStatus
    reason: Annotated[str, Field(max_length=200)] | None = None


class NeedItemRead(BaseModel):
    item_id: uuid.UUID
    item_code: str
    base_unit: str
    quantity: int


class NeedRead(BaseModel):
    """A need. ``personal`` false: ``description`` is ``null`` and ``lon``/``lat`` are
    rounded to 0.001° (``point_exact`` false), as for households."""

    id: uuid.UUID
    incident_id: uuid.UUID
    community_id: uuid.UUID | None
    community_code: str
    area_path: str
    household_id: uuid.UUID | None
    person_id: uuid.UUID | None
    source: NeedSource
    kind: NeedKind
    status: NeedStatus
    severity: int
    vulnerability: float
    priority: float
    neighbours_first: bool
    skills: list[str]
    languages: list[str]
    items: list[NeedItemRead]
    is_drill: bool
    lon: float
    lat: float
    point_exact: bool
    personal: bool
    description: str | None = None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
