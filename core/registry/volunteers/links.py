"""Checks of what a volunteer row refers to: home area and point, person, user, organization.

Each check works on many rows at once (one query per kind) and records problems in
``errors`` (422) or ``conflicts`` (409: already linked) under each row's ``loc`` prefix.

* area: exists, in the principal's scope, level 3-5 (county, township, community);
  if it has a boundary the home point must be inside it (``loc + ("lon",)``).
* person: exists and is in scope; not linked to another volunteer.
* user: exists, in scope, role ``volunteer``; not linked to another volunteer.
* organization: exists and is at or above the volunteer's area, or in scope.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.models import User
from core.auth.roles import Principal, Role
from core.auth.scope import in_scope
from core.errors import ErrorList
from core.registry.areas.models import Area, AreaLevel
from core.registry.households.models import Person
from core.registry.orgs.models import Organization
from core.registry.volunteers.models import Volunteer

HOME_LEVELS = (AreaLevel.county, AreaLevel.township, AreaLevel.community)
_CHUNK = 5000


@dataclass(slots=True)
class Target:
    """One volunteer (new: ``volunteer_id`` None) and the references to check."""

    loc: tuple[str | int, ...]
    area_path: str
    volunteer_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    org_id: uuid.UUID | None = None


async def _by_id(session: AsyncSession, columns: Sequence[Any], key: Any, ids: Iterable[Any]):
    ids = sorted(set(ids), key=str)
    rows: dict[Any, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(*columns).where(key.in_(ids[start : start + _CHUNK]))
        for row in await session.execute(stmt):
            rows[row[0]] = row
    return rows


async def load_areas(session: AsyncSession, codes: Iterable[str]) -> dict[str, Area]:
    """Areas by code (chunked)."""
    codes = sorted(set(codes))
    found: dict[str, Area] = {}
    for start in range(0, len(codes), _CHUNK):
        stmt = select(Area).where(Area.code.in_(codes[start : start + _CHUNK]))
        found.update((a.code, a) for a in await session.scalars(stmt))
    return found


def check_home(
    principal: Principal,
    area: Area | None,
    *,
    code: str,
    lon: float,
    lat: float,
    loc: tuple[str | int, ...],
    errors: ErrorList,
) -> Area | None:
    """The home area if usable and the point (lon/lat degrees, EPSG:4326) lies in it."""
    if area is None or not in_scope(principal, area.area_path):
        errors.add((*loc, "area_code"), f"no area with code {code}")
        return None
    if area.level not in HOME_LEVELS:
        level = AreaLevel(area.level).name
        errors.add(
            (*loc, "area_code"), f"area {code} is a {level}; give a county, township or community"
        )
        return None
    if area.boundary is not None and not area.boundary.covers(Point(lon, lat)):
        errors.add((*loc, "lon"), f"the home point ({lon}, {lat}) is outside area {code}")
        return None
    return area


async def check_links(
    session: AsyncSession,
    principal: Principal,
    targets: Sequence[Target],
    errors: ErrorList,
    conflicts: ErrorList,
) -> None:
    """Check person, user and organization references of every target."""
    persons = await _by_id(
        session,
        [Person.id, Person.area_path],
        Person.id,
        (t.person_id for t in targets if t.person_id),
    )
    users = await _by_id(
        session,
        [User.id, User.role, User.scope_path, User.volunteer_id],
        User.id,
        (t.user_id for t in targets if t.user_id),
    )
    orgs = await _by_id(
        session,
        [Organization.id, Organization.area_path],
        Organization.id,
        (t.org_id for t in targets if t.org_id),
    )
    by_person = await _by_id(
        session, [Volunteer.person_id, Volunteer.id], Volunteer.person_id, persons
    )
    by_user = await _by_id(session, [Volunteer.user_id, Volunteer.id], Volunteer.user_id, users)
    seen_person: dict[uuid.UUID, Target] = {}
    seen_user: dict[uuid.UUID, Target] = {}
    for t in targets:
        if t.person_id is not None:
            loc = (*t.loc, "person_id")
            person = persons.get(t.person_id)
            if person is None or not in_scope(principal, person.area_path):
                errors.add(loc, f"no person {t.person_id}")
            else:
                linked = by_person[t.person_id][1] if t.person_id in by_person else None
                _linked(loc, "person", linked, t, seen_person, t.person_id, conflicts)
        if t.user_id is not None:
            loc = (*t.loc, "user_id")
            user = users.get(t.user_id)
            if user is None or not in_scope(principal, user.scope_path):
                errors.add(loc, f"no user {t.user_id}")
            elif user.role != Role.volunteer.value:
                errors.add(loc, f"user {t.user_id} has role {user.role}, not volunteer")
            else:
                linked = by_user[t.user_id][1] if t.user_id in by_user else user.volunteer_id
                _linked(loc, "user", linked, t, seen_user, t.user_id, conflicts)
        if t.org_id is not None:
            org = orgs.get(t.org_id)
            above = org is not None and t.area_path.startswith(org.area_path)
            if org is None or not (above or in_scope(principal, org.area_path)):
                errors.add((*t.loc, "org_id"), f"no organization {t.org_id} here")


def _linked(
    loc: tuple[str | int, ...],
    what: str,
    linked_to: uuid.UUID | None,
    target: Target,
    seen: dict[uuid.UUID, Target],
    key: uuid.UUID,
    conflicts: ErrorList,
) -> None:
    """409 if already linked to another volunteer, or given twice in this batch."""
    if linked_to is not None and linked_to != target.volunteer_id:
        conflicts.add(loc, f"this {what} is already linked to volunteer {linked_to}")
        return
    first = seen.setdefault(key, target)
    if first is not target:
        conflicts.add(loc, f"this {what} is also given at {'.'.join(map(str, first.loc))}")


async def set_user_links(session: AsyncSession, links: dict[uuid.UUID, uuid.UUID | None]) -> None:
    """Keep ``app_user.volunteer_id`` in step: ``{user_id: volunteer_id or None}``.

    Through the ORM (loaded users are updated in place, one executemany per flush).
    """
    if not links:
        return
    users = await session.scalars(select(User).where(User.id.in_(list(links))))
    for user in users:
        user.volunteer_id = links[user.id]
    await session.flush()
