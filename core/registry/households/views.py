"""Read shapes of households and persons, with personal fields only where allowed.

Every function here that returns personal fields logs the read with
:func:`core.auth.service.log_personal_read`: one row per household and per person
shown, ``purpose`` being the request's method and path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal
from core.auth.service import log_personal_read
from core.registry.households.access import personal
from core.registry.households.models import Household, Person, PersonTag
from core.registry.households.schemas import (
    ROUNDED_DIGITS,
    HouseholdDetail,
    HouseholdRead,
    PersonRead,
)

_CHUNK = 5000


async def present_households(
    *,
    session: AsyncSession,
    principal: Principal,
    households: Sequence[Household],
    purpose: str,
    with_members: bool = False,
    granted: bool = False,
) -> list[HouseholdDetail]:
    """Households as :class:`HouseholdDetail` (``members`` filled if ``with_members``).

    ``granted``: the caller has already established the principal's right to these
    households' personal data (a volunteer on an active assignment); all are shown."""
    counts = await _member_counts(session, [h.id for h in households])
    allowed = [h for h in households if granted or personal(principal, h)]
    allowed_ids = {h.id for h in allowed}
    members: dict[uuid.UUID, list[PersonRead]] = {}
    if with_members and allowed:
        members = await _members(session, allowed)
    out = [
        _household(h, counts.get(h.id, 0), h.id in allowed_ids, members.get(h.id))
        for h in households
    ]
    if allowed:
        await log_personal_read(
            session=session,
            principal=principal,
            subject_kind="household",
            subject_ids=[h.id for h in allowed],
            purpose=purpose,
        )
    people = [p.id for group in members.values() for p in group]
    if people:
        await log_personal_read(
            session=session,
            principal=principal,
            subject_kind="person",
            subject_ids=people,
            purpose=purpose,
        )
    return out


def as_list_item(detail: HouseholdDetail) -> HouseholdRead:
    """The list shape (no ``members``)."""
    return HouseholdRead.model_validate(detail.model_dump(exclude={"members"}))


async def present_persons(
    *,
    session: AsyncSession,
    principal: Principal,
    rows: Sequence[tuple[Person, Household]],
    purpose: str,
) -> list[PersonRead]:
    """Persons (each with its household) as :class:`PersonRead`; logs the personal ones."""
    allowed = {p.id for p, h in rows if personal(principal, h)}
    tags = await _tags(session, sorted(allowed))
    out = [_person(p, h, p.id in allowed, tags.get(p.id, [])) for p, h in rows]
    if allowed:
        await log_personal_read(
            session=session,
            principal=principal,
            subject_kind="person",
            subject_ids=[p.id for p, _ in rows if p.id in allowed],
            purpose=purpose,
        )
    return out


def _household(
    h: Household, count: int, allowed: bool, members: list[PersonRead] | None
) -> HouseholdDetail:
    lon, lat = (
        (h.lon, h.lat) if allowed else (round(h.lon, ROUNDED_DIGITS), round(h.lat, ROUNDED_DIGITS))
    )
    return HouseholdDetail(
        id=h.id,
        code=h.code,
        community_id=h.community_id,
        community_code=h.area_path.rstrip("/").rsplit("/", 1)[-1],
        grid_id=h.grid_id,
        area_path=h.area_path,
        lon=lon,
        lat=lat,
        point_exact=allowed,
        member_count=count,
        personal=allowed,
        address=h.address if allowed else None,
        phone=h.phone if allowed else None,
        contact_person_id=h.contact_person_id if allowed else None,
        created_at=h.created_at,
        updated_at=h.updated_at,
        members=members,
    )


def _person(p: Person, h: Household, allowed: bool, tags: list[str]) -> PersonRead:
    read = PersonRead(
        id=p.id,
        household_id=p.household_id,
        area_path=p.area_path,
        personal=allowed,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )
    if allowed:
        read.name, read.birth_year, read.sex = p.name, p.birth_year, p.sex  # type: ignore[assignment]
        read.tags, read.languages, read.phone = tags, list(p.languages or []), p.phone
        read.is_contact = h.contact_person_id == p.id
    return read


async def _member_counts(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    counts: dict[uuid.UUID, int] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            select(Person.household_id, func.count())
            .where(Person.household_id.in_(ids[start : start + _CHUNK]))
            .group_by(Person.household_id)
        )
        counts.update({hid: int(n) for hid, n in await session.execute(stmt)})
    return counts


async def _members(
    session: AsyncSession, households: Sequence[Household]
) -> dict[uuid.UUID, list[PersonRead]]:
    by_id = {h.id: h for h in households}
    stmt = select(Person).where(Person.household_id.in_(list(by_id))).order_by(Person.id)
    persons = list((await session.scalars(stmt)).all())
    tags = await _tags(session, [p.id for p in persons])
    out: dict[uuid.UUID, list[PersonRead]] = {h.id: [] for h in households}
    for p in persons:
        out[p.household_id].append(_person(p, by_id[p.household_id], True, tags.get(p.id, [])))
    return out


async def _tags(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = (
            select(PersonTag.person_id, PersonTag.tag)
            .where(PersonTag.person_id.in_(ids[start : start + _CHUNK]))
            .order_by(PersonTag.person_id, PersonTag.tag)
        )
        for pid, tag in await session.execute(stmt):
            out.setdefault(pid, []).append(tag)
    return out
