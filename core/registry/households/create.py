"""Registering households with their members, set-based and all or nothing.

:func:`create_households` serves the one-item API (a list of one), the file import
and the demo generator: validate every household (codes, placement, who may write
where), then one multi-row INSERT each for households, persons and tags, one UPDATE
setting the contacts, and one ``household.created`` event per household.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal
from core.errors import Conflict, FieldError, Invalid
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.registry.households.access import ensure_creator, may_write
from core.registry.households.models import Household, Person, PersonTag
from core.registry.households.placement import Place, Spot, place
from core.registry.households.schemas import HouseholdCreate, PersonCreate

Loc = tuple[str | int, ...]
Locate = Callable[[int, Loc], Loc]
"""Maps (household index, field path inside it) to the ``loc`` reported to the client."""
MAX_REPORTED_ERRORS = 500
_CHUNK = 5000


def rows_loc(index: int, path: Loc) -> Loc:
    """The default :data:`Locate`: ``("rows", index, *path)``."""
    return ("rows", index, *path)


def body_loc(index: int, path: Loc) -> Loc:
    """For the one-item API: ``("body", *path)``."""
    return ("body", *path)


async def create_households(
    *,
    session: AsyncSession,
    principal: Principal | None,
    rows: Sequence[HouseholdCreate],
    locate: Locate = rows_loc,
) -> list[uuid.UUID]:
    """Create ``rows`` (validated :class:`HouseholdCreate`) with their members; their ids.

    ``principal=None`` acts as the system (CLI, demo). Raises :class:`Invalid` (422)
    naming every bad field through ``locate``, or :class:`Conflict` (409) when the
    only problems are household codes already taken; nothing is written then.
    """
    principal = principal or SYSTEM
    ensure_creator(principal)
    if not rows:
        return []
    invalid: list[FieldError] = []
    conflicts = await _code_conflicts(session, rows, locate)
    spots = [Spot(r.lon, r.lat, r.community_code, r.grid_code) for r in rows]
    places, problems = await place(session=session, principal=principal, spots=spots)
    invalid += [FieldError(locate(p.index, (p.field,)), p.msg) for p in problems]
    for h, spot_place in enumerate(places):
        if spot_place is not None and not may_write(
            principal, area_path=spot_place.area_path, grid_id=spot_place.grid_id
        ):
            msg = "grid workers register households only in their own grids"
            invalid.append(FieldError(locate(h, ("grid_code",)), msg))
    if invalid:
        raise Invalid(detail_of(invalid), errors=(invalid + conflicts)[:MAX_REPORTED_ERRORS])
    if conflicts:
        raise Conflict(detail_of(conflicts), errors=conflicts[:MAX_REPORTED_ERRORS])
    return await _insert(session, rows, [p for p in places if p is not None])


def detail_of(errors: Sequence[FieldError]) -> str:
    """A one-line summary naming the first fields in ``errors``."""
    if len(errors) == 1:
        return errors[0].msg
    named = ", ".join(".".join(map(str, e.loc)) for e in errors[:10])
    more = f" and {len(errors) - 10} more" if len(errors) > 10 else ""
    return f"{len(errors)} errors; nothing was written: {named}{more}"


async def _code_conflicts(
    session: AsyncSession, rows: Sequence[HouseholdCreate], locate: Locate
) -> list[FieldError]:
    first: dict[str, int] = {}
    out: list[FieldError] = []
    for h, row in enumerate(rows):
        if row.code is not None and first.setdefault(row.code, h) != h:
            out.append(FieldError(locate(h, ("code",)), f"household code {row.code} is repeated"))
    for code in sorted(await existing_codes(session, first)):
        msg = f"household code {code} already exists"
        out.append(FieldError(locate(first[code], ("code",)), msg))
    return out


async def existing_codes(session: AsyncSession, codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` are stored already (chunked for the engines' parameter limits)."""
    codes = sorted(codes)
    found: set[str] = set()
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        found.update(await session.scalars(select(Household.code).where(Household.code.in_(chunk))))
    return found


def person_values(
    person_id: uuid.UUID, household_id: uuid.UUID, area_path: str, data: PersonCreate, now: datetime
) -> dict[str, Any]:
    """The ``person`` row of ``data`` (its tags go to ``person_tag``)."""
    return {
        "id": person_id,
        "household_id": household_id,
        "area_path": area_path,
        "name": data.name,
        "birth_year": data.birth_year,
        "sex": data.sex,
        "languages": list(data.languages),
        "phone": data.phone,
        "created_at": now,
        "updated_at": now,
    }


def household_event(type_: str, household: dict[str, Any], **data: Any) -> EventIn:
    """A ``household.*`` event (no personal data) on the stream ``area:<area_path>``."""
    keep = ("id", "code", "community_id", "grid_id", "area_path")
    payload = {k: household[k] for k in keep}
    return EventIn(type=type_, data={**payload, **data}, streams=[f"area:{household['area_path']}"])


async def _insert(
    session: AsyncSession, rows: Sequence[HouseholdCreate], places: Sequence[Place]
) -> list[uuid.UUID]:
    now = clock.now()
    households: list[dict[str, Any]] = []
    persons: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    members_of: list[list[uuid.UUID]] = []
    # UUIDv7 is random within a millisecond: sorted ids keep the input order by id.
    household_ids = iter(sorted(uuid7() for _ in rows))
    person_ids = iter(sorted(uuid7() for row in rows for _ in row.members))
    for row, where in zip(rows, places, strict=True):
        hid = next(household_ids)
        households.append(_household_values(hid, row, where, now))
        members_of.append([])
        for m, member in enumerate(row.members):
            pid = next(person_ids)
            members_of[-1].append(pid)
            persons.append(person_values(pid, hid, where.area_path, member, now))
            tags += [{"person_id": pid, "tag": tag} for tag in member.tags]
            if row.contact_index == m:
                contacts.append({"id": hid, "contact_person_id": pid})
    # render_nulls: a None (no phone) is written as NULL. Without it the ORM leaves such
    # keys out and splits the rows into one INSERT per run of alike rows — about two
    # persons a statement for the demo county's mix of phones.
    try:
        async with session.begin_nested():
            await session.execute(
                insert(Household).execution_options(render_nulls=True), households
            )
    except IntegrityError as exc:
        raise Conflict("a household code was stored concurrently; retry") from exc
    if persons:
        await session.execute(insert(Person).execution_options(render_nulls=True), persons)
    if tags:
        await session.execute(insert(PersonTag), tags)
    if contacts:
        await session.execute(update(Household), contacts)
    events = [
        household_event("household.created", h, member_count=len(ids), person_ids=ids)
        for h, ids in zip(households, members_of, strict=True)
    ]
    await emit_many(session, events)
    return [h["id"] for h in households]


def _household_values(
    hid: uuid.UUID, row: HouseholdCreate, where: Place, now: datetime
) -> dict[str, Any]:
    return {
        "id": hid,
        "code": row.code,
        "address": row.address,
        "lon": row.lon,
        "lat": row.lat,
        "community_id": where.community_id,
        "grid_id": where.grid_id,
        "area_path": where.area_path,
        "contact_person_id": None,
        "phone": row.phone,
        "created_at": now,
        "updated_at": now,
    }
