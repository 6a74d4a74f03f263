"""Wire shapes for volunteers (home point lon/lat in WGS-84 degrees, EPSG:4326).

Codes come from :mod:`core.registry.vocab` (skills, languages, vehicle classes) and
from :data:`CERT_KINDS` below (certifications). Name, phone and certificate numbers
are personal data: the read shapes (:mod:`.reads`) carry them only when allowed.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from core.registry.validators import not_null, strip_not_blank
from core.registry.vocab import LANGUAGES, SKILLS, VEHICLE_CLASSES
from core.registry.volunteers.availability import parse_availability
from core.registry.volunteers.models import VolunteerStatus

CERT_KINDS: dict[str, str] = {
    "first_aid_certificate": "红十字救护员证 Red Cross first-aider certificate",
    "nurse_license": "护士执业证书 nurse practising licence",
    "doctor_license": "医师执业证书 physician practising licence",
    "driving_license": "机动车驾驶证 driving licence",
    "psych_counselor": "心理咨询师/心理健康指导 psychological counsellor",
    "social_worker": "社会工作者职业资格 social worker qualification",
    "electrician": "电工作业操作证 electrician's operating certificate",
    "rescue_team": "应急救援队员证 emergency rescue team member card",
    "lifeguard": "救生员证 lifeguard certificate",
}
"""Certification kinds (codes stored; labels for people)."""

MAX_TRAVEL_KM = 200.0


def _code_in(vocabulary: Any, what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in vocabulary:
            raise ValueError(f"unknown {what} {value!r}")
        return value

    return AfterValidator(check)


def _dedupe(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(value))


def _availability(value: Any) -> Any:
    return None if value is None else parse_availability(value)


SkillCode = Annotated[str, _code_in(SKILLS, "skill")]
LanguageCode = Annotated[str, _code_in(LANGUAGES, "language")]
CertKind = Annotated[str, _code_in(CERT_KINDS, "certification kind")]
VehicleClass = Annotated[str, _code_in(VEHICLE_CLASSES, "vehicle class")]
AreaCode = Annotated[str, Field(pattern=r"^\d{12}$", description="12-digit division code.")]
Name = Annotated[str, Field(min_length=1, max_length=120)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 -]{2,38}$", max_length=40)]
Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, description="Degrees.")]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, description="Degrees.")]
TravelKm = Annotated[float, Field(gt=0, le=MAX_TRAVEL_KM, allow_inf_nan=False)]
MaxTasks = Annotated[int, Field(ge=1, le=20)]
Hours = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
Availability = Annotated[
    dict[str, Any],
    Field(description='{"always": true} or {"mon": [["08:00","18:00"]], …} (Asia/Shanghai).'),
]


class CertificationIn(BaseModel):
    """A certification; ``kind`` from :data:`CERT_KINDS`; ``expires_on`` null = no expiry."""

    model_config = ConfigDict(extra="forbid")

    kind: CertKind
    number: Annotated[str, Field(min_length=1, max_length=60)] | None = None
    issued_by: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    expires_on: date | None = None

    _text = field_validator("number", "issued_by")(strip_not_blank)


class VolunteerCreate(BaseModel):
    """A new volunteer; ``vehicle_class`` is required exactly when ``skills`` has driving."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    phone: Phone | None = None
    person_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None
    area_code: AreaCode
    lon: Lon
    lat: Lat
    skills: Annotated[list[SkillCode], Field(max_length=len(SKILLS))] = []
    vehicle_class: VehicleClass | None = Field(None, validate_default=True)
    languages: Annotated[list[LanguageCode], Field(max_length=len(LANGUAGES))] = []
    certifications: Annotated[list[CertificationIn], Field(max_length=20)] = []
    availability: Availability = {"always": True}
    max_travel_km: TravelKm = 10.0
    max_active_tasks: MaxTasks = 1
    insurance_valid_until: date | None = None
    status: VolunteerStatus = VolunteerStatus.active
    hours_served: Hours = 0.0

    _name = field_validator("name")(strip_not_blank)
    _lists = field_validator("skills", "languages")(_dedupe)
    _avail = field_validator("availability")(_availability)

    @field_validator("vehicle_class")
    @classmethod
    def _vehicle_rule(cls, value: str | None, info: ValidationInfo) -> str | None:
        skills = info.data.get("skills")
        if skills is None:
            return value
        return check_vehicle(skills, value)


def check_vehicle(skills: list[str], vehicle_class: str | None) -> str | None:
    """``vehicle_class`` if consistent with ``skills``; ``ValueError`` otherwise."""
    if "driving" in skills and vehicle_class is None:
        raise ValueError('required with the skill "driving"')
    if "driving" not in skills and vehicle_class is not None:
        raise ValueError('only with the skill "driving"')
    return vehicle_class


class VolunteerUpdate(BaseModel):
    """Changes (PATCH); lists replace; explicit ``null`` clears the nullable fields.

    Certifications change through their own routes.
    """

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    phone: Phone | None = None
    person_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None
    area_code: AreaCode | None = None
    lon: Lon | None = None
    lat: Lat | None = None
    skills: Annotated[list[SkillCode], Field(max_length=len(SKILLS))] | None = None
    vehicle_class: VehicleClass | None = None
    languages: Annotated[list[LanguageCode], Field(max_length=len(LANGUAGES))] | None = None
    availability: Availability | None = None
    max_travel_km: TravelKm | None = None
    max_active_tasks: MaxTasks | None = None
    insurance_valid_until: date | None = None
    status: VolunteerStatus | None = None
    hours_served: Hours | None = None

    _name = field_validator("name")(strip_not_blank)
    _lists = field_validator("skills", "languages")(_dedupe)
    _avail = field_validator("availability")(_availability)
    _set = field_validator(
        "name", "area_code", "lon", "lat", "skills", "languages", "availability",
        "max_travel_km", "max_active_tasks", "status", "hours_served", mode="before",
    )(not_null)  # fmt: skip


class VolunteerSelfUpdate(BaseModel):
    """What a volunteer changes on their own profile (PATCH /volunteers/me).

    Skills, certifications, insurance, status and hours are vouched for by a
    coordinator, so they are not here.
    """

    model_config = ConfigDict(extra="forbid")

    phone: Phone | None = None
    languages: Annotated[list[LanguageCode], Field(max_length=len(LANGUAGES))] | None = None
    availability: Availability | None = None

    _lists = field_validator("languages")(_dedupe)
    _avail = field_validator("availability")(_availability)
    _set = field_validator("languages", "availability", mode="before")(not_null)
