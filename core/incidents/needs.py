"""Needs: raise them in batches, move them through their states. No FastAPI; flush only.

A need is raised by a coordinator, a household contact (``household_report``), an SOS
with a location (``sos``), or the check-in chain (``chain``, as the system). Every
batch is set-based (:func:`create_needs`: one INSERT of needs, one of items, one
``emit_many``); the API calls it with a list of one.

=================  ==========================  =================  =====================
role               raise a need                SOS                change status
=================  ==========================  =================  =====================
admin / system     anywhere                    yes                any need
coordinator        communities in their area   yes (relayed)      needs in their area
grid_worker        households of their grids   no                 needs of their grids
household_contact  own household and members   own household      cancel own household's
volunteer/auditor  no                          no                 no
=================  ==========================  =================  =====================

A household member without an account sends an SOS through a one-time link
(:mod:`core.auth.member_links`): the code becomes a ``household_contact`` token of
their household, so the table's last-but-one row applies to them.

Reads (:mod:`.need_reads`): admin all; coordinator, grid worker, auditor their area
subtree; a household contact their household's needs. ``description`` and the exact
point are personal (:mod:`.need_access`). Where a need is: :mod:`.need_places`.

Bad input: an incident the caller cannot see is 404; a stood-down incident 409 (saying
when); unknown items, persons outside the household, points outside the incident's
affected communities 422 naming the field. Nothing is written then. A need copies
``is_drill`` from its incident. Priority: :mod:`.priority`. Events ``need.created``
(and the status events of :mod:`.need_status`) go to ``incident:<id>`` and
``area:<area_path>`` and carry ids, kind, priority, status and the point — no names,
no description.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.auth.roles import SYSTEM, Principal, actor
from core.errors import FieldError, Invalid
from core.events.outbox import EventIn, emit_many
from core.ids import uuid7
from core.incidents.models import Incident
from core.incidents.need_access import ensure_may_raise
from core.incidents.need_models import Need, NeedItem, NeedKind, NeedSource, NeedStatus
from core.incidents.need_places import Locate, Placed, place_needs
from core.incidents.need_schemas import NeedCreate
from core.incidents.need_status import ALLOWED, need_streams, transition_needs
from core.incidents.priority import priority, vulnerability_score
from core.incidents.reads import get_incident
from core.incidents.rules import ensure_active
from core.registry.households.create import body_loc, detail_of, rows_loc
from core.registry.items.models import Item

__all__ = ["ALLOWED", "body_loc", "create_needs", "rows_loc", "transition_needs"]
MAX_REPORTED_ERRORS = 500


async def create_needs(
    *,
    session: AsyncSession,
    principal: Principal | None,
    incident_id: uuid.UUID,
    rows: Sequence[NeedCreate],
    source: NeedSource,
    locate: Locate = rows_loc,
) -> list[uuid.UUID]:
    """Raise ``rows`` in incident ``incident_id``; their ids, in order.

    ``principal=None`` is the system (the check-in chain). Raises NotFound (404) for
    an incident out of sight, Conflict (409) once it is stood down, Invalid (422)
    naming every bad field through ``locate`` (``("rows", i, …)`` by default).
    """
    principal = principal or SYSTEM
    source = NeedSource(source)
    ensure_may_raise(principal, source)
    incident = await get_incident(session=session, principal=principal, incident_id=incident_id)
    ensure_active(incident)
    if not rows:
        return []
    placed, errors = await place_needs(
        session=session, principal=principal, incident_id=incident.id, rows=rows, locate=locate
    )
    items, item_errors = await _items(session, rows, locate)
    errors = sorted(errors + item_errors, key=_order)
    if errors:
        raise Invalid(detail_of(errors), errors=errors[:MAX_REPORTED_ERRORS])
    return await _insert(session, principal, incident, rows, placed, items, source)  # type: ignore[arg-type]


def _order(error: FieldError) -> tuple[str, ...]:
    return tuple(f"{p:09d}" if isinstance(p, int) else p for p in error.loc)


async def _items(
    session: AsyncSession, rows: Sequence[NeedCreate], locate: Locate
) -> tuple[dict[str, tuple[uuid.UUID, str]], list[FieldError]]:
    """Catalogue ids and base units by code; errors for unknown or repeated codes."""
    codes = {line.item_code for row in rows for line in row.items}
    known: dict[str, tuple[uuid.UUID, str]] = {}
    if codes:
        stmt = select(Item.code, Item.id, Item.base_unit).where(Item.code.in_(sorted(codes)))
        known = {code: (iid, unit) for code, iid, unit in await session.execute(stmt)}
    errors = []
    for i, row in enumerate(rows):
        seen: set[str] = set()
        for j, line in enumerate(row.items):
            loc = locate(i, ("items", j, "item_code"))
            if line.item_code not in known:
                errors.append(FieldError(loc, f"unknown item {line.item_code}"))
            elif line.item_code in seen:
                errors.append(FieldError(loc, f"item {line.item_code} is listed twice"))
            seen.add(line.item_code)
    return known, errors


def need_values(
    need_id: uuid.UUID,
    incident: Incident,
    row: NeedCreate,
    where: Placed,
    source: NeedSource,
    principal: Principal,
    now: datetime,
) -> dict[str, Any]:
    """The ``need`` row of ``row`` placed at ``where`` (priority at 0 minutes waited)."""
    vulnerability = vulnerability_score(where.tags)
    neighbours = row.neighbours_first
    return {
        "id": need_id,
        "incident_id": incident.id,
        "community_id": where.community_id,
        "area_path": where.area_path,
        "household_id": where.household_id,
        "person_id": where.person_id,
        "lon": where.lon,
        "lat": where.lat,
        "source": source.value,
        "kind": NeedKind(row.kind).value,
        "description": row.description,
        "skills": list(row.skills),
        "languages": list(row.languages),
        "severity": row.severity,
        "vulnerability": vulnerability,
        "priority": priority(row.severity, vulnerability, 0.0),
        "neighbours_first": row.kind == NeedKind.visit if neighbours is None else neighbours,
        "status": NeedStatus.open.value,
        "is_drill": incident.is_drill,
        "created_by": actor(principal),
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
    }


def created_event(need: dict[str, Any], lines: list[dict[str, Any]]) -> EventIn:
    """``need.created``: ids, what and where, no personal data."""
    keep = ("id", "incident_id", "community_id", "area_path", "household_id", "person_id",
            "source", "kind", "severity", "vulnerability", "priority", "neighbours_first",
            "skills", "languages", "status", "is_drill", "lon", "lat")  # fmt: skip
    data = {k: need[k] for k in keep}
    data["items"] = [{"item_id": x["item_id"], "quantity": x["quantity"]} for x in lines]
    return EventIn(
        type="need.created", data=data, streams=need_streams(need["incident_id"], need["area_path"])
    )


async def _insert(
    session: AsyncSession,
    principal: Principal,
    incident: Incident,
    rows: Sequence[NeedCreate],
    placed: Sequence[Placed],
    items: dict[str, tuple[uuid.UUID, str]],
    source: NeedSource,
) -> list[uuid.UUID]:
    now = clock.now()
    ids = sorted(uuid7() for _ in rows)  # sorted: ids follow the input order
    needs = [
        need_values(nid, incident, row, where, source, principal, now)
        for nid, row, where in zip(ids, rows, placed, strict=True)
    ]
    lines = [
        [
            {"need_id": nid, "item_id": items[x.item_code][0], "quantity": x.quantity}
            for x in r.items
        ]
        for nid, r in zip(ids, rows, strict=True)
    ]
    # Core INSERTs: the ORM's bulk insert would split the batch wherever NULLs change.
    await session.execute(insert(Need.__table__), needs)
    flat = [line for group in lines for line in group]
    if flat:
        await session.execute(insert(NeedItem.__table__), flat)
    await emit_many(session, [created_event(n, ls) for n, ls in zip(needs, lines, strict=True)])
    return ids
