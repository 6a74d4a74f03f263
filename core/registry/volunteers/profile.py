"""A volunteer's own profile (GET/PATCH /volunteers/me) and certifications.

A volunteer changes only phone, languages and availability themselves; certifications
(kinds in ``schemas.CERT_KINDS``) are added and removed by a coordinator in scope.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal, Role
from core.errors import NotFound
from core.registry.volunteers.models import Volunteer, VolunteerCertification, VolunteerLanguage
from core.registry.volunteers.rules import emit_updated, get_for_write, replace_codes
from core.registry.volunteers.schemas import CertificationIn, VolunteerSelfUpdate


async def get_me(*, session: AsyncSession, principal: Principal) -> Volunteer:
    """The caller's own volunteer profile; 404 if no profile is linked to them."""
    if principal.role is not Role.volunteer or principal.volunteer_id is None:
        raise NotFound("no volunteer profile is linked to this user")
    v = await session.get(Volunteer, principal.volunteer_id)
    if v is None:
        raise NotFound("no volunteer profile is linked to this user")
    return v


async def update_me(
    *, session: AsyncSession, principal: Principal, data: VolunteerSelfUpdate
) -> Volunteer:
    """A volunteer changes their phone, languages or availability; ``volunteer.updated``."""
    v = await get_me(session=session, principal=principal)
    fields = data.model_fields_set
    if not fields:
        return v
    for name in fields - {"languages"}:
        setattr(v, name, getattr(data, name))
    v.updated_at = clock.now()
    await session.flush()
    if data.languages is not None:
        await replace_codes(session, VolunteerLanguage, "language", v.id, data.languages)
    await emit_updated(session, v, sorted(fields), v.area_path, by="self")
    return v


async def add_certification(
    *, session: AsyncSession, principal: Principal, volunteer_id: uuid.UUID, data: CertificationIn
) -> VolunteerCertification:
    """Add a certification (kind from ``CERT_KINDS``); ``volunteer.updated``."""
    v = await get_for_write(session=session, principal=principal, volunteer_id=volunteer_id)
    cert = VolunteerCertification(volunteer_id=v.id, **data.model_dump())
    session.add(cert)
    v.updated_at = clock.now()
    await session.flush()
    await emit_updated(session, v, ["certifications"], v.area_path, certification_id=cert.id)
    return cert


async def remove_certification(
    *,
    session: AsyncSession,
    principal: Principal,
    volunteer_id: uuid.UUID,
    certification_id: uuid.UUID,
) -> None:
    """Remove one certification of this volunteer (404 if it is not theirs)."""
    v = await get_for_write(session=session, principal=principal, volunteer_id=volunteer_id)
    cert = await session.get(VolunteerCertification, certification_id)
    if cert is None or cert.volunteer_id != v.id:
        raise NotFound("certification not found")
    await session.delete(cert)
    v.updated_at = clock.now()
    await session.flush()
    await emit_updated(session, v, ["certifications"], v.area_path, certification_id=cert.id)
