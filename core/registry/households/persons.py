"""Persons (members of a household): the rules. Services flush, never commit.

Who may do what is in :mod:`core.registry.households.access`: members are added,
changed and removed by admins, coordinators (subtree), grid workers (their grids)
and the household's own contact. Filters on personal data (``tags``, ages) match
only persons the caller may read personally, so a filter never reveals them.
Ages are whole years from the birth year (this year in Asia/Shanghai minus it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import Principal
from core.errors import Conflict, Invalid, NotFound
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.registry.areas.rules import area_in_scope_or_invalid
from core.registry.households.access import (
    ensure_may_change_members,
    in_reach,
    personal_clause,
    reach_clause,
)
from core.registry.households.create import person_values
from core.registry.households.models import Household, Person, PersonTag
from core.registry.households.schemas import PersonCreate, PersonUpdate, current_year
from core.registry.households.service import get_household
from core.registry.vocab import VULNERABILITY_TAGS, check_codes

PersonRow = tuple[Person, Household]


def _event(type_: str, person: Person, **data: object) -> EventIn:
    payload = {"id": person.id, "household_id": person.household_id, "area_path": person.area_path}
    return EventIn(type=type_, data={**payload, **data}, streams=[f"area:{person.area_path}"])


async def get_person(
    *, session: AsyncSession, principal: Principal, person_id: uuid.UUID
) -> PersonRow:
    """A person in the principal's reach, with their household; 404 otherwise."""
    stmt = (
        select(Person, Household)
        .join(Household, Household.id == Person.household_id)
        .where(Person.id == person_id)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None or not in_reach(principal, area_path=row[1].area_path, household_id=row[1].id):
        raise NotFound("person not found")
    return row[0], row[1]


async def list_persons(
    *,
    session: AsyncSession,
    principal: Principal,
    area_code: str | None = None,
    household_id: uuid.UUID | None = None,
    tags: Sequence[str] = (),
    age_min: int | None = None,
    age_max: int | None = None,
    after: uuid.UUID | None = None,
    limit: int,
) -> list[PersonRow]:
    """Persons in reach ordered by id; ``tags`` matches any of them."""
    stmt = (
        select(Person, Household)
        .join(Household, Household.id == Person.household_id)
        .where(
            reach_clause(principal, area_path=Person.area_path, household_id=Person.household_id)
        )
    )
    if area_code is not None:
        root = await area_in_scope_or_invalid(
            session=session, principal=principal, code=area_code, loc=("query", "area")
        )
        stmt = stmt.where(Person.area_path.startswith(root.area_path, autoescape=True))
    if household_id is not None:
        stmt = stmt.where(Person.household_id == household_id)
    if tags or age_min is not None or age_max is not None:
        stmt = stmt.where(
            personal_clause(
                principal,
                area_path=Person.area_path,
                grid_id=Household.grid_id,
                household_id=Person.household_id,
            )
        )
    if tags:
        codes = check_codes(tags, VULNERABILITY_TAGS, ("query", "tag"), "vulnerability tag")
        tagged = select(PersonTag.person_id).where(PersonTag.tag.in_(codes))
        stmt = stmt.where(Person.id.in_(tagged))
    if age_min is not None and age_max is not None and age_min > age_max:
        raise Invalid.field(("query", "age_max"), "age_max is below age_min")
    year = current_year()
    if age_min is not None:
        stmt = stmt.where(Person.birth_year <= year - age_min)
    if age_max is not None:
        stmt = stmt.where(Person.birth_year >= year - age_max)
    if after is not None:
        stmt = stmt.where(Person.id > after)
    rows = await session.execute(stmt.order_by(Person.id).limit(limit))
    return [(p, h) for p, h in rows]


async def add_person(
    *, session: AsyncSession, principal: Principal, household_id: uuid.UUID, data: PersonCreate
) -> PersonRow:
    """Add a member to a household; emits ``person.created``."""
    household = await get_household(session=session, principal=principal, household_id=household_id)
    ensure_may_change_members(principal, household)
    values = person_values(uuid7(), household.id, household.area_path, data, clock.now())
    person = Person(**values)
    session.add(person)
    await session.flush()
    await _set_tags(session, person.id, data.tags)
    await emit_many(session, [_event("person.created", person)])
    return person, household


async def update_person(
    *, session: AsyncSession, principal: Principal, person_id: uuid.UUID, data: PersonUpdate
) -> PersonRow:
    """Change a person (``tags``/``languages`` replace the lists); ``person.updated``."""
    person, household = await get_person(session=session, principal=principal, person_id=person_id)
    ensure_may_change_members(principal, household)
    fields = data.model_fields_set
    if not fields:
        return person, household
    for name in ("name", "birth_year", "sex", "phone"):
        if name in fields:
            setattr(person, name, getattr(data, name))
    if "languages" in fields and data.languages is not None:
        person.languages = list(data.languages)
    if "tags" in fields and data.tags is not None:
        await session.execute(delete(PersonTag).where(PersonTag.person_id == person.id))
        await _set_tags(session, person.id, data.tags)
    person.updated_at = clock.now()
    await session.flush()
    await emit_many(session, [_event("person.updated", person, fields=sorted(fields))])
    return person, household


async def delete_person(
    *, session: AsyncSession, principal: Principal, person_id: uuid.UUID
) -> None:
    """Remove a member (the household loses its contact if it was them); ``person.deleted``."""
    person, household = await get_person(session=session, principal=principal, person_id=person_id)
    ensure_may_change_members(principal, household)
    event = _event("person.deleted", person)
    if household.contact_person_id == person.id:
        household.contact_person_id = None
        household.updated_at = clock.now()
    try:
        async with session.begin_nested():
            await session.flush()
            await session.execute(
                delete(Person)
                .where(Person.id == person.id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError as exc:
        raise Conflict("the person is still referred to by other records") from exc
    session.expunge(person)
    await emit_many(session, [event])


async def _set_tags(session: AsyncSession, person_id: uuid.UUID, tags: Sequence[str]) -> None:
    if tags:
        await session.execute(insert(PersonTag), [{"person_id": person_id, "tag": t} for t in tags])
