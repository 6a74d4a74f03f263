"""Check-in deadlines: minutes per vulnerability class, from the plan version each community
activated, and the SQL that gives every person their class.

A person's class is the most urgent of their tags listed in the table (fewest minutes;
ties by tag code), else ``default``. A tag never waits longer than ``default`` (plans
refuse that; here it is clamped too). Deadlines are ``declared_at + minutes / speedup``:
a live drill divides its deadlines by its speed-up (DESIGN.md Decisions: Live drills).

Each person's deadline is stored on their row; one durable timer per distinct (incident,
deadline) fires for all persons sharing it (:func:`schedule_deadlines`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.events.models import Timer
from core.ids import uuid7
from core.registry.households.models import PersonTag
from core.registry.vocab import VULNERABILITY_TAGS
from plans.activation import deadlines_for
from plans.chain_models import HouseholdCheckin, PersonCheckin
from plans.models import IncidentPlan, PlanVersion
from plans.vocab import DEFAULT_CLASS

DEFAULT_DEADLINES_MINUTES: dict[str, int] = {
    "bedridden": 30,
    "dialysis": 30,
    "aged_80_plus": 60,
    "living_alone": 60,
    "disabled": 60,
    "shidu": 60,
    "left_behind_child": 60,
    "empty_nest": 90,
    "left_behind_elderly": 90,
    "pregnant": 90,
    "infant": 90,
    "chronically_ill": 120,
    DEFAULT_CLASS: 240,
}
"""Used for a community that activated no plan version (the earthquake template's table)."""

DEADLINE_TIMER = "chain.deadline"
"""The durable timer kind: payload ``incident_id`` and ``deadline_at`` (:mod:`plans.overdue`)."""

Table = tuple[tuple[str, int], ...]
"""A deadline table as a hashable, sorted tuple of (class, minutes)."""


def deadlines_of(document: Mapping[str, Any] | None) -> dict[str, int]:
    """Minutes per class from a plan document (:func:`plans.activation.deadlines_for`);
    the default table without a document or a ``default`` deadline in it."""
    if not document or DEFAULT_CLASS not in (document.get("checkin_deadlines_minutes") or {}):
        return dict(DEFAULT_DEADLINES_MINUTES)
    table = deadlines_for(document)
    default = table[DEFAULT_CLASS]
    out = {k: min(v, default) for k, v in table.items() if k in VULNERABILITY_TAGS}
    out[DEFAULT_CLASS] = default
    return out


def timer_key(incident_id: uuid.UUID, deadline_at: datetime) -> str:
    """The unique key of the timer of one deadline of one incident."""
    return f"chain:{incident_id}:{deadline_at.isoformat()}"


def as_table(deadlines: Mapping[str, int]) -> Table:
    return tuple(sorted(deadlines.items()))


async def tables_by_community(
    *, session: AsyncSession, incident_id: uuid.UUID, community_ids: Sequence[uuid.UUID]
) -> dict[Table, list[uuid.UUID]]:
    """Communities grouped by their deadline table (one SELECT): usually one group."""
    stmt = (
        select(IncidentPlan.community_id, PlanVersion.document)
        .join(PlanVersion, PlanVersion.id == IncidentPlan.plan_version_id)
        .where(IncidentPlan.incident_id == incident_id)
    )
    documents = {cid: doc for cid, doc in await session.execute(stmt)}
    groups: dict[Table, list[uuid.UUID]] = {}
    for cid in community_ids:
        groups.setdefault(as_table(deadlines_of(documents.get(cid))), []).append(cid)
    return groups


def deadline_times(table: Table, *, declared_at: datetime, speedup: float) -> dict[str, datetime]:
    """The deadline of each class: ``declared_at + minutes / speedup``."""
    return {cls: declared_at + timedelta(minutes=m / max(speedup, 1.0)) for cls, m in table}


def class_clause(table: Table, person_id: ColumnElement[Any]) -> ColumnElement[str]:
    """SQL: the person's deadline class (correlated on ``person_id``)."""
    tags = sorted(
        ((m, cls) for cls, m in table if cls != DEFAULT_CLASS), key=lambda t: (t[0], t[1])
    )
    if not tags:
        return literal(DEFAULT_CLASS)
    rank = case({cls: i for i, (_, cls) in enumerate(tags)}, value=PersonTag.tag)
    first = (
        select(PersonTag.tag)
        .where(PersonTag.person_id == person_id, PersonTag.tag.in_([c for _, c in tags]))
        .order_by(rank)
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(first, DEFAULT_CLASS)


async def schedule_deadlines(
    *,
    session: AsyncSession,
    incident_id: uuid.UUID,
    community_ids: Sequence[uuid.UUID],
    now: datetime,
) -> None:
    """One durable timer per distinct deadline of these communities (kept if it exists)."""
    stmt = (
        select(PersonCheckin.deadline_at)
        .join(HouseholdCheckin, HouseholdCheckin.id == PersonCheckin.household_checkin_id)
        .where(
            PersonCheckin.incident_id == incident_id,
            HouseholdCheckin.community_id.in_(list(community_ids)),
        )
        .distinct()
    )
    deadlines = sorted(set((await session.scalars(stmt)).all()))
    if not deadlines:
        return
    rows = [
        {
            "id": uuid7(),
            "kind": DEADLINE_TIMER,
            "key": timer_key(incident_id, at),
            "due_at": at,
            "payload": to_jsonable_python({"incident_id": incident_id, "deadline_at": at}),
            "created_at": now,
            "attempts": 0,
        }
        for at in deadlines
    ]
    dialect_insert: Any = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        dialect_insert(Timer).on_conflict_do_nothing(index_elements=["key"]), rows
    )
