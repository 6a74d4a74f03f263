"""Where each new need is: household, person, community, point and vulnerability tags.

Set-based: a handful of SELECTs whatever the number of rows. Per row:

* ``person_id`` names a member; its household is used (naming another household too
  is the error "a report for a person outside the household"). A household contact
  who names neither gets their own household.
* with a household: the household must be in the caller's reach (else "no household",
  existence undisclosed), the caller may raise for it (:func:`.need_access.may_raise_at`),
  and its community must be one the incident affects. The need takes the household's
  community; its point is the household's unless ``lon``/``lat`` are given. A household
  outside the incident with a point given (an SOS away from home) is placed by the point.
* without a household: :func:`.need_points.place_points` (``lon``/``lat`` required;
  ``community_code``, or the affected community covering the point).

Vulnerability tags are the person's, or every member's when no person is named.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.roles import Principal, Role
from core.errors import FieldError
from core.incidents.models import IncidentArea
from core.incidents.need_access import may_raise_at
from core.incidents.need_points import affected, place_points
from core.incidents.need_schemas import NeedCreate
from core.registry.households.access import in_reach
from core.registry.households.models import Household, Person, PersonTag

Loc = tuple[str | int, ...]
Locate = Callable[[int, Loc], Loc]
_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Placed:
    """Where one need is, and the vulnerability tags of the people concerned."""

    community_id: uuid.UUID
    area_path: str
    household_id: uuid.UUID | None
    person_id: uuid.UUID | None
    grid_id: uuid.UUID | None
    lon: float
    lat: float
    tags: tuple[str, ...] = ()


def _chunks(values: Iterable[Any]) -> list[list[Any]]:
    ordered = sorted(values)
    return [ordered[i : i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]


async def place_needs(
    *,
    session: AsyncSession,
    principal: Principal,
    incident_id: uuid.UUID,
    rows: Sequence[NeedCreate],
    locate: Locate,
) -> tuple[list[Placed | None], list[FieldError]]:
    """A :class:`Placed` per row (``None`` where an error was recorded), and the errors."""
    errors: list[FieldError] = []

    def err(i: int, field: str, msg: str) -> None:
        errors.append(FieldError(locate(i, (field,)), msg))

    contact = principal.role is Role.household_contact
    hids = [r.household_id or (principal.household_id if contact else None) for r in rows]
    failed = [False] * len(rows)
    owners = await _owners(session, {r.person_id for r in rows if r.person_id})
    for i, row in enumerate(rows):
        if row.person_id is None:
            continue
        owner = owners.get(row.person_id)
        if owner is None:
            failed[i] = True
            err(i, "person_id", f"no person {row.person_id}")
        elif row.household_id is None:
            hids[i] = owner
        elif row.household_id != owner:
            failed[i] = True
            err(i, "person_id", "a report for a person outside the household")
    homes = await _homes(session, {h for h in hids if h is not None})
    communities = {h.community_id for h in homes.values()}
    affected_ids = await _affected_ids(session, incident_id, communities)
    placed: list[Placed | None] = [None] * len(rows)
    points: list[int] = []
    away: dict[int, Any] = {}
    for i, (row, hid) in enumerate(zip(rows, hids, strict=True)):
        if failed[i]:
            continue
        if hid is None:
            points.append(i)
            continue
        field = "person_id" if row.household_id is None and row.person_id else "household_id"
        home = homes.get(hid)
        if home is None or not in_reach(principal, area_path=home.area_path, household_id=hid):
            err(i, field, f"no household {hid}")
            continue
        why = may_raise_at(
            principal, area_path=home.area_path, household_id=hid, grid_id=home.grid_id
        )
        if why is None and home.community_id not in affected_ids:
            if row.lon is not None:  # away from home, e.g. an SOS: placed by its point
                away[i] = home
                points.append(i)
                continue
            why = "this household's community is not affected by this incident"
        if why is not None:
            err(i, field, why)
            continue
        lon, lat = (row.lon, row.lat) if row.lon is not None else (home.lon, home.lat)
        placed[i] = Placed(
            home.community_id, home.area_path, hid, row.person_id, home.grid_id, lon, lat
        )
    found = await place_points(
        session=session, principal=principal, incident_id=incident_id, rows=rows,
        indices=points, err=err, homes={i: (h.id, h.grid_id) for i, h in away.items()},
    )  # fmt: skip
    for i, (community_id, path) in found.items():
        hid, grid_id = (away[i].id, away[i].grid_id) if i in away else (None, None)
        person_id = rows[i].person_id if i in away else None
        lon, lat = rows[i].lon, rows[i].lat
        placed[i] = Placed(community_id, path, hid, person_id, grid_id, lon, lat)  # type: ignore[arg-type]
    tags = await _tags(session, {p.household_id for p in placed if p and p.household_id})
    return [_with_tags(p, tags) for p in placed], errors


def _with_tags(p: Placed | None, tags: dict[uuid.UUID, list[tuple[uuid.UUID, str]]]) -> Any:
    if p is None or p.household_id is None:
        return p
    members = tags.get(p.household_id, [])
    mine = tuple(t for pid, t in members if p.person_id is None or pid == p.person_id)
    return Placed(p.community_id, p.area_path, p.household_id, p.person_id, p.grid_id,
                  p.lon, p.lat, mine)  # fmt: skip


async def _owners(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    out: dict[uuid.UUID, uuid.UUID] = {}
    for chunk in _chunks(ids):
        stmt = select(Person.id, Person.household_id).where(Person.id.in_(chunk))
        out.update({pid: hid for pid, hid in await session.execute(stmt)})
    return out


async def _homes(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Any]:
    cols = (Household.id, Household.community_id, Household.grid_id, Household.area_path,
            Household.lon, Household.lat)  # fmt: skip
    out: dict[uuid.UUID, Any] = {}
    for chunk in _chunks(ids):
        out.update(
            {r.id: r for r in await session.execute(select(*cols).where(cols[0].in_(chunk)))}
        )
    return out


async def _affected_ids(
    session: AsyncSession, incident_id: uuid.UUID, ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    out: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        stmt = select(IncidentArea.area_id).where(
            affected(incident_id), IncidentArea.area_id.in_(chunk)
        )
        out.update(await session.scalars(stmt))
    return out


async def _tags(
    session: AsyncSession, household_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """(person id, tag) of every member, per household."""
    out: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
    for chunk in _chunks(household_ids):
        stmt = (
            select(Person.household_id, Person.id, PersonTag.tag)
            .join(PersonTag, PersonTag.person_id == Person.id)
            .where(Person.household_id.in_(chunk))
        )
        for hid, pid, tag in await session.execute(stmt):
            out.setdefault(hid, []).append((pid, tag))
    return out
