"""Read shapes for volunteers: what the API returns (home point lon/lat, EPSG:4326).

``personal`` says whether the personal fields (``name``, ``phone``, certificate
``number``) are filled; when false they are ``null``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from core.registry.volunteers.models import Volunteer, VolunteerCertification


class CertificationRead(BaseModel):
    id: uuid.UUID
    kind: str
    number: str | None  # personal: Chinese driving licences carry the ID-card number
    issued_by: str | None
    expires_on: date | None

    @classmethod
    def of(cls, cert: VolunteerCertification, *, personal: bool = True) -> CertificationRead:
        return cls(
            id=cert.id,
            kind=cert.kind,
            number=cert.number if personal else None,
            issued_by=cert.issued_by,
            expires_on=cert.expires_on,
        )


class VolunteerRead(BaseModel):
    id: uuid.UUID
    personal: bool
    name: str | None
    phone: str | None
    person_id: uuid.UUID | None
    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    area_id: uuid.UUID
    area_code: str
    area_path: str
    lon: float
    lat: float
    skills: list[str]
    vehicle_class: str | None
    languages: list[str]
    certifications: list[CertificationRead]
    availability: dict[str, Any]
    max_travel_km: float
    max_active_tasks: int
    insurance_valid_until: date | None
    status: str
    hours_served: float
    live_lon: float | None
    live_lat: float | None
    live_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(
        cls,
        v: Volunteer,
        *,
        skills: Sequence[str],
        languages: Sequence[str],
        certifications: Sequence[VolunteerCertification],
        personal: bool,
    ) -> VolunteerRead:
        return cls(
            id=v.id,
            personal=personal,
            name=v.name if personal else None,
            phone=v.phone if personal else None,
            person_id=v.person_id,
            user_id=v.user_id,
            org_id=v.org_id,
            area_id=v.area_id,
            area_code=v.area_path.rstrip("/").rsplit("/", 1)[-1],
            area_path=v.area_path,
            lon=v.lon,
            lat=v.lat,
            skills=sorted(skills),
            vehicle_class=v.vehicle_class,
            languages=sorted(languages),
            certifications=[CertificationRead.of(c, personal=personal) for c in certifications],
            availability=v.availability,
            max_travel_km=v.max_travel_km,
            max_active_tasks=v.max_active_tasks,
            insurance_valid_until=v.insurance_valid_until,
            status=v.status,
            hours_served=v.hours_served,
            live_lon=v.live_lon,
            live_lat=v.live_lat,
            live_at=v.live_at,
            created_at=v.created_at,
            updated_at=v.updated_at,
        )


class ImportSummary(BaseModel):
    """What an import wrote: the number of volunteers and their ids (in file order)."""

    created: int
    ids: list[uuid.UUID]
