"""Households: the rules. No FastAPI here; services flush, never commit.

Reach (rows visible at all; others are 404 and absent from lists): admin everything;
coordinator, grid worker and auditor their area subtree; a household contact their
own household only; a volunteer nothing yet (an active assignment will grant it).

Personal fields (address, phone, contact, exact point, members' names, phones,
birth years, sexes, tags, languages) per row by
:func:`core.auth.personal.may_read_personal`: admin; coordinator in subtree; grid
worker in their grids; auditor in subtree only when granted; contact own household.
Other rows come with those fields ``null`` and the point rounded to 0.001° (~100 m),
so maps of coverage still work without revealing a door. Filters that would reveal
personal data (``bbox``/``near`` on the exact point, ``has_tag``) match only rows the
caller may read personally. Every response with personal fields is logged.

Writes (403 for a row in reach that the role may not change):

=================  ==================  ===============================  ================
role               create household    change / delete household        persons
=================  ==================  ===============================  ================
admin              anywhere            anywhere                         anywhere
coordinator        in their subtree    in their subtree                 in their subtree
grid_worker        in their grids      in their grids (and stays so)    in their grids
household_contact  no                  own household: ``phone`` only    own household
volunteer/auditor  no                  no                               no
=================  ==================  ===============================  ================

The rules live in :mod:`~core.registry.households.access`; placement (community and
grid by point-in-polygon) in :mod:`~core.registry.households.placement`; the
set-based :func:`create_households` in :mod:`~core.registry.households.create`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.errors import Conflict, FieldError, Invalid, NotFound
from core.events.outbox import emit_many
from core.geo.near import near_clause
from core.registry.areas.rules import area_in_scope_or_invalid
from core.registry.households.access import (
    ensure_may_change,
    in_reach,
    personal_clause,
    reach_clause,
)
from core.registry.households.create import (
    create_households,
    existing_codes,
    household_event,
)
from core.registry.households.models import Household, Person, PersonTag
from core.registry.households.moves import MOVE_FIELDS, move_household
from core.registry.households.schemas import HouseholdUpdate
from core.registry.vocab import VULNERABILITY_TAGS, check_codes

__all__ = [
    "create_households",
    "delete_household",
    "get_household",
    "list_households",
    "update_household",
]


async def get_household(
    *, session: AsyncSession, principal: Principal, household_id: uuid.UUID
) -> Household:
    """A household in the principal's reach; 404 otherwise."""
    household = await session.get(Household, household_id)
    if household is None or not in_reach(
        principal, area_path=household.area_path, household_id=household.id
    ):
        raise NotFound("household not found")
    return household


async def list_households(
    *,
    session: AsyncSession,
    principal: Principal,
    area_code: str | None = None,
    community_code: str | None = None,
    grid_id: uuid.UUID | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    near: tuple[float, float, float] | None = None,
    has_tags: Sequence[str] = (),
    after: uuid.UUID | None = None,
    limit: int,
) -> list[Household]:
    """Households in reach ordered by id (keyset: ``after`` is the last id seen).

    ``bbox`` (minlon, minlat, maxlon, maxlat) and ``near`` (lon, lat, km; spherical)
    are WGS-84 degrees; ``has_tags``: a member has any of these tags.
    """
    stmt = select(Household).where(
        reach_clause(principal, area_path=Household.area_path, household_id=Household.id)
    )
    if area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area_code, loc=("query", "area")
        )
        stmt = stmt.where(Household.area_path.startswith(root.area_path, autoescape=True))
    if community_code is not None:
        community = await area_in_scope_or_invalid(
            session=session, principal=principal, code=community_code, loc=("query", "community")
        )
        stmt = stmt.where(Household.community_id == community.id)
    if grid_id is not None:
        stmt = stmt.where(Household.grid_id == grid_id)
    if bbox is not None or near is not None or has_tags:
        stmt = stmt.where(
            personal_clause(
                principal,
                area_path=Household.area_path,
                grid_id=Household.grid_id,
                household_id=Household.id,
            )
        )
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        stmt = stmt.where(
            Household.lon.between(min_lon, max_lon), Household.lat.between(min_lat, max_lat)
        )
    if near is not None:
        lon, lat, km = near
        dialect = session.bind.dialect.name
        stmt = stmt.where(near_clause(Household, lon=lon, lat=lat, km=km, dialect=dialect))
    if has_tags:
        tags = check_codes(has_tags, VULNERABILITY_TAGS, ("query", "has_tag"), "vulnerability tag")
        tagged = select(Person.household_id).join(PersonTag, PersonTag.person_id == Person.id)
        stmt = stmt.where(Household.id.in_(tagged.where(PersonTag.tag.in_(tags))))
    if after is not None:
        stmt = stmt.where(Household.id > after)
    return list((await session.scalars(stmt.order_by(Household.id).limit(limit))).all())


async def update_household(
    *, session: AsyncSession, principal: Principal, household_id: uuid.UUID, data: HouseholdUpdate
) -> Household:
    """Change a household; moving it re-runs placement. Emits ``household.updated``."""
    household = await get_household(session=session, principal=principal, household_id=household_id)
    fields = set(data.model_fields_set)
    ensure_may_change(principal, household, fields)
    if not fields:
        return household
    changes_code = "code" in fields and data.code not in (None, household.code)
    if changes_code and await existing_codes(session, [data.code]):  # type: ignore[list-item]
        raise _code_taken(data.code)  # type: ignore[arg-type]
    if "code" in fields:
        household.code = data.code
    if "address" in fields and data.address is not None:
        household.address = data.address
    if "phone" in fields:
        household.phone = data.phone
    if "contact_person_id" in fields:
        await _check_member(session, household, data.contact_person_id)
        household.contact_person_id = data.contact_person_id
    if fields & MOVE_FIELDS:
        await move_household(session, principal, household, data, fields)
    household.updated_at = clock.now()
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise _code_taken(data.code or "") from exc
    event = household_event("household.updated", _event_fields(household), fields=sorted(fields))
    await emit_many(session, [event])
    return household


async def delete_household(
    *, session: AsyncSession, principal: Principal, household_id: uuid.UUID
) -> None:
    """Delete a household and its members; 409 if other records still refer to them."""
    household = await get_household(session=session, principal=principal, household_id=household_id)
    ensure_may_change(principal, household)
    event = household_event("household.deleted", _event_fields(household))
    try:
        async with session.begin_nested():
            await session.execute(
                update(Household)
                .where(Household.id == household.id)
                .values(contact_person_id=None)
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                delete(Household)
                .where(Household.id == household.id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as exc:
        raise Conflict("the household is still referred to by other records") from exc
    session.expunge(household)
    await emit_many(session, [event])


def _code_taken(code: str) -> Conflict:
    msg = f"household code {code} already exists"
    return Conflict(msg, errors=[FieldError(("body", "code"), msg)], code=code)


def _event_fields(household: Household) -> dict[str, Any]:
    return {
        "id": household.id,
        "code": household.code,
        "community_id": household.community_id,
        "grid_id": household.grid_id,
        "area_path": household.area_path,
    }


async def _check_member(
    session: AsyncSession, household: Household, person_id: uuid.UUID | None
) -> None:
    if person_id is None:
        return
    owner = await session.scalar(select(Person.household_id).where(Person.id == person_id))
    if owner != household.id:
        raise Invalid.field(("body", "contact_person_id"), "not a member of this household")
