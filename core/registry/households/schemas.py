"""Wire shapes for households and persons (points are lon/lat degrees, WGS-84).

Names, phones, birth years, sexes, tags, languages and addresses are personal: the
read shapes carry them only for callers allowed by
:func:`core.auth.personal.may_read_personal`; for others they are ``null`` and the
household point is rounded to 0.001° (about 100 m), see :data:`ROUNDED_DIGITS`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core import clock
from core.registry.validators import not_null, strip_not_blank
from core.registry.vocab import LANGUAGES, VULNERABILITY_TAGS

ROUNDED_DIGITS = 3
"""Decimals of lon/lat shown to callers without personal access (0.001° ≈ 100 m)."""
MIN_BIRTH_YEAR = 1880
MAX_MEMBERS = 60


def _tag(value: str) -> str:
    if value not in VULNERABILITY_TAGS:
        raise ValueError(f"unknown vulnerability tag {value!r}")
    return value


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError(f"unknown language {value!r}")
    return value


def _dedupe(values: list[str] | None) -> list[str] | None:
    return None if values is None else list(dict.fromkeys(values))


def current_year() -> int:
    """This year in Asia/Shanghai time, from the injectable clock."""
    return clock.local_today().year


def _birth_year(value: int | None) -> int | None:
    if value is not None and value > current_year():
        raise ValueError(f"birth year {value} is in the future")
    return value


Tag = Annotated[str, AfterValidator(_tag)]
Language = Annotated[str, AfterValidator(_language)]
Sex = Literal["female", "male", "other"]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Address = Annotated[str, Field(min_length=1, max_length=300)]
Phone = Annotated[
    str, Field(pattern=r"^\+?[0-9][0-9 ()-]{2,38}$", description="Digits, spaces, + ( ) -.")
]
BirthYear = Annotated[int, Field(ge=MIN_BIRTH_YEAR), AfterValidator(_birth_year)]
HouseholdCode = Annotated[
    str, Field(pattern=r"^[\w.-]{1,60}$", description="Unique; letters, digits, _ . -")
]
AreaCode = Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit division code.")]
GridCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="Degrees.")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="Degrees.")]


class PersonCreate(BaseModel):
    """A member of a household; ``tags`` and ``languages`` are vocabulary codes."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    birth_year: BirthYear | None = None
    sex: Sex | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=len(VULNERABILITY_TAGS))
    languages: list[Language] = Field(default_factory=list, max_length=len(LANGUAGES))
    phone: Phone | None = None

    _name = field_validator("name")(strip_not_blank)
    _codes = field_validator("tags", "languages")(_dedupe)


class PersonUpdate(BaseModel):
    """Changes to a person; ``tags``/``languages`` replace the old lists (``[]`` clears)."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    birth_year: BirthYear | None = None
    sex: Sex | None = None
    tags: list[Tag] | None = Field(None, max_length=len(VULNERABILITY_TAGS))
    languages: list[Language] | None = Field(None, max_length=len(LANGUAGES))
    phone: Phone | None = None

    _name = field_validator("name")(strip_not_blank)
    _set = field_validator("name", "tags", "languages", mode="before")(not_null)
    _codes = field_validator("tags", "languages")(_dedupe)


class HouseholdCreate(BaseModel):
    """A household with its members in one call.

    ``community_code`` may be omitted when a community with a boundary covers the
    point; ``grid_code`` may be omitted to derive the grid by point-in-polygon.
    ``contact_index`` is the position of the contact person in ``members``.
    """

    model_config = ConfigDict(extra="forbid")

    code: HouseholdCode | None = None
    address: Address
    lon: Lon
    lat: Lat
    community_code: AreaCode | None = None
    grid_code: GridCode | None = None
    phone: Phone | None = None
    members: list[PersonCreate] = Field(default_factory=list, max_length=MAX_MEMBERS)
    contact_index: int | None = Field(None, ge=0)

    _address = field_validator("address")(strip_not_blank)

    @field_validator("contact_index")
    @classmethod
    def _contact_in_members(cls, value: int | None, info: ValidationInfo) -> int | None:
        members = info.data.get("members")
        if value is not None and members is not None and value >= len(members):
            raise ValueError(f"no member at position {value} ({len(members)} member(s))")
        return value


class HouseholdUpdate(BaseModel):
    """Changes to a household. Moving it (lon/lat, community, grid) re-runs placement;
    ``grid_code: null`` derives the grid again; ``contact_person_id`` names a member."""

    model_config = ConfigDict(extra="forbid")

    code: HouseholdCode | None = None
    address: Address | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    community_code: AreaCode | None = None
    grid_code: GridCode | None = None
    phone: Phone | None = None
    contact_person_id: uuid.UUID | None = None

    _address = field_validator("address")(strip_not_blank)
    _set = field_validator("address", "lon", "lat", mode="before")(not_null)


class PersonRead(BaseModel):
    """A person; ``personal`` false means the personal fields are ``null``."""

    id: uuid.UUID
    household_id: uuid.UUID
    area_path: str
    personal: bool
    name: str | None = None
    birth_year: int | None = None
    sex: Sex | None = None
    tags: list[str] | None = None
    languages: list[str] | None = None
    phone: str | None = None
    is_contact: bool | None = None
    created_at: datetime
    updated_at: datetime


class HouseholdRead(BaseModel):
    """A household as lists return it.

    ``personal`` false: ``address``, ``phone`` and ``contact_person_id`` are ``null``
    and ``lon``/``lat`` are rounded to 0.001° (``point_exact`` false).
    """

    id: uuid.UUID
    code: str | None
    community_id: uuid.UUID
    community_code: str
    grid_id: uuid.UUID | None
    area_path: str
    lon: float
    lat: float
    point_exact: bool
    member_count: int
    personal: bool
    address: str | None = None
    phone: str | None = None
    contact_person_id: uuid.UUID | None = None
    created_at: datetime
    updated_at: datetime


class HouseholdDetail(HouseholdRead):
    """One household with its members (``members`` is ``null`` without personal access)."""

    members: list[PersonRead] | None = None


class ImportSummary(BaseModel):
    """What a household import wrote: households, persons, and the household codes."""

    created: int
    persons: int
    codes: list[str]
